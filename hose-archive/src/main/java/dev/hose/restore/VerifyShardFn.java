package dev.hose.restore;

import dev.hose.common.WorkerDoFn;
import java.io.IOException;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.StringSet;

/**
 * Checks one shard against its manifest in one streaming pass: it exists with the listed size and
 * sha256, it decompresses cleanly, it has the listed number of lines, and every line is an object
 * with exactly the manifest's columns in order. Problems go to the {@code problems} string set as
 * {@code table<TAB>problem}; the launcher reads them from the pipeline's metrics. A bad shard never
 * fails the run: the next shard is checked all the same.
 */
final class VerifyShardFn extends WorkerDoFn<ShardTask, Void> {
  static final String PROBLEMS = "problems";
  static final String PROBLEM_COUNT = "problemCount";
  static final int MAX_LINE_PROBLEMS = 3;

  private final StringSet problems = Metrics.stringSet(VerifyShardFn.class, PROBLEMS);
  private final Counter problemCount = Metrics.counter(VerifyShardFn.class, PROBLEM_COUNT);
  private final Counter rows = Metrics.counter(VerifyShardFn.class, "rows");
  private final Counter bytes = Metrics.counter(VerifyShardFn.class, "bytes");

  @ProcessElement
  public void process(@Element ShardTask task) throws IOException {
    long size = ArchiveStore.size(task.location());
    if (size < 0) {
      report(task, "missing shard (the manifest lists it)");
      return;
    }
    if (size != task.shard().compressedBytes()) {
      report(task, "size " + size + " bytes, the manifest says " + task.shard().compressedBytes());
    }
    LineShape shape = new LineShape(task.columns());
    int badLines = 0;
    try (ShardStream in = ShardStream.open(task.location())) {
      try {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          String problem = shape.problem(line);
          if (problem != null && ++badLines <= MAX_LINE_PROBLEMS) {
            report(task, "line " + in.lines() + ": " + problem);
          }
        }
        if (in.lines() != task.shard().rows()) {
          report(task, in.lines() + " lines, the manifest says " + task.shard().rows() + " rows");
        }
      } catch (IOException e) {
        report(task, "does not decompress after line " + in.lines() + ": " + e.getMessage());
      }
      in.drain();
      if (!in.sha256().equals(task.shard().sha256())) {
        report(task, "sha256 " + in.sha256() + ", the manifest says " + task.shard().sha256());
      }
      rows.inc(in.lines());
      bytes.inc(in.bytes());
    } catch (IOException e) {
      report(task, "cannot be read as gzip: " + e.getMessage());
    }
    if (badLines > MAX_LINE_PROBLEMS) {
      report(task, badLines + " lines in all do not match the manifest's columns");
    }
  }

  private void report(ShardTask task, String problem) {
    String name = task.location().substring(task.location().lastIndexOf('/') + 1);
    problems.add(task.table() + "\t" + name + ": " + problem);
    problemCount.inc();
  }
}
