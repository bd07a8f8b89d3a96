package dev.hose.archive;

import java.lang.management.ManagementFactory;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What a run costs, logged: the heap its options need before it starts, its fixed costs after. */
final class RunCosts {
  private static final Logger LOG =
      LoggerFactory.getLogger(ArchivePipeline.class); // archive's log, as users read it

  private RunCosts() {}

  /**
   * Logs what heap these options need, and warns when this JVM has less: a JVM short of heap runs
   * out of it some way into a large table, which is better known at the start. On DirectRunner the
   * writers run in this JVM; on Flink each task slot runs --exportThreads of them.
   */
  static void logHeapEstimate(ArchiveOptions options, boolean s3, long rowBytes) {
    long upload = s3 ? options.as(S3Options.class).getS3UploadBufferSizeBytes() : 0;
    boolean direct = options.getRunner().getSimpleName().equals("DirectRunner");
    int writers =
        direct
            ? options.as(DirectOptions.class).getTargetParallelism() * options.getExportThreads()
            : options.getExportThreads();
    HeapEstimate estimate =
        HeapEstimate.of(
            writers,
            options.getFetchSize(),
            options.getFetchBufferBytes(),
            rowBytes,
            upload,
            ExportSettings.codec(options).parquet() ? options.getParquetRowGroupBytes() : 0);
    if (!direct) {
      LOG.info(
          "memory: each task slot needs ~{} MB of task heap for its {} writers",
          estimate.writersMb(),
          writers);
      return;
    }
    long maxHeap = Runtime.getRuntime().maxMemory();
    if (estimate.fitsIn(maxHeap)) {
      LOG.info(estimate.describe(maxHeap));
    } else {
      LOG.warn(estimate.describe(maxHeap));
    }
  }

  /**
   * Logs the run's fixed costs: from this JVM's start to the first range query (start-up, options,
   * planning, the runner's start), and from the last shard written to the commit being checked
   * (commit, cleanup). With wall-clock times, so that a benchmark can add the exit.
   */
  static void logFixedCosts(PipelineResult result) {
    long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    long firstQuery = metric(result, ExportRangeFn.QUERY_STARTED_MILLIS, true);
    long lastShard = metric(result, ExportRangeFn.SHARD_WRITTEN_MILLIS, false);
    if (firstQuery <= 0 || lastShard <= 0) {
      return; // no range (an empty selection) or a runner without these metrics
    }
    long now = System.currentTimeMillis();
    LOG.info(
        "fixed cost: {} s from start to the first range query, {} s from the last shard to the"
            + " commit check (jvmStartMillis={} firstRangeQueryMillis={} lastShardMillis={}"
            + " checkedMillis={})",
        String.format("%.2f", (firstQuery - jvmStart) / 1000.0),
        String.format("%.2f", (now - lastShard) / 1000.0),
        jvmStart,
        firstQuery,
        lastShard,
        now);
  }

  private static long metric(PipelineResult result, String name, boolean min) {
    try {
      for (MetricResult<DistributionResult> d :
          result
              .metrics()
              .queryMetrics(
                  MetricsFilter.builder()
                      .addNameFilter(MetricNameFilter.named(ExportRangeFn.class, name))
                      .build())
              .getDistributions()) {
        DistributionResult value = d.getAttempted();
        return value.getCount() == 0 ? 0 : min ? value.getMin() : value.getMax();
      }
    } catch (UnsupportedOperationException | IllegalStateException e) {
      // a runner that does not report metrics
    }
    return 0;
  }
}
