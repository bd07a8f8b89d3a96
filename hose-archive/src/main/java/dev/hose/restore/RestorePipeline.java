package dev.hose.restore;

import dev.hose.archive.ArchiveManifest;
import dev.hose.archive.Column;
import dev.hose.archive.TableRef;
import dev.hose.common.JdbcUrls;
import dev.hose.common.PipelineRuns;
import dev.hose.common.RunIds;
import dev.hose.common.UserError;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code hose restore}: one archived table's shards back into a PostgreSQL table, all or nothing.
 *
 * <p><b>All or nothing, with shards spread over workers.</b> The launcher creates a staging table
 * ({@code _hose_restore_<id>}, in the target's schema) with the manifest's columns: a regular table
 * when it is to become a new target ({@code --create}), an UNLOGGED one otherwise. Each worker
 * streams its shards into staging with {@code COPY FROM STDIN}, one COPY per shard, ended only once
 * the shard's size, sha256 and line count match the manifest. When the pipeline is done, the
 * launcher swaps staging in with one transaction: a new target is staging, renamed; an existing one
 * is locked, emptied with {@code --truncate} (checked empty otherwise), and gets staging's rows by
 * {@code INSERT ... SELECT}. Until that commit the target is untouched, whatever fails: a bad
 * shard, a worker, the database, the launcher. On failure the launcher drops staging; only a killed
 * launcher leaves it behind (a table named {@code _hose_restore_*}, safe to drop).
 *
 * <p>Why not COPY straight into the target: with several workers each commits its own shards, and a
 * later failure could not take them back. A single transaction in the launcher would give the same
 * guarantee but load on one JVM. The cost of staging is a second write of the rows into an existing
 * table (staging is unlogged, so only the target's write goes to the WAL); a new table is written
 * once.
 */
public final class RestorePipeline {
  private static final Logger LOG = LoggerFactory.getLogger(RestorePipeline.class);

  private RestorePipeline() {}

  /** What was restored. */
  public record Result(String source, String target, long rows, int shards) {}

  /*
   * Steps:
   * 1) Check the options; read the one manifest under the input; check its shards exist with the
   *    listed sizes.
   * 2) Take the target's restore lock (one restore per target; released with the connection) and
   *    drop the staging tables of earlier restores into it that never ended. Check the target
   *    against the manifest (types exist, columns match, empty unless --truncate) and create the
   *    staging table.
   * 3) Run the pipeline: shards → CopyShards (storage → sha256 → gzip/zstd → COPY into staging).
   * 4) Swap staging in with one transaction; on any failure drop staging instead.
   */
  public static Result run(RestoreOptions options) throws Exception {
    JdbcUrls.check(options.getJdbcUrl());
    if (options.getMaxConnections() < 1) {
      throw new UserError("--maxConnections must be at least 1");
    }
    FileSystems.setDefaultPipelineOptions(options);
    ArchivedTable manifest = readManifest(options.getInput());
    checkShardsPresent(manifest);
    RestoreSettings settings = RestoreSettings.of(options);
    TableRef target = TableRef.parse(options.getTable());
    String runId = RunIds.random();
    try (Connection c = connect(settings)) {
      TargetTable table = new TargetTable(c, target, runId, manifest);
      table.lockTarget();
      table.sweepStaging();
      boolean createTarget = prepareTarget(table, options);
      try {
        table.createStaging(createTarget);
        List<Column> columns = table.stagingColumns();
        copyShards(options, settings, manifest, table.staging(), columns);
        table.swapIn(createTarget, options.getTruncate());
      } catch (Exception | Error e) {
        dropQuietly(table);
        throw e;
      }
      LOG.info("{}: restored {} rows into {}", manifest.tableName(), manifest.rowCount(), target);
      return new Result(
          manifest.tableName(), target.toString(), manifest.rowCount(), manifest.shards().size());
    }
  }

  /** The input must hold exactly one table's manifest. */
  static ArchivedTable readManifest(String input) throws IOException {
    String dir = ArchiveStore.asDirectory(input);
    List<String> dirs = ArchivedTable.tableDirs(dir);
    if (dirs.isEmpty()) {
      throw new UserError(
          "no " + ArchiveManifest.FILE + " in " + dir + " (not a committed archive)");
    }
    if (dirs.size() > 1) {
      List<String> names = new ArrayList<>();
      dirs.forEach(d -> names.add(d.substring(dir.length(), d.length() - 1)));
      throw new UserError(
          dir
              + " holds "
              + dirs.size()
              + " tables ("
              + String.join(", ", names)
              + "); give one table's directory");
    }
    return ArchivedTable.read(dirs.get(0));
  }

  /** Fails before touching the database when a shard is missing or has another size. */
  private static void checkShardsPresent(ArchivedTable manifest) throws IOException {
    for (ArchiveManifest.Shard s : manifest.shards()) {
      long size = ArchiveStore.size(manifest.location(s));
      if (size < 0) {
        throw new UserError("shard " + manifest.location(s) + " is missing; nothing was restored");
      }
      if (size != s.compressedBytes()) {
        throw new UserError(
            "shard "
                + manifest.location(s)
                + " has "
                + size
                + " bytes, the manifest says "
                + s.compressedBytes()
                + "; nothing was restored");
      }
    }
  }

  private static Connection connect(RestoreSettings settings) {
    try {
      return settings.connect();
    } catch (SQLException e) {
      throw JdbcUrls.cannotConnect(settings.jdbcUrl(), settings.username(), e);
    }
  }

  /** Checks the target; returns whether restore creates it. */
  private static boolean prepareTarget(TargetTable table, RestoreOptions options)
      throws SQLException {
    table.checkTypesExist();
    if (!table.exists()) {
      if (!options.getCreate()) {
        throw new UserError(
            "table " + options.getTable() + " does not exist; pass --create to create it");
      }
      return true;
    }
    table.checkColumnsMatch();
    if (!options.getTruncate()) {
      table.checkEmpty();
    }
    return false;
  }

  private static void copyShards(
      RestoreOptions options,
      RestoreSettings settings,
      ArchivedTable manifest,
      TableRef staging,
      List<Column> columns) {
    if (manifest.shards().isEmpty()) {
      return;
    }
    List<ShardTask> tasks = new ArrayList<>();
    manifest.shards().forEach(s -> tasks.add(ShardTask.of(manifest, s)));
    int connections = Math.min(options.getMaxConnections(), tasks.size());
    Pipeline pipeline = Pipeline.create(options);
    pipeline
        .apply(
            "ListShards",
            Create.of(ShardBatch.of(tasks, connections))
                .withCoder(SerializableCoder.of(ShardBatch.class)))
        .apply("CopyShards", ParDo.of(new CopyShardFn(settings, staging, columns, connections)));
    PipelineRuns.runToDone(pipeline);
  }

  private static void dropQuietly(TargetTable table) {
    try {
      table.dropStaging();
    } catch (SQLException | RuntimeException e) {
      LOG.warn("could not drop {} after the failure: {}", table.staging(), e.getMessage());
    }
  }
}
