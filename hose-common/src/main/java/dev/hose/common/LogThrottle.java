package dev.hose.common;

import java.util.concurrent.atomic.AtomicLong;

/** Lets one caller through at most once per interval, across threads, to keep logs bounded. */
public final class LogThrottle {
  private final long intervalNanos;
  private final AtomicLong last = new AtomicLong(System.nanoTime());

  public LogThrottle(long intervalNanos) {
    this.intervalNanos = intervalNanos;
  }

  /** True for exactly one caller once the interval since the last pass has elapsed. */
  public boolean due() {
    long now = System.nanoTime();
    long previous = last.get();
    return now - previous >= intervalNanos && last.compareAndSet(previous, now);
  }
}
