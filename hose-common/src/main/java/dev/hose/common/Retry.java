package dev.hose.common;

import java.io.IOException;
import java.util.Optional;

/**
 * Best-effort retries with a linear backoff, for cleanups whose failure may be the storage being
 * briefly away: the n-th pause is n times the first, so a few attempts span tens of seconds.
 */
public final class Retry {
  private Retry() {}

  /** One attempt. */
  @FunctionalInterface
  public interface Action {
    void run() throws IOException;
  }

  /**
   * Runs {@code action} until it succeeds, at most {@code attempts} times, pausing {@code
   * firstPauseMillis × n} after the n-th failure.
   *
   * @return the last failure when every attempt failed (or the thread was interrupted while
   *     waiting; its interrupt flag is then set again), empty when an attempt succeeded
   */
  public static Optional<Exception> bestEffort(int attempts, long firstPauseMillis, Action action) {
    for (int attempt = 1; ; attempt++) {
      try {
        action.run();
        return Optional.empty();
      } catch (IOException | RuntimeException e) {
        if (attempt >= attempts) {
          return Optional.of(e);
        }
        try {
          Thread.sleep(firstPauseMillis * attempt);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return Optional.of(e);
        }
      }
    }
  }
}
