package dev.hose;

import dev.hose.common.Cli;
import dev.hose.common.JvmTemp;
import dev.hose.common.StopSignal;

/** The hose command line: {@code java -jar hose.jar COMMAND [--option=value ...]}. */
public final class Hose {
  private Hose() {}

  public static void main(String[] args) {
    JvmTemp.claim();
    StopSignal.install();
    int code;
    try {
      code = Cli.standard().execute(args);
    } finally {
      StopSignal.finished();
    }
    System.exit(code);
  }
}
