package dev.hose.restore;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hose.archive.ArchiveFiles;
import dev.hose.archive.ArchiveManifest;
import dev.hose.archive.TableRef;
import dev.hose.common.Errors;
import dev.hose.common.Json;
import dev.hose.common.PipelineRuns;
import dev.hose.common.UserError;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.metrics.StringSetResult;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;

/**
 * {@code hose verify}: every shard of every manifest under the input, read back and checked. The
 * pipeline's elements are shards, never rows, so memory stays flat whatever the archive's size;
 * problems come back to the launcher through a metric (a string set), not as pipeline output.
 */
public final class VerifyPipeline {
  private VerifyPipeline() {}

  /** One table's result. */
  public record TableResult(
      String table, long rows, int shards, long bytes, List<String> problems) {
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  /** Every table's result, in the order the manifests were found. */
  public record Report(List<TableResult> tables) {
    public boolean ok() {
      return tables.stream().allMatch(TableResult::ok);
    }

    /** {@code --reportFile}: the result as JSON, written whole (a temp file renamed in place). */
    public void write(Path file) throws IOException {
      ObjectNode root = Json.MAPPER.createObjectNode();
      root.put("command", "verify");
      root.put("ok", ok());
      ArrayNode list = root.putArray("tables");
      for (TableResult t : tables) {
        ObjectNode n = list.addObject();
        n.put("table", t.table());
        n.put("ok", t.ok());
        n.put("rows", t.rows());
        n.put("shards", t.shards());
        n.put("bytes", t.bytes());
        t.problems().forEach(n.putArray("problems")::add);
      }
      Path target = file.toAbsolutePath();
      Path temp = Files.createTempFile(target.getParent(), ".hose-verify", ".json");
      try {
        Files.write(temp, Json.PRETTY.writeValueAsBytes(root));
        Files.move(
            temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(temp);
      }
    }

    /** One line per problem, then one summary line per table. */
    public void print(PrintStream out) {
      for (TableResult t : tables) {
        t.problems().forEach(p -> out.println(t.table() + ": " + p));
      }
      for (TableResult t : tables) {
        out.printf(
            "%s: %,d rows, %d shards, %,d bytes: %s%n",
            t.table(),
            t.rows(),
            t.shards(),
            t.bytes(),
            t.ok() ? "OK" : "FAILED (" + t.problems().size() + " problems)");
      }
    }
  }

  /*
   * Steps:
   * 1) Find the manifests under the input (one table's directory, or a run's prefix).
   * 2) Check each table's directory for what its manifest does not list, and for temp debris.
   * 3) Run the pipeline: shards → VerifyShard (size, sha256, decompression, lines, columns).
   * 4) Gather the problems from the pipeline's metrics into one result per table.
   */
  public static Report run(VerifyOptions options) throws Exception {
    FileSystems.setDefaultPipelineOptions(options);
    String input = ArchiveStore.asDirectory(options.getInput());
    List<TableResult> unreadable = new ArrayList<>();
    if (input.contains(ArchiveFiles.TABLE_PLACEHOLDER) && options.getTables() == null) {
      throw new UserError(
          "--input holds " + ArchiveFiles.TABLE_PLACEHOLDER + ": name the tables with --tables");
    }
    Map<String, ArchivedTable> manifests =
        options.getTables() == null
            ? findManifests(input, unreadable)
            : readManifests(input, TableRef.parseList(options.getTables()), unreadable);
    Map<String, List<String>> problems = checkDirectories(input, manifests);
    Set<String> shardProblems = verifyShards(options, manifests);
    return report(manifests, problems, shardProblems, unreadable);
  }

  /**
   * The manifests of {@code tables} under a run's prefix, in that order; a table without a readable
   * manifest is a failed table of its own.
   */
  private static Map<String, ArchivedTable> readManifests(
      String input, List<TableRef> tables, List<TableResult> unreadable) {
    Map<String, ArchivedTable> manifests = new LinkedHashMap<>();
    for (TableRef table : tables) {
      try {
        ArchivedTable m = ArchivedTable.read(ArchiveFiles.tableDir(input, table));
        manifests.put(m.tableName(), m);
      } catch (UserError | IOException e) {
        unreadable.add(new TableResult(table.dirName(), 0, 0, 0, List.of(Errors.describe(e))));
      }
    }
    return manifests;
  }

  /** The manifests under the input; one that cannot be read is a failed table of its own. */
  private static Map<String, ArchivedTable> findManifests(
      String input, List<TableResult> unreadable) throws IOException {
    List<String> dirs = ArchivedTable.tableDirs(input);
    if (dirs.isEmpty()) {
      throw new UserError("no " + ArchiveManifest.FILE + " in " + input + " or its subdirectories");
    }
    Map<String, ArchivedTable> manifests = new LinkedHashMap<>();
    for (String dir : dirs) {
      try {
        ArchivedTable m = ArchivedTable.read(dir);
        manifests.put(m.tableName(), m);
      } catch (UserError e) {
        String name = dir.substring(ArchiveStore.parent(dir).length(), dir.length() - 1);
        unreadable.add(new TableResult(name, 0, 0, 0, List.of(e.getMessage())));
      }
    }
    return manifests;
  }

  /** Objects a table's directory holds that its manifest does not list, and _hose_temp debris. */
  private static Map<String, List<String>> checkDirectories(
      String input, Map<String, ArchivedTable> manifests) throws IOException {
    Map<String, List<String>> problems = new LinkedHashMap<>();
    for (ArchivedTable m : manifests.values()) {
      List<String> found = new ArrayList<>();
      Set<String> listed = new java.util.HashSet<>(m.shards().stream().map(m::location).toList());
      listed.add(m.dir() + ArchiveManifest.FILE);
      listed.add(m.dir() + ArchiveFiles.CLAIM); // a run of the table that is under way
      for (String object : ArchiveStore.list(m.dir() + "*")) {
        if (!listed.contains(object)) {
          found.add("unlisted object " + object.substring(m.dir().length()));
        }
      }
      String root = m.dir().equals(input) ? ArchiveStore.parent(input) : input;
      String temp = root + ArchiveFiles.TEMP_DIR + "/";
      if (!input.contains(ArchiveFiles.TABLE_PLACEHOLDER)) {
        for (String debris : ArchiveStore.list(temp + "**")) {
          if (debris.contains("/" + m.tableName() + "/")) {
            found.add("temp debris " + debris.substring(root.length()));
          }
        }
      }
      // An output with {table} keeps each table's temp shards in its own _hose_temp/.
      for (String debris : ArchiveStore.list(m.dir() + ArchiveFiles.TEMP_DIR + "/**")) {
        found.add("temp debris " + debris.substring(m.dir().length()));
      }
      problems.put(m.tableName(), found);
    }
    return problems;
  }

  private static Set<String> verifyShards(
      VerifyOptions options, Map<String, ArchivedTable> manifests) throws IOException {
    List<ShardTask> tasks = new ArrayList<>();
    for (ArchivedTable m : manifests.values()) {
      m.shards().forEach(s -> tasks.add(ShardTask.of(m, s)));
    }
    if (tasks.isEmpty()) {
      return Set.of();
    }
    Pipeline pipeline = Pipeline.create(options);
    // Batches of a few shards per core, so that each worker checks several at once.
    int batch = 2 * Runtime.getRuntime().availableProcessors();
    pipeline
        .apply(
            "ListShards",
            Create.of(ShardBatch.of(tasks, batch))
                .withCoder(SerializableCoder.of(ShardBatch.class)))
        .apply("VerifyShards", ParDo.of(new VerifyShardFn()));
    return problemsOf(PipelineRuns.runToDone(pipeline));
  }

  static Set<String> problemsOf(PipelineResult result) {
    MetricQueryResults metrics =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.inNamespace(VerifyShardFn.class))
                    .build());
    Set<String> found = new java.util.TreeSet<>();
    for (MetricResult<StringSetResult> r : metrics.getStringSets()) {
      if (r.getName().getName().equals(VerifyShardFn.PROBLEMS)) {
        found.addAll(r.getAttempted().getStringSet());
      }
    }
    long count = 0;
    for (MetricResult<Long> r : metrics.getCounters()) {
      if (r.getName().getName().equals(VerifyShardFn.PROBLEM_COUNT)) {
        count += r.getAttempted();
      }
    }
    if (count > found.size()) {
      found.add("*\t" + (count - found.size()) + " more problems than could be reported");
    }
    return found;
  }

  private static Report report(
      Map<String, ArchivedTable> manifests,
      Map<String, List<String>> problems,
      Set<String> shards,
      List<TableResult> unreadable) {
    List<TableResult> tables = new ArrayList<>(unreadable);
    for (ArchivedTable m : manifests.values()) {
      List<String> all = new ArrayList<>(problems.get(m.tableName()));
      for (String p : shards) {
        int tab = p.indexOf('\t');
        String table = p.substring(0, tab);
        if (table.equals(m.tableName()) || table.equals("*")) {
          all.add(p.substring(tab + 1));
        }
      }
      long shardRows = m.shards().stream().mapToLong(ArchiveManifest.Shard::rows).sum();
      if (shardRows != m.rowCount()) {
        all.add("the shards' rows add up to " + shardRows + ", rowCount says " + m.rowCount());
      }
      long bytes = m.shards().stream().mapToLong(ArchiveManifest.Shard::compressedBytes).sum();
      tables.add(new TableResult(m.tableName(), m.rowCount(), m.shards().size(), bytes, all));
    }
    return new Report(tables);
  }
}
