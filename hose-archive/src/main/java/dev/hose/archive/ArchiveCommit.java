package dev.hose.archive;

import dev.hose.common.Errors;
import dev.hose.common.Retry;
import dev.hose.common.UserError;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run's tables at their destination, before and after the pipeline: the destination checked and
 * cleared of earlier runs' temp objects; then the commit checked (every manifest is this run's), or
 * rolled back (nothing uncommitted left at the final paths); and {@code --cleanup}.
 */
final class ArchiveCommit {
  private static final Logger LOG =
      LoggerFactory.getLogger(ArchivePipeline.class); // archive's log, as users read it

  private final ArchiveFiles files;
  private final List<TableRef> tables;
  private final S3Options s3;

  ArchiveCommit(ArchiveFiles files, List<TableRef> tables, S3Options s3) {
    this.files = files;
    this.tables = List.copyOf(tables);
    this.s3 = s3;
  }

  /**
   * Fails early when the output can't be written or is committed already (unless {@code
   * overwrite}), and removes the temp objects and uploads of earlier runs.
   */
  void prepare(boolean overwrite) throws IOException {
    ResourceId probe =
        files.runTempDir(tables.get(0)).resolve("_probe", StandardResolveOptions.RESOLVE_FILE);
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
    int stale = files.removeTemp(tables, files.runId(), s3);
    if (stale > 0) {
      LOG.info("removed {} temp objects/uploads left by earlier runs", stale);
    }
  }

  /**
   * After the pipeline: checks that every manifest is this run's, reports the ranges exported more
   * than once, and removes the run's temp objects and uploads.
   */
  List<ArchivePipeline.TableSummary> check(int ranges) throws IOException {
    List<ArchivePipeline.TableSummary> summaries = readCommitted();
    logRangesExportedTwice(ranges);
    files.removeTemp(tables, null, s3);
    return summaries;
  }

  private List<ArchivePipeline.TableSummary> readCommitted() throws IOException {
    String runId = files.runId();
    List<ArchivePipeline.TableSummary> summaries = new ArrayList<>();
    for (TableRef table : tables) {
      ResourceId manifest = files.manifest(table);
      ArchiveManifest m = ArchiveManifest.parse(ArchiveFiles.readString(manifest));
      if (!runId.equals(m.runId())) {
        throw new IllegalStateException(manifest + " was not written by run " + runId);
      }
      summaries.add(
          new ArchivePipeline.TableSummary(
              table.toString(),
              m.rowCount(),
              m.shards().size(),
              m.jsonBytes(),
              m.compressedBytes(),
              m.codec().format() + " " + m.codec().label(),
              manifest.toString(),
              runId,
              m.snapshot().id()));
    }
    return summaries;
  }

  /**
   * Logs what a runner's restarts cost. The commit used one attempt per range, so a range with
   * another attempt left in the temp dir was exported again after a worker was lost. Only a report:
   * a listing that fails does not fail a committed run.
   */
  private void logRangesExportedTwice(int ranges) {
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
   * After a failure: no shard without a manifest of this run, no temp object, no upload. Retried
   * for about half a minute, since the failure may be the storage itself being briefly away.
   */
  void rollBack() {
    Retry.bestEffort(6, 2_000, this::rollBackOnce)
        .ifPresent(
            e ->
                LOG.warn(
                    "cleanup after the failure was incomplete ({}); run with --cleanup",
                    e.toString()));
  }

  private void rollBackOnce() throws IOException {
    for (TableRef table : tables) {
      if (!ArchiveFiles.exists(files.manifest(table))) {
        ArchiveFiles.delete(files.shardsIn(table));
      }
    }
    files.removeTemp(tables, null, s3);
  }

  /** {@code --cleanup}: temp objects, uploads and the shards of tables with no manifest. */
  void cleanup() throws IOException {
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
}
