package dev.hose.detect;

/**
 * Picks the frames handed to the detectors: the first frame, then the first frame at or after each
 * due time, the first frame's time plus a whole number of intervals. Due times are computed from
 * the rate, not summed, so rounding does not build up; a millisecond of slack absorbs timestamp
 * rounding (66666 vs 66667 µs at 15 fps). Pure: timestamps in, decisions out.
 */
final class Sampler {
  /** Timestamps this close before a due time count as on time. */
  static final long SLACK_MICROS = 1000;

  private final double intervalMicros;
  private long first = Long.MIN_VALUE;
  private long k;

  Sampler(double intervalMicros) {
    this.intervalMicros = intervalMicros;
  }

  /** Whether the frame at {@code ts} (µs, in decode output order) is sampled. */
  boolean take(long ts) {
    if (first == Long.MIN_VALUE) {
      first = ts;
      k = 1;
      return true;
    }
    if (ts < due(k) - SLACK_MICROS) {
      return false;
    }
    while (due(k) <= ts + SLACK_MICROS) {
      k++;
    }
    return true;
  }

  private long due(long n) {
    return first + Math.round(n * intervalMicros);
  }
}
