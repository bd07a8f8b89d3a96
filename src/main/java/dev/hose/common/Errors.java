package dev.hose.common;

import java.sql.SQLException;

/** What went wrong, as one line: the home of cause-chain walks and error messages. */
public final class Errors {
  private Errors() {}

  /** The most useful single line about why {@code t} happened. */
  public static String describe(Throwable t) {
    StopSignal.Stopped stopped = find(t, StopSignal.Stopped.class);
    if (stopped != null) {
      return stopped.getMessage();
    }
    UserError userError = find(t, UserError.class);
    if (userError != null) {
      return oneLine(userError.getMessage());
    }
    OutOfMemoryError oom = find(t, OutOfMemoryError.class);
    if (oom != null) {
      return "out of memory ("
          + oneLine(oom.getMessage())
          + ", this JVM's maximum heap is "
          + (Runtime.getRuntime().maxMemory() >> 20)
          + " MB): give it more with -Xmx, or run less at once";
    }
    SQLException sql = find(t, SQLException.class);
    if (sql != null) {
      return "database: " + oneLine(sql.getMessage());
    }
    Throwable root = rootCause(t);
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + oneLine(message));
  }

  /** The first throwable of type {@code type} in {@code t}'s cause chain, or null. */
  public static <T extends Throwable> T find(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }

  /** The last throwable of {@code t}'s cause chain. */
  public static Throwable rootCause(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root;
  }

  /** The root cause's message on one line, or its class name when it has none. */
  public static String rootMessage(Throwable t) {
    Throwable root = rootCause(t);
    return root.getMessage() == null ? root.getClass().getSimpleName() : oneLine(root.getMessage());
  }

  /** {@code s} with its line breaks folded into spaces. */
  public static String oneLine(String s) {
    if (s == null) {
      return "";
    }
    return s.replaceAll("\\s*\\R\\s*", " ").strip();
  }
}
