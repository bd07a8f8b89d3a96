package dev.hose.restore;

import dev.hose.common.BundleThreads;
import dev.hose.common.WorkerDoFn;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.StringSet;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Checks shards against their manifest, each in one streaming pass: it exists with the listed size
 * and sha256, it decompresses cleanly, it has the listed number of lines, and every line is an
 * object with exactly the manifest's columns in order. Problems go to the {@code problems} string
 * set as {@code table<TAB>problem}; the launcher reads them from the pipeline's metrics. A bad
 * shard never fails the run: the next shard is checked all the same.
 *
 * <p>Each instance checks a batch's shards on as many threads as the worker has cores ({@link
 * BundleThreads}): decompressing and hashing are CPU work, one core per shard. Metrics are counted
 * on the bundle's thread, where the runner reads them.
 */
final class VerifyShardFn extends WorkerDoFn<ShardBatch, Void> {
  static final String PROBLEMS = "problems";
  static final String PROBLEM_COUNT = "problemCount";
  static final int MAX_LINE_PROBLEMS = 3;

  private final StringSet problems = Metrics.stringSet(VerifyShardFn.class, PROBLEMS);
  private final Counter problemCount = Metrics.counter(VerifyShardFn.class, PROBLEM_COUNT);
  private final Counter rows = Metrics.counter(VerifyShardFn.class, "rows");
  private final Counter bytes = Metrics.counter(VerifyShardFn.class, "bytes");
  private transient BundleThreads<Checked> threads;

  /** What checking one shard found. */
  record Checked(List<String> problems, long rows, long bytes) {}

  @Override
  protected void setUp(PipelineOptions options) {
    threads = new BundleThreads<>("hose-verify", Runtime.getRuntime().availableProcessors());
  }

  @Override
  protected void tearDown() {
    if (threads != null) {
      threads.close();
    }
  }

  @ProcessElement
  public void process(@Element ShardBatch batch) throws Exception {
    for (ShardTask task : batch.shards()) {
      threads.submit(() -> check(task));
    }
    threads.finish(
        checked -> {
          checked.problems().forEach(problems::add);
          problemCount.inc(checked.problems().size());
          rows.inc(checked.rows());
          bytes.inc(checked.bytes());
        });
  }

  /** Checks one shard; each problem is one {@code table<TAB>shard: problem} line. */
  static Checked check(ShardTask task) throws IOException {
    List<String> found = new ArrayList<>();
    Consumer<String> report =
        problem -> found.add(task.table() + "\t" + task.name() + ": " + problem);
    long size = ArchiveStore.size(task.location());
    if (size < 0) {
      report.accept("missing shard (the manifest lists it)");
      return new Checked(found, 0, 0);
    }
    if (size != task.shard().compressedBytes()) {
      report.accept("size " + size + " bytes, the manifest says " + task.shard().compressedBytes());
    }
    return task.codec().parquet()
        ? checkParquet(task, report, found)
        : checkLines(task, report, found);
  }

  /**
   * A Parquet shard: its sha256, its footer, its schema against the manifest's columns and its row
   * count. (The sha256 covers every page; the pages are decoded by restore.)
   */
  private static Checked checkParquet(ShardTask task, Consumer<String> report, List<String> found)
      throws IOException {
    ShardStream.Digest digest = ShardStream.digest(task.location());
    if (!digest.sha256().equals(task.shard().sha256())) {
      report.accept("sha256 " + digest.sha256() + ", the manifest says " + task.shard().sha256());
    }
    long rows = 0;
    try (ParquetShard shard = ParquetShard.open(task.location())) {
      rows = shard.rows();
      String schema = shard.schemaProblem(task.columns());
      if (schema != null) {
        report.accept(schema);
      }
      if (rows != task.shard().rows()) {
        report.accept(rows + " rows in its footer, the manifest says " + task.shard().rows());
      }
    } catch (IOException | RuntimeException e) {
      report.accept("is not a readable Parquet file (" + e.getMessage() + ")");
    }
    return new Checked(found, rows, digest.bytes());
  }

  private static Checked checkLines(ShardTask task, Consumer<String> report, List<String> found)
      throws IOException {
    LineShape shape = new LineShape(task.columnNames());
    int badLines = 0;
    long lines = 0;
    long read = 0;
    try (ShardStream in = task.open()) {
      try {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          String problem = shape.problem(line);
          if (problem != null && ++badLines <= MAX_LINE_PROBLEMS) {
            report.accept("line " + in.lines() + ": " + problem);
          }
        }
        if (in.lines() != task.shard().rows()) {
          report.accept(in.lines() + " lines, the manifest says " + task.shard().rows() + " rows");
        }
      } catch (IOException e) {
        report.accept("does not decompress after line " + in.lines() + ": " + e.getMessage());
      }
      in.drain();
      if (!in.sha256().equals(task.shard().sha256())) {
        report.accept("sha256 " + in.sha256() + ", the manifest says " + task.shard().sha256());
      }
      lines = in.lines();
      read = in.bytes();
    } catch (IOException e) {
      report.accept("cannot be read as " + task.codec().label() + ": " + e.getMessage());
    }
    if (badLines > MAX_LINE_PROBLEMS) {
      report.accept(badLines + " lines in all do not match the manifest's columns");
    }
    return new Checked(found, lines, read);
  }
}
