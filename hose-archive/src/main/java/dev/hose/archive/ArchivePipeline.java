package dev.hose.archive;

import dev.hose.common.Errors;
import dev.hose.common.JdbcUrls;
import dev.hose.common.OutputClaim;
import dev.hose.common.PipelineRuns;
import dev.hose.common.Retry;
import dev.hose.common.Secrets;
import dev.hose.common.StopSignal;
import dev.hose.common.UserError;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.transforms.Create;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * {@code hose archive}: PostgreSQL tables to gzipped JSON-lines shards, one consistent snapshot,
 * memory bounded by the number of open writers rather than by table size.
 */
public final class ArchivePipeline {
  private static final Logger LOG = LoggerFactory.getLogger(ArchivePipeline.class);

  private ArchivePipeline() {}

  /** One committed table, as its manifest tells. */
  public record TableSummary(
      String table,
      long rows,
      int shards,
      long jsonBytes,
      long gzipBytes,
      String manifest,
      String runId,
      String snapshotId) {

    /** The table's directory: where its manifest is. */
    public String dir() {
      return manifest.substring(0, manifest.length() - ArchiveManifest.FILE.length());
    }
  }

  /** The tables planned on one snapshot: their plans, all their ranges, and the widest row. */
  private record Planned(
      String snapshotId,
      String serverVersion,
      Standby standby,
      Map<TableRef, TablePlan> plans,
      List<ExportRange> ranges,
      long rowBytes) {}

  /*
   * Steps:
   * 1) Check the options, and each table's settings.
   * 2) Claim each table's output (one run per table at a time; --wait waits for the holder), then
   *    prepare it: writable, no committed manifest unless --overwrite, no temp objects of earlier
   *    runs.
   * 3) Open a read-only transaction, export its snapshot, and plan each table into bounded ranges.
   * 4) Build and run the pipeline: ranges → ExportRanges (cursor → JSON → gzip → temp shard) →
   *    CommitTables (move shards, write _manifest.json last). The snapshot stays open meanwhile.
   * 5) Commit or roll back: check every manifest is this run's, or, on any failure, remove
   *    everything uncommitted at the final paths and the tables' temp objects.
   * 6) Write the run's summary (--summaryFile) for whatever schedules the run.
   * A stop from outside (SIGTERM) ends the step in progress and takes the failure path of 5.
   */
  public static List<TableSummary> run(ArchiveOptions options) throws Exception {
    Map<TableRef, TableSettings> settings = checkOptions(options);
    List<TableRef> tables = List.copyOf(settings.keySet());
    FileSystems.setDefaultPipelineOptions(options);
    ArchiveFiles files = new ArchiveFiles(options.getOutput(), newRunId());
    S3Options s3 = options.as(S3Options.class);
    List<TableSummary> summaries;
    try (OutputClaim claim = claimTables(files, tables, options)) {
      if (options.getCleanup()) {
        cleanup(files, tables, s3);
        return List.of();
      }
      summaries = archive(options, settings, files, s3);
    }
    RunSummary.write(options, files, summaries);
    return summaries;
  }

  private static List<TableSummary> archive(
      ArchiveOptions options,
      Map<TableRef, TableSettings> settings,
      ArchiveFiles files,
      S3Options s3)
      throws Exception {
    String runId = files.runId();
    List<TableRef> tables = List.copyOf(settings.keySet());
    prepareDestination(files, tables, options.getOverwrite(), s3);

    JdbcIO.DataSourceConfiguration source = dataSource(options);
    Instant startedAt = Instant.now();
    DataSource launcherSource = source.buildDatasource();
    SourceSession snapshot = null;
    try {
      snapshot = connect(launcherSource, options);
      try (AutoCloseable abortOnStop =
          StopSignal.onStop("aborting the snapshot's connection", snapshot::abort)) {
        return exportAndCommit(options, settings, files, s3, source, snapshot, startedAt);
      }
    } catch (Exception | Error e) {
      removeUncommitted(files, tables, runId, s3);
      throw e;
    } finally {
      endSnapshot(snapshot);
      if (launcherSource instanceof AutoCloseable closeable) {
        closeable.close();
      }
    }
  }

  /** Steps 3 to 5 on the launcher's snapshot, which a keep-alive holds open meanwhile. */
  private static List<TableSummary> exportAndCommit(
      ArchiveOptions options,
      Map<TableRef, TableSettings> settings,
      ArchiveFiles files,
      S3Options s3,
      JdbcIO.DataSourceConfiguration source,
      SourceSession snapshot,
      Instant startedAt)
      throws Exception {
    String runId = files.runId();
    List<TableRef> tables = List.copyOf(settings.keySet());
    try (KeepAlive keepAlive = new KeepAlive(snapshot.connection())) {
      Planned planned = planTables(snapshot, settings, options, runId);
      // Planning may scan whole tables; from here on the connection only keeps the snapshot.
      snapshot
          .connection()
          .setNetworkTimeout(
              Runnable::run,
              ExportSettings.networkTimeoutMillis(options.getDbReadTimeoutSeconds(), 0));
      logHeapEstimate(options, files.isS3(), planned.rowBytes());
      CommitTableFn.RunInfo run =
          new CommitTableFn.RunInfo(
              runId,
              startedAt,
              planned.snapshotId(),
              JdbcUrls.withoutParameters(options.getJdbcUrl()),
              planned.serverVersion(),
              planned.standby(),
              options.getOverwrite());
      PipelineResult result =
          PipelineRuns.runToDone(buildPipeline(options, source, planned, files, run));
      return commitOrRollback(result, files, tables, planned.ranges().size(), s3);
    }
  }

  /**
   * Ends the launcher's transaction. A run that got this far has had every range import the
   * snapshot (a range that starts after it is gone fails), so a transaction that WAL replay or the
   * network ended first changed nothing the run wrote: said, not fatal.
   */
  private static void endSnapshot(SourceSession snapshot) {
    if (snapshot == null) {
      return;
    }
    try {
      snapshot.close();
    } catch (SQLException e) {
      LOG.info(
          "the snapshot's transaction had already ended: {}",
          String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
    }
  }

  /**
   * One run per table's output at a time: two would remove each other's temp files and race on the
   * manifest. Runs of other tables under the same prefix go on beside this one.
   */
  private static OutputClaim claimTables(
      ArchiveFiles files, List<TableRef> tables, ArchiveOptions options)
      throws InterruptedException {
    try {
      return OutputClaim.acquire(
          tables.stream().map(files::tableOutput).toList(),
          files.runId(),
          "hose archive",
          options.as(S3Options.class),
          options.getWait());
    } catch (IOException | SdkException e) {
      throw new UserError("cannot write to " + files.output() + ": " + Errors.rootMessage(e), e);
    }
  }

  /**
   * Step 1: the tables to archive and how to read each, once every option that can be checked
   * without I/O is.
   */
  private static Map<TableRef, TableSettings> checkOptions(ArchiveOptions options) {
    List<TableRef> tables = TableRef.parseList(options.getTables());
    JdbcUrls.check(options.getJdbcUrl());
    if (options.getGzipLevel() < 1 || options.getGzipLevel() > 9) {
      throw new UserError("--gzipLevel must be between 1 and 9");
    }
    Map<TableRef, TableSettings> settings = TableSettings.of(options, tables);
    TablePlanner.check(options, settings);
    RunSummary.check(options);
    return settings;
  }

  private static String newRunId() {
    return DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC)
            .format(Instant.now())
        + "-"
        + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Step 2: fails early when the output can't be written or is committed already. */
  private static void prepareDestination(
      ArchiveFiles files, List<TableRef> tables, boolean overwrite, S3Options s3)
      throws IOException {
    checkDestination(files, tables, overwrite);
    int stale = files.removeTemp(tables, files.runId(), s3);
    if (stale > 0) {
      LOG.info("removed {} temp objects/uploads left by earlier runs", stale);
    }
  }

  private static JdbcIO.DataSourceConfiguration dataSource(ArchiveOptions options) {
    return JdbcIO.DataSourceConfiguration.create("org.postgresql.Driver", options.getJdbcUrl())
        .withUsername(options.getUsername())
        .withPassword(Secrets.of(options.getPasswordEnv(), options.getPasswordFile()))
        .withConnectionProperties(
            SourceSession.connectionProperties(
                ExportSettings.loginTimeoutSeconds(options.getDbReadTimeoutSeconds())))
        .withMaxConnections(options.getMaxConnections());
  }

  /** Step 3: exports the snapshot and plans every table on it into bounded ranges. */
  private static Planned planTables(
      SourceSession snapshot,
      Map<TableRef, TableSettings> settings,
      ArchiveOptions options,
      String runId)
      throws SQLException {
    String snapshotId = query(snapshot.connection(), "SELECT pg_export_snapshot()");
    String serverVersion = query(snapshot.connection(), "SHOW server_version");
    LOG.info("run {}: snapshot {} on PostgreSQL {}", runId, snapshotId, serverVersion);
    Standby standby = Standby.detect(snapshot.connection());
    standby.log(LOG);
    Map<TableRef, TablePlan> plans = new LinkedHashMap<>();
    List<ExportRange> ranges = new ArrayList<>();
    TablePlanner planner = new TablePlanner(snapshot.connection(), options);
    long rowBytes = 0;
    for (TableRef table : settings.keySet()) {
      TablePlanner.Planned planned;
      try {
        planned = planner.plan(table, settings.get(table));
      } catch (SQLException e) {
        throw Standby.explain(
            SourceSession.explain(e, table, 0, options.getLockTimeoutSeconds()),
            standby.inRecovery());
      }
      plans.put(table, planned.plan());
      ranges.addAll(planned.ranges());
      rowBytes = Math.max(rowBytes, planned.rowBytes());
      LOG.info(
          "{}: ~{} rows, {} ranges by {}{}",
          table,
          String.format("%,d", planned.plan().estimatedRows()),
          planned.ranges().size(),
          planned.plan().strategy(),
          planned.plan().partitionColumn() == null ? "" : " " + planned.plan().partitionColumn());
    }
    return new Planned(snapshotId, serverVersion, standby, plans, ranges, rowBytes);
  }

  /** Step 4: the pipeline, whose elements are ranges, never rows. */
  private static Pipeline buildPipeline(
      ArchiveOptions options,
      JdbcIO.DataSourceConfiguration source,
      Planned planned,
      ArchiveFiles files,
      CommitTableFn.RunInfo run) {
    Pipeline pipeline = Pipeline.create(options);
    pipeline
        .apply(
            "PlanRanges",
            Create.of(planned.ranges()).withCoder(SerializableCoder.of(ExportRange.class)))
        .apply("ArchiveTables", ArchiveTables.of(source, planned.plans(), files, run, options));
    return pipeline;
  }

  /**
   * Step 5: waits for the pipeline, checks that every manifest is this run's, reports the ranges
   * exported more than once, and removes the run's temp objects and uploads.
   */
  private static List<TableSummary> commitOrRollback(
      PipelineResult result, ArchiveFiles files, List<TableRef> tables, int ranges, S3Options s3)
      throws IOException {
    List<TableSummary> summaries = verifyCommitted(files, tables, files.runId());
    logRangesExportedTwice(files, tables, ranges, s3);
    files.removeTemp(tables, null, s3);
    logFixedCosts(result);
    return summaries;
  }

  /**
   * Logs what a runner's restarts cost. The commit used one attempt per range, so a range with
   * another attempt left in the temp dir was exported again after a worker was lost. Only a report:
   * a listing that fails does not fail a committed run.
   */
  private static void logRangesExportedTwice(
      ArchiveFiles files, List<TableRef> tables, int ranges, S3Options s3) {
    try {
      int twice = files.rangesWithUnusedAttempts(tables, s3).size();
      if (twice > 0) {
        LOG.info(
            "{} of {} ranges were exported more than once (attempts lost with a worker)",
            twice,
            ranges);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not count the ranges exported more than once: {}", e.toString());
    }
  }

  /**
   * Logs the run's fixed costs: from this JVM's start to the first range query (start-up, options,
   * planning, the runner's start), and from the last shard written to the commit being checked
   * (commit, cleanup). With wall-clock times, so that a benchmark can add the exit.
   */
  private static void logFixedCosts(PipelineResult result) {
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

  /**
   * Logs what heap these options need, and warns when this JVM has less: a JVM short of heap runs
   * out of it some way into a large table, which is better known at the start. On DirectRunner the
   * writers run in this JVM; on Flink each task slot runs --exportThreads of them.
   */
  private static void logHeapEstimate(ArchiveOptions options, boolean s3, long rowBytes) {
    long upload = s3 ? options.as(S3Options.class).getS3UploadBufferSizeBytes() : 0;
    boolean direct = options.getRunner().getSimpleName().equals("DirectRunner");
    int writers =
        direct
            ? options.as(DirectOptions.class).getTargetParallelism() * options.getExportThreads()
            : options.getExportThreads();
    HeapEstimate estimate =
        HeapEstimate.of(
            writers, options.getFetchSize(), options.getFetchBufferBytes(), rowBytes, upload);
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

  private static SourceSession connect(DataSource dataSource, ArchiveOptions options) {
    try {
      return SourceSession.begin(dataSource, null, 0, options.getLockTimeoutSeconds());
    } catch (SQLException e) {
      throw JdbcUrls.cannotConnect(options.getJdbcUrl(), options.getUsername(), e);
    }
  }

  /** Fails early when the destination can't be written or already holds a committed archive. */
  private static void checkDestination(ArchiveFiles files, List<TableRef> tables, boolean overwrite)
      throws IOException {
    ResourceId probe =
        files
            .runTempDir(tables.get(0))
            .resolve(
                "_probe",
                org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions.RESOLVE_FILE);
    try {
      ArchiveFiles.writeString(probe, "hose", "text/plain");
      ArchiveFiles.delete(List.of(probe));
    } catch (IOException | RuntimeException e) {
      throw new UserError("cannot write to " + files.output() + ": " + Errors.rootMessage(e), e);
    }
    for (TableRef table : tables) {
      ResourceId manifest = files.manifest(table);
      if (!overwrite && ArchiveFiles.exists(manifest)) {
        throw new UserError(
            manifest + " already exists (a committed archive); pass --overwrite to replace it");
      }
    }
  }

  /** Reads back every manifest, checking that this run committed it. */
  private static List<TableSummary> verifyCommitted(
      ArchiveFiles files, List<TableRef> tables, String runId) throws IOException {
    List<TableSummary> summaries = new ArrayList<>();
    for (TableRef table : tables) {
      ResourceId manifest = files.manifest(table);
      ArchiveManifest m = ArchiveManifest.parse(ArchiveFiles.readString(manifest));
      if (!runId.equals(m.runId())) {
        throw new IllegalStateException(manifest + " was not written by run " + runId);
      }
      summaries.add(
          new TableSummary(
              table.toString(),
              m.rowCount(),
              m.shards().size(),
              m.jsonBytes(),
              m.compressedBytes(),
              manifest.toString(),
              runId,
              m.snapshot().id()));
    }
    return summaries;
  }

  /**
   * After a failure: no shard without a manifest of this run, no temp object, no upload. Retried
   * for about half a minute, since the failure may be the storage itself being briefly away.
   */
  private static void removeUncommitted(
      ArchiveFiles files, List<TableRef> tables, String runId, S3Options s3) {
    Retry.bestEffort(6, 2_000, () -> removeUncommittedOnce(files, tables, runId, s3))
        .ifPresent(
            e ->
                LOG.warn(
                    "cleanup after the failure was incomplete ({}); run with --cleanup",
                    e.toString()));
  }

  private static void removeUncommittedOnce(
      ArchiveFiles files, List<TableRef> tables, String runId, S3Options s3) throws IOException {
    for (TableRef table : tables) {
      ResourceId manifest = files.manifest(table);
      boolean ours =
          ArchiveFiles.exists(manifest)
              && runId.equals(ArchiveManifest.runIdOf(ArchiveFiles.readString(manifest)));
      if (!ours && !ArchiveFiles.exists(manifest)) {
        ArchiveFiles.delete(files.shardsIn(table));
      }
    }
    files.removeTemp(tables, null, s3);
  }

  private static void cleanup(ArchiveFiles files, List<TableRef> tables, S3Options s3)
      throws IOException {
    int removed = files.removeTemp(tables, null, s3);
    for (TableRef table : tables) {
      if (!ArchiveFiles.exists(files.manifest(table))) {
        List<ResourceId> partial = files.shardsIn(table);
        ArchiveFiles.delete(partial);
        removed += partial.size();
      }
    }
    LOG.info("cleanup: removed {} temp objects, uploads and uncommitted shards", removed);
  }

  private static String query(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /**
   * Keeps the snapshot's transaction from being ended by {@code
   * idle_in_transaction_session_timeout} while the pipeline runs.
   */
  private static final class KeepAlive implements AutoCloseable {
    private final ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "hose-snapshot-keepalive");
              t.setDaemon(true);
              return t;
            });

    KeepAlive(Connection c) {
      timer.scheduleWithFixedDelay(
          () -> {
            try {
              query(c, "SELECT 1");
            } catch (SQLException e) {
              LOG.warn("the snapshot's transaction ended: {}", e.getMessage());
              timer.shutdown();
            }
          },
          30,
          30,
          TimeUnit.SECONDS);
    }

    @Override
    public void close() {
      timer.shutdownNow();
    }
  }
}
