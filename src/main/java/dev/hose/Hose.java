package dev.hose;

import dev.hose.common.Cli;
import dev.hose.common.JvmTemp;

/** The hose command line: {@code java -jar hose.jar COMMAND [--option=value ...]}. */
public final class Hose {
  private Hose() {}

  public static void main(String[] args) {
    JvmTemp.claim();
    System.exit(Cli.standard().execute(args));
  }
}
