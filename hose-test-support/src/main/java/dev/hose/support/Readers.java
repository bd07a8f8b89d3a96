package dev.hose.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The query engines that read archives in the tests, from the project's pinned Python venv
 * (pipelines/setup-venv.sh: DuckDB and pyarrow beside Airflow, from PyPI), run as their users run
 * them.
 */
public final class Readers {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Readers() {}

  /** What DuckDB returned: its version, and each query's one column as text, in row order. */
  public record DuckDbResult(String version, List<List<String>> results) {}

  /** Runs {@code ddl} and then {@code queries} in a fresh in-memory DuckDB. */
  public static DuckDbResult duckdb(String ddl, List<String> queries, Path work)
      throws IOException, InterruptedException {
    Path ddlFile = Files.createTempFile(work, "ddl-", ".sql");
    Path queriesFile = Files.createTempFile(work, "queries-", ".json");
    Files.writeString(ddlFile, ddl);
    JSON.writeValue(queriesFile.toFile(), queries);
    JsonNode r =
        run(
            "duckdb_query.py",
            List.of(ddlFile.toString(), queriesFile.toString()),
            Map.of(),
            "DDL:\n" + ddl);
    List<List<String>> results = new ArrayList<>();
    for (JsonNode rows : r.path("results")) {
      List<String> values = new ArrayList<>();
      rows.forEach(v -> values.add(v.isNull() ? null : v.asText()));
      results.add(values);
    }
    return new DuckDbResult(r.path("version").asText(), results);
  }

  /**
   * Runs the pyarrow and DuckDB recipes of docs/reading.md on one archived table (a local directory
   * or s3://…, read with {@code env}'s AWS_* variables): see
   * hose-it/src/test/python/read_recipes.py for what the JSON it returns holds.
   */
  public static JsonNode recipes(
      String tableDir, String numericColumn, String timestampColumn, Map<String, String> env)
      throws IOException, InterruptedException {
    return run("read_recipes.py", List.of(tableDir, numericColumn, timestampColumn), env, tableDir);
  }

  /**
   * Times DuckDB's {@code count(*)} and {@code sum(numericColumn)} over one table archived on S3 as
   * JSON lines and as Parquet (hose-it/src/test/python/query_bench.py): best of {@code repeats}.
   */
  public static JsonNode queryTimes(
      String jsonlDir,
      String parquetDir,
      String numericColumn,
      int repeats,
      Map<String, String> env)
      throws IOException, InterruptedException {
    return run(
        "query_bench.py",
        List.of(jsonlDir, parquetDir, numericColumn, String.valueOf(repeats)),
        env,
        jsonlDir + " and " + parquetDir);
  }

  /** Runs one of hose-it/src/test/python's scripts in the venv; its standard output is JSON. */
  private static JsonNode run(
      String script, List<String> args, Map<String, String> env, String context)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(python().toString(), script(script)));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    Process p = pb.redirectErrorStream(false).start();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError(script + " failed: " + err + "\n" + context);
    }
    return JSON.readTree(out);
  }

  private static String script(String name) {
    return Checkout.root().resolve("hose-it/src/test/python").resolve(name).toString();
  }

  /** The venv's python, once pipelines/setup-venv.sh has made sure the venv is current. */
  private static synchronized Path python() throws IOException, InterruptedException {
    Path root = Checkout.root();
    Process setup =
        new ProcessBuilder("bash", "pipelines/setup-venv.sh")
            .directory(root.toFile())
            .redirectErrorStream(true)
            .start();
    String log = new String(setup.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!setup.waitFor(30, TimeUnit.MINUTES) || setup.exitValue() != 0) {
      throw new AssertionError("pipelines/setup-venv.sh failed:\n" + log);
    }
    String venv = System.getenv().getOrDefault("HOSE_AIRFLOW_VENV", "target/airflow/venv");
    return root.resolve(venv).resolve("bin/python");
  }
}
