package dev.hose.detect;

import dev.hose.common.LogThrottle;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Per-JVM progress of the detection DoFns, logged at most every {@link #INTERVAL_NANOS}. */
final class Progress {
  static final long INTERVAL_NANOS = 10_000_000_000L;
  private static final Logger LOG = LoggerFactory.getLogger(Progress.class);
  private static final AtomicLong DONE = new AtomicLong();
  private static final AtomicLong FAILED = new AtomicLong();
  private static final AtomicLong FRAMES = new AtomicLong();
  private static final AtomicLong TOTAL = new AtomicLong(-1);
  private static final long START = System.nanoTime();
  private static final LogThrottle THROTTLE = new LogThrottle(INTERVAL_NANOS);

  private Progress() {}

  static void total(long total) {
    TOTAL.set(total);
  }

  static void succeeded(long frames) {
    DONE.incrementAndGet();
    FRAMES.addAndGet(frames);
    maybeLog();
  }

  static void failed() {
    FAILED.incrementAndGet();
    maybeLog();
  }

  private static void maybeLog() {
    if (!THROTTLE.due()) {
      return;
    }
    double seconds = Math.max(1e-3, (System.nanoTime() - START) / 1e9);
    long total = TOTAL.get();
    LOG.info(
        "detect: {} done, {} failed{} in this worker; {} frames/s decoded",
        DONE.get(),
        FAILED.get(),
        total >= 0 ? " of " + total + " videos" : "",
        Math.round(FRAMES.get() / seconds));
  }
}
