package dev.hose.common;

/**
 * A problem with what the user asked for (bad option, unknown table, unreachable service). The CLI
 * prints its message as one line on stderr and exits non-zero, with no stack trace.
 */
public class UserError extends RuntimeException {
  public UserError(String message) {
    super(message);
  }

  public UserError(String message, Throwable cause) {
    super(message, cause);
  }
}
