package dev.hose.restore;

import dev.hose.archive.ArchiveFiles;
import dev.hose.archive.ArchiveManifest;
import dev.hose.archive.TableRef;
import dev.hose.common.JdbcUrls;
import dev.hose.common.PipelineRuns;
import dev.hose.common.RunIds;
import dev.hose.common.UserError;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code hose restore}: archived tables' shards back into PostgreSQL tables, one table or every
 * table of a run's prefix at once, all or nothing.
 *
 * <p><b>All or nothing, with shards spread over workers.</b> For each table the launcher creates a
 * staging table ({@code _hose_restore_<id>_<n>}, in the target's schema) with the manifest's
 * columns: a regular table when it is to become a new target ({@code --create}), an UNLOGGED one
 * otherwise. One pipeline loads every table's shards: each worker streams shards into their table's
 * staging with {@code COPY FROM STDIN}, one COPY per shard, ended only once the shard's size,
 * sha256 and line count match the manifest. Shards of several tables load at once, largest first,
 * as {@code pg_restore -j} loads tables. When the pipeline is done, the launcher swaps every
 * staging table in with one transaction: a new target is its staging, renamed; an existing one is
 * locked, emptied with {@code --truncate} (checked empty otherwise), and gets staging's rows by
 * {@code INSERT ... SELECT}. Until that commit no target is touched, whatever fails: a bad shard of
 * any table, a worker, the database, the launcher. On failure the launcher drops every staging
 * table; only a killed launcher leaves them behind (tables named {@code _hose_restore_*}, which the
 * next restore into their target drops).
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

  /** What was restored: one per table. */
  public record Result(String source, String target, long rows, int shards) {}

  /** One table being restored: its target, and whether restore creates it. */
  private record Load(TargetTable table, boolean create) {}

  /*
   * Steps:
   * 1) Check the options; read the manifests under the input (one table's, or every selected
   *    table's of a run's prefix); check their shards exist with the listed sizes.
   * 2) For each target: take its restore lock (one restore per target; released with the
   *    connection), drop the staging tables of earlier restores into it that never ended, and
   *    check it against its manifest (types exist, columns match, empty unless --truncate). Then
   *    create the staging tables.
   * 3) Run the pipeline: every table's shards → CopyShards (storage → sha256 → codec → COPY into
   *    their staging).
   * 4) Swap every staging table in with one transaction; on any failure drop them instead.
   */
  public static List<Result> run(RestoreOptions options) throws Exception {
    JdbcUrls.check(options.getJdbcUrl());
    if (options.getMaxConnections() < 1) {
      throw new UserError("--maxConnections must be at least 1");
    }
    FileSystems.setDefaultPipelineOptions(options);
    Map<TableRef, ArchivedTable> targets = targets(options, readManifests(options));
    for (ArchivedTable manifest : targets.values()) {
      checkShardsPresent(manifest);
    }
    RestoreSettings settings = RestoreSettings.of(options);
    String runId = RunIds.random();
    long started = System.nanoTime();
    LOG.info(
        "restoring {} table(s), {} rows in {} shards, up to {} COPY connections per worker",
        targets.size(),
        String.format("%,d", targets.values().stream().mapToLong(ArchivedTable::rowCount).sum()),
        targets.values().stream().mapToInt(m -> m.shards().size()).sum(),
        options.getMaxConnections());
    try (Connection c = connect(settings)) {
      List<Load> loads = new ArrayList<>();
      for (Map.Entry<TableRef, ArchivedTable> e : targets.entrySet()) {
        TargetTable table = new TargetTable(c, e.getKey(), runId, loads.size(), e.getValue());
        table.lockTarget();
        table.sweepStaging();
        loads.add(new Load(table, prepareTarget(table, options)));
      }
      List<Load> staged = new ArrayList<>();
      try {
        Map<String, CopyShardFn.Staging> stagings = new HashMap<>();
        for (Load load : loads) {
          load.table().createStaging(load.create());
          staged.add(load);
          stagings.put(
              load.table().manifest().tableName(),
              new CopyShardFn.Staging(load.table().staging(), load.table().stagingColumns()));
        }
        copyShards(options, settings, targets.values(), stagings);
        TargetTable.inTransaction(
            c,
            () -> {
              for (Load load : loads) {
                load.table().moveIn(load.create(), options.getTruncate());
              }
            });
      } catch (Exception | Error e) {
        staged.forEach(RestorePipeline::dropQuietly);
        throw e;
      }
      LOG.info(
          "restored {} table(s) in {} s, all or nothing",
          loads.size(),
          String.format("%.1f", (System.nanoTime() - started) / 1e9));
      List<Result> results = new ArrayList<>();
      for (Load load : loads) {
        ArchivedTable m = load.table().manifest();
        results.add(
            new Result(
                m.tableName(), load.table().target().toString(), m.rowCount(), m.shards().size()));
      }
      return results;
    }
  }

  /**
   * The manifests under the input: the one table's when it is a table's directory, else those of
   * --tables (or of every table) under a run's prefix.
   */
  static List<ArchivedTable> readManifests(RestoreOptions options) throws IOException {
    String dir = ArchiveStore.asDirectory(options.getInput());
    if (options.getTables() != null) {
      List<ArchivedTable> manifests = new ArrayList<>();
      for (TableRef table : TableRef.parseList(options.getTables())) {
        String tableDir = ArchiveFiles.tableDir(dir, table);
        if (!ArchiveStore.exists(tableDir + ArchiveManifest.FILE)) {
          throw new UserError(
              "no "
                  + ArchiveManifest.FILE
                  + " of "
                  + table
                  + " in "
                  + tableDir
                  + " (not a committed archive)");
        }
        manifests.add(ArchivedTable.read(tableDir));
      }
      return manifests;
    }
    if (dir.contains(ArchiveFiles.TABLE_PLACEHOLDER)) {
      throw new UserError(
          "--input holds " + ArchiveFiles.TABLE_PLACEHOLDER + ": name the tables with --tables");
    }
    List<String> dirs = ArchivedTable.tableDirs(dir);
    if (dirs.isEmpty()) {
      throw new UserError(
          "no " + ArchiveManifest.FILE + " in " + dir + " (not a committed archive)");
    }
    List<ArchivedTable> manifests = new ArrayList<>();
    for (String d : dirs) {
      manifests.add(ArchivedTable.read(d));
    }
    return manifests;
  }

  /**
   * Each table's target, in the order their locks are taken (by name, so two restores never wait on
   * each other's): --table for a single table, else the archived name, in --targetSchema if given.
   * Two tables with one target are refused.
   */
  static Map<TableRef, ArchivedTable> targets(
      RestoreOptions options, List<ArchivedTable> manifests) {
    if (options.getTable() != null && options.getTargetSchema() != null) {
      throw new UserError("give --table or --targetSchema, not both");
    }
    if (options.getTable() != null && manifests.size() > 1) {
      List<String> names = manifests.stream().map(ArchivedTable::tableName).sorted().toList();
      throw new UserError(
          ArchiveStore.asDirectory(options.getInput())
              + " holds "
              + manifests.size()
              + " tables ("
              + String.join(", ", names)
              + "); --table names the target of one (give one table's directory, or --tables,"
              + " or --targetSchema)");
    }
    Map<TableRef, ArchivedTable> targets = new TreeMap<>(Comparator.comparing(TableRef::quoted));
    for (ArchivedTable m : manifests) {
      TableRef source = new TableRef(m.manifest().schema(), m.manifest().table());
      TableRef target =
          options.getTable() != null
              ? TableRef.parse(options.getTable())
              : options.getTargetSchema() != null
                  ? new TableRef(options.getTargetSchema(), source.table())
                  : source;
      ArchivedTable other = targets.put(target, m);
      if (other != null) {
        throw new UserError(
            other.tableName() + " and " + m.tableName() + " would both restore into " + target);
      }
    }
    return targets;
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
            "table " + table.target() + " does not exist; pass --create to create it");
      }
      return true;
    }
    table.checkColumnsMatch();
    if (!options.getTruncate()) {
      table.checkEmpty();
    }
    return false;
  }

  /**
   * Every table's shards in one pipeline, largest first, in batches of --maxConnections: a batch
   * loads at once (on DirectRunner the batches follow one another), so shards of a like size share
   * one.
   */
  private static void copyShards(
      RestoreOptions options,
      RestoreSettings settings,
      Collection<ArchivedTable> manifests,
      Map<String, CopyShardFn.Staging> stagings) {
    List<ShardTask> tasks = new ArrayList<>();
    for (ArchivedTable m : manifests) {
      m.shards().forEach(s -> tasks.add(ShardTask.of(m, s)));
    }
    if (tasks.isEmpty()) {
      return;
    }
    tasks.sort(Comparator.comparingLong((ShardTask t) -> t.shard().compressedBytes()).reversed());
    int connections = Math.min(options.getMaxConnections(), tasks.size());
    Pipeline pipeline = Pipeline.create(options);
    pipeline
        .apply(
            "ListShards",
            Create.of(ShardBatch.of(tasks, connections))
                .withCoder(SerializableCoder.of(ShardBatch.class)))
        .apply("CopyShards", ParDo.of(new CopyShardFn(settings, stagings, connections)));
    PipelineRuns.runToDone(pipeline);
  }

  private static void dropQuietly(Load load) {
    try {
      load.table().dropStaging();
    } catch (SQLException | RuntimeException e) {
      LOG.warn("could not drop {} after the failure: {}", load.table().staging(), e.getMessage());
    }
  }
}
