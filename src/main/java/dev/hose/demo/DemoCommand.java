package dev.hose.demo;

import dev.hose.common.Command;

/** {@code hose demo}: the embedded default, end to end. */
public final class DemoCommand implements Command {
  @Override
  public String name() {
    return "demo";
  }

  @Override
  public String summary() {
    return "embedded PostgreSQL + S3 server, archive sample tables on DirectRunner";
  }

  @Override
  public int run(String[] args) throws Exception {
    throw new UnsupportedOperationException("in progress");
  }
}
