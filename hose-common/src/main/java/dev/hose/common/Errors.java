package dev.hose.common;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/** What went wrong, as one line: the home of cause-chain walks and error messages. */
public final class Errors {
  private static final List<String> SPACE_PROBLEMS =
      List.of("No space left on device", "Disk quota exceeded");

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

  /** {@code t} and its causes, outermost first. */
  public static Stream<Throwable> causes(Throwable t) {
    return Stream.iterate(t, Objects::nonNull, c -> c.getCause() == c ? null : c.getCause());
  }

  /** The first throwable of type {@code type} in {@code t}'s cause chain, or null. */
  public static <T extends Throwable> T find(Throwable t, Class<T> type) {
    return causes(t).filter(type::isInstance).map(type::cast).findFirst().orElse(null);
  }

  /** Whether {@code e} says the disk or the quota is full (ENOSPC, EDQUOT). */
  public static boolean isOutOfSpace(IOException e) {
    return spaceProblem(e) != null;
  }

  /** "No space left on device" or "Disk quota exceeded" if {@code e} says so, else null. */
  public static String spaceProblem(IOException e) {
    return causes(e)
        .map(
            t ->
                t instanceof FileSystemException f && f.getReason() != null
                    ? f.getReason()
                    : t.getMessage())
        .filter(Objects::nonNull)
        .flatMap(m -> SPACE_PROBLEMS.stream().filter(m::contains))
        .findFirst()
        .orElse(null);
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

  /** The first line of {@code message}, stripped, or {@code ifNull} when there is no message. */
  public static String firstLine(String message, String ifNull) {
    if (message == null) {
      return ifNull;
    }
    int nl = message.indexOf('\n');
    return (nl < 0 ? message : message.substring(0, nl)).strip();
  }

  /** {@code s} with its line breaks folded into spaces. */
  public static String oneLine(String s) {
    if (s == null) {
      return "";
    }
    return s.replaceAll("\\s*\\R\\s*", " ").strip();
  }
}
