package dev.hose.archive;

import dev.hose.common.OutputClaim;
import dev.hose.common.WorkerDoFn;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.KV;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits one table once all its ranges are written: removes whatever an earlier, uncommitted or
 * overwritten run left in the table's directory, moves the temp shards to their final names, and
 * writes {@code _manifest.json} last. A reader who sees the manifest sees complete shards.
 *
 * <p>Each visible step is fenced by the table's claim ({@link OutputClaim.Fence}): a job whose
 * launcher died stops renewing the claim, and its commit then refuses to go on, before another run
 * may take the table over.
 */
final class CommitTableFn extends WorkerDoFn<KV<String, Iterable<ShardResult>>, String> {
  private static final Logger LOG = LoggerFactory.getLogger(CommitTableFn.class);

  private final Map<TableRef, TablePlan> plans;
  private final ArchiveFiles files;
  private final RunInfo run;
  private final Counter tablesCounter = Metrics.counter(CommitTableFn.class, "tables");
  private transient OutputClaim.Fence fence;
  private transient S3Options s3;

  /** Shards moved between two checks of the claim. */
  private static final int MOVES_PER_FENCE = 100;

  /** Facts about the run that every manifest records. */
  record RunInfo(
      String runId,
      Instant startedAt,
      String snapshotId,
      String source,
      String serverVersion,
      Standby standby,
      boolean overwrite)
      implements java.io.Serializable {}

  CommitTableFn(Map<TableRef, TablePlan> plans, ArchiveFiles files, RunInfo run) {
    this.plans = plans;
    this.files = files;
    this.run = run;
  }

  @Override
  protected void setUp(PipelineOptions options) {
    s3 = options.as(S3Options.class);
    fence = new OutputClaim.Fence(s3);
  }

  @Override
  protected void tearDown() {
    if (fence != null) {
      fence.close();
    }
  }

  @ProcessElement
  public void process(@Element KV<String, Iterable<ShardResult>> table, OutputReceiver<String> out)
      throws Exception {
    List<ShardResult> shards = new ArrayList<>();
    table.getValue().forEach(shards::add);
    shards.sort(Comparator.comparingInt(ShardResult::shard));
    TablePlan plan = plans.get(shards.get(0).table());
    TableRef ref = plan.table();
    checkComplete(plan, shards);

    ResourceId manifest = files.manifest(ref);
    checkFence(ref);
    if (ArchiveFiles.exists(manifest)) {
      // This run's own manifest was written by an earlier attempt of this commit that the runner
      // restarted (its worker was lost after the write): the commit is redone from the same
      // figures, as a replaced manifest is.
      if (!run.overwrite() && !isThisRuns(manifest)) {
        throw new IllegalStateException(
            manifest + " appeared during the run; not replacing it without --overwrite");
      }
      ArchiveFiles.delete(List.of(manifest));
    }
    moveShards(ref, shards);
    String manifestJson = manifest(plan, shards).toJson();
    checkFence(ref);
    ArchiveFiles.writeString(manifest, manifestJson, "application/json");
    tablesCounter.inc();
    logCommitted(ref, shards, files.codec(), manifest);
    out.output(manifest.toString());
  }

  /**
   * Moves the table's temp shards to their final names, after removing shards there that are not
   * this run's, and checks each one's size after the move.
   */
  private void moveShards(TableRef ref, List<ShardResult> shards) throws IOException {
    List<ResourceId> sources = new ArrayList<>();
    List<ResourceId> targets = new ArrayList<>();
    for (ShardResult s : shards) {
      sources.add(FileSystems.matchNewResource(s.tempPath(), false));
      targets.add(files.finalShard(ref, files.shardName(s.shard(), s.shardCount())));
    }
    List<ResourceId> stale = new ArrayList<>(files.shardsIn(ref));
    stale.removeIf(r -> targets.stream().anyMatch(t -> t.toString().equals(r.toString())));
    ArchiveFiles.delete(stale);
    // Missing sources are shards an earlier attempt of this commit already moved.
    for (int from = 0; from < sources.size(); from += MOVES_PER_FENCE) {
      int to = Math.min(sources.size(), from + MOVES_PER_FENCE);
      if (from > 0) {
        checkFence(ref);
      }
      FileSystems.rename(
          sources.subList(from, to),
          targets.subList(from, to),
          StandardMoveOptions.IGNORE_MISSING_FILES);
    }
    for (int i = 0; i < targets.size(); i++) {
      long size = ArchiveFiles.sizeOf(targets.get(i));
      if (size != shards.get(i).compressedBytes()) {
        throw new IllegalStateException(
            "shard "
                + targets.get(i)
                + " has "
                + size
                + " bytes after the move, expected "
                + shards.get(i).compressedBytes());
      }
    }
  }

  /**
   * Fails the commit when this run no longer holds the table (see the class doc), after removing
   * this run's temp shards of it: nothing else would (its launcher is gone).
   */
  private void checkFence(TableRef ref) throws IOException {
    String why = fence.check(files.tableOutput(ref), run.runId());
    if (why != null) {
      int removed = files.removeRunTemp(ref, s3);
      throw new IllegalStateException(
          "not committing "
              + ref
              + ": "
              + why
              + " (removed this run's "
              + removed
              + " temp objects)");
    }
  }

  private static void logCommitted(
      TableRef ref, List<ShardResult> shards, ShardCodec codec, ResourceId manifest) {
    long rows = shards.stream().mapToLong(ShardResult::rows).sum();
    long json = shards.stream().mapToLong(ShardResult::jsonBytes).sum();
    long gz = shards.stream().mapToLong(ShardResult::compressedBytes).sum();
    LOG.info(
        "{}: committed {} rows in {} shards, {} MB of {} -> {} MB {} {}, {}",
        ref,
        String.format("%,d", rows),
        shards.size(),
        String.format("%.1f", json / 1e6),
        codec.parquet() ? "values" : "JSON",
        String.format("%.1f", gz / 1e6),
        codec.format(),
        codec.label(),
        manifest);
  }

  private boolean isThisRuns(ResourceId manifest) throws IOException {
    return run.runId().equals(ArchiveManifest.runIdOf(ArchiveFiles.readString(manifest)));
  }

  private static void checkComplete(TablePlan plan, List<ShardResult> shards) {
    if (shards.size() != plan.shardCount()) {
      throw new IllegalStateException(
          plan.table()
              + ": "
              + shards.size()
              + " shards written, "
              + plan.shardCount()
              + " planned");
    }
    for (int i = 0; i < shards.size(); i++) {
      if (shards.get(i).shard() != i) {
        throw new IllegalStateException(plan.table() + ": shard " + i + " is missing or doubled");
      }
    }
  }

  private ArchiveManifest manifest(TablePlan plan, List<ShardResult> shards) {
    boolean consistent =
        run.snapshotId() != null && shards.stream().allMatch(ShardResult::snapshotImported);
    return new ArchiveManifest(
        ArchiveManifest.FORMAT,
        run.runId(),
        plan.table().schema(),
        plan.table().table(),
        run.source(),
        run.serverVersion(),
        run.startedAt().toString(),
        Instant.now().toString(),
        new ArchiveManifest.Snapshot(
            run.snapshotId(),
            consistent,
            run.standby().inRecovery(),
            consistent
                ? "every shard read the launcher's exported snapshot"
                : "the launcher's snapshot could not be shared with every reader;"
                    + " shards may reflect different moments"),
        new ArchiveManifest.Partitioning(plan.strategy(), plan.partitionColumn()),
        plan.filter(),
        plan.filterParameters(),
        files.codec().format(),
        files.codec().label(),
        files.codec().parquet() ? ParquetColumns.schema(plan.archivedColumns()).toString() : null,
        plan.archivedColumns(),
        shards.stream().mapToLong(ShardResult::rows).sum(),
        shards.stream().mapToLong(ShardResult::jsonBytes).sum(),
        shards.stream().mapToLong(ShardResult::compressedBytes).sum(),
        shards.stream()
            .map(
                s ->
                    new ArchiveManifest.Shard(
                        files.shardName(s.shard(), s.shardCount()),
                        s.rows(),
                        s.jsonBytes(),
                        s.compressedBytes(),
                        s.sha256()))
            .toList());
  }
}
