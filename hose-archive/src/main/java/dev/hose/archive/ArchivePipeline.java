package dev.hose.archive;

import dev.hose.common.Errors;
import dev.hose.common.JdbcUrls;
import dev.hose.common.OutputClaim;
import dev.hose.common.PipelineRuns;
import dev.hose.common.RunIds;
import dev.hose.common.Secrets;
import dev.hose.common.StopSignal;
import dev.hose.common.UserError;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
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

  /**
   * One committed table, as its manifest tells.
   *
   * @param compressedBytes the shards' size, written as {@code codec} says
   * @param codec the shards' format and compression, e.g. {@code jsonl gzip}, {@code parquet zstd}
   */
  public record TableSummary(
      String table,
      long rows,
      int shards,
      long jsonBytes,
      long compressedBytes,
      String codec,
      String manifest,
      String runId,
      String snapshotId) {

    /** The table's directory: where its manifest is. */
    public String dir() {
      return manifest.substring(0, manifest.length() - ArchiveManifest.FILE.length());
    }
  }

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
    ArchiveFiles files =
        new ArchiveFiles(options.getOutput(), RunIds.timestamped(), ExportSettings.codec(options));
    ArchiveCommit commit = new ArchiveCommit(files, tables, options.as(S3Options.class));
    List<TableSummary> summaries;
    try (OutputClaim claim = claimTables(files, tables, options)) {
      if (options.getCleanup()) {
        commit.cleanup();
        return List.of();
      }
      commit.prepare(options.getOverwrite());
      try {
        summaries = exportAndCommit(options, settings, files, commit);
      } catch (Exception | Error e) {
        commit.rollBack();
        throw e;
      }
    }
    RunSummary.write(options, files, summaries);
    return summaries;
  }

  /** Steps 3 to 5, on the launcher's snapshot, which stays open until the commit is checked. */
  private static List<TableSummary> exportAndCommit(
      ArchiveOptions options,
      Map<TableRef, TableSettings> settings,
      ArchiveFiles files,
      ArchiveCommit commit)
      throws Exception {
    JdbcIO.DataSourceConfiguration source = dataSource(options);
    Instant startedAt = Instant.now();
    try (LauncherSnapshot snapshot = LauncherSnapshot.open(source, options);
        AutoCloseable abortOnStop =
            StopSignal.onStop("aborting the snapshot's connection", snapshot::abort)) {
      LauncherSnapshot.Planned planned = snapshot.plan(settings, options, files.runId());
      RunCosts.logHeapEstimate(options, files.isS3(), planned.rowBytes());
      CommitTableFn.RunInfo run =
          new CommitTableFn.RunInfo(
              files.runId(),
              startedAt,
              planned.snapshotId(),
              JdbcUrls.withoutParameters(options.getJdbcUrl()),
              planned.serverVersion(),
              planned.standby(),
              options.getOverwrite());
      PipelineResult result =
          PipelineRuns.runToDone(buildPipeline(options, source, planned, files, run));
      List<TableSummary> summaries = commit.check(planned.ranges().size());
      RunCosts.logFixedCosts(result);
      return summaries;
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
    ExportSettings.check(options);
    Map<TableRef, TableSettings> settings = TableSettings.of(options, tables);
    TablePlanner.check(options, settings);
    RunSummary.check(options);
    return settings;
  }

  static JdbcIO.DataSourceConfiguration dataSource(ArchiveOptions options) {
    return JdbcIO.DataSourceConfiguration.create("org.postgresql.Driver", options.getJdbcUrl())
        .withUsername(options.getUsername())
        .withPassword(Secrets.of(options.getPasswordEnv(), options.getPasswordFile()))
        .withConnectionProperties(
            SourceSession.connectionProperties(
                ExportSettings.loginTimeoutSeconds(options.getDbReadTimeoutSeconds())))
        .withMaxConnections(options.getMaxConnections());
  }

  /** Step 4: the pipeline, whose elements are ranges, never rows. */
  private static Pipeline buildPipeline(
      ArchiveOptions options,
      JdbcIO.DataSourceConfiguration source,
      LauncherSnapshot.Planned planned,
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
}
