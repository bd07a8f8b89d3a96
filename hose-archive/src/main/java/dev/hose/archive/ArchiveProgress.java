package dev.hose.archive;

import dev.hose.common.LogThrottle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-JVM progress of the tables being exported, logged at most once per interval per table: rows
 * and bytes done, ranges done of total, rate and ETA. On a cluster each worker logs its share.
 */
final class ArchiveProgress {
  private static final Logger LOG = LoggerFactory.getLogger(ArchiveProgress.class);
  private static final long INTERVAL_NANOS = 10_000_000_000L;

  /** Keyed by run and table: a long-lived worker JVM (a Flink TaskManager) sees many runs. */
  private static final Map<String, ArchiveProgress> TABLES = new ConcurrentHashMap<>();

  private final TableRef table;
  private final long estimatedRows;
  private final int ranges;
  private final long startNanos = System.nanoTime();
  private final LogThrottle throttle = new LogThrottle(INTERVAL_NANOS);
  private final LongAdder rows = new LongAdder();
  private final LongAdder jsonBytes = new LongAdder();
  private final LongAdder rangesDone = new LongAdder();

  private ArchiveProgress(TableRef table, long estimatedRows, int ranges) {
    this.table = table;
    this.estimatedRows = estimatedRows;
    this.ranges = ranges;
  }

  static ArchiveProgress of(String runId, TablePlan plan) {
    String key = runId + "/" + plan.table();
    ArchiveProgress progress = TABLES.get(key);
    if (progress == null) {
      TABLES.keySet().removeIf(k -> !k.startsWith(runId + "/")); // earlier runs' figures
      progress =
          TABLES.computeIfAbsent(
              key, k -> new ArchiveProgress(plan.table(), plan.estimatedRows(), plan.shardCount()));
    }
    return progress;
  }

  void addRows(long n, long bytes) {
    rows.add(n);
    jsonBytes.add(bytes);
    maybeLog();
  }

  void rangeDone() {
    rangesDone.increment();
    maybeLog();
  }

  private void maybeLog() {
    if (!throttle.due()) {
      return;
    }
    long now = System.nanoTime();
    double seconds = Math.max(1e-3, (now - startNanos) / 1e9);
    long done = rows.sum();
    double rate = done / seconds;
    String eta =
        estimatedRows > done && rate > 0 ? formatSeconds((estimatedRows - done) / rate) : "-";
    LOG.info(
        "{}: {} of ~{} rows, {} MB JSON, ranges {}/{} done, {} rows/s, ETA {}",
        table,
        String.format("%,d", done),
        String.format("%,d", estimatedRows),
        String.format("%.1f", jsonBytes.sum() / 1e6),
        rangesDone.sum(),
        ranges,
        String.format("%,.0f", rate),
        eta);
  }

  static String formatSeconds(double s) {
    long t = Math.round(s);
    return t >= 3600
        ? String.format("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
        : String.format("%d:%02d", t / 60, t % 60);
  }
}
