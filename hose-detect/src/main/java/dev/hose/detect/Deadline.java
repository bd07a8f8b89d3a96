package dev.hose.detect;

import java.time.Duration;

/** The time left for one video; {@link #check} fails it with {@link Reason#TIMEOUT}. */
final class Deadline {
  private final long endNanos;
  private final Duration limit;

  private Deadline(Duration limit) {
    this.limit = limit;
    this.endNanos = System.nanoTime() + limit.toNanos();
  }

  static Deadline in(Duration limit) {
    return new Deadline(limit);
  }

  long remainingMillis() {
    return Math.max(0, (endNanos - System.nanoTime()) / 1_000_000);
  }

  void check() throws VideoFailure {
    if (System.nanoTime() - endNanos > 0) {
      throw new VideoFailure(Reason.TIMEOUT, "took longer than --timeoutPerVideo=" + limit);
    }
  }
}
