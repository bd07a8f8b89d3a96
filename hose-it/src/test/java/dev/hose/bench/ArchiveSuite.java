package dev.hose.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hose.common.FileTrees;
import dev.hose.embedded.EmbeddedPostgresServer;
import dev.hose.embedded.S3Server;
import dev.hose.support.BenchTable;
import dev.hose.support.Checkout;
import dev.hose.support.FlinkSessionCluster;
import dev.hose.support.Readers;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Archive: for each table size, seeds a ~1 KB/row table in an embedded PostgreSQL 16 and runs, on
 * that table and in this order, {@code psql \copy (select row_to_json(t) …) | gzip -6}, hose on
 * DirectRunner, hose on a local Flink session cluster (a fresh one per size, stopped by pid), and
 * stock Beam {@code JdbcIO.readWithPartitions → TextIO} gzip with the same heap and a time limit.
 * Every tool writes gzipped JSON lines to a local directory, which is counted and removed after it.
 */
final class ArchiveSuite {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String PASSWORD_ENV = "HOSE_BENCH_PASSWORD";
  private static final long WARM_UP_ROWS = 20_000;

  private final Settings settings;
  private final Path work;

  /** This size's hose outputs, kept until the Parquet run's queries have read them. */
  private final Map<Run.Tool, Path> kept = new java.util.EnumMap<>(Run.Tool.class);

  private final String password = "bench-" + UUID.randomUUID();
  private EmbeddedPostgresServer pg;
  private FlinkSessionCluster cluster;

  private ArchiveSuite(Settings settings) {
    this.settings = settings;
    this.work = settings.work().resolve("archive");
  }

  static List<Run> run(Settings settings) throws Exception {
    return new ArchiveSuite(settings).runAll();
  }

  private List<Run> runAll() throws Exception {
    List<Run> runs = new ArrayList<>();
    FileTrees.delete(work);
    Files.createDirectories(work);
    try (EmbeddedPostgresServer server =
        EmbeddedPostgresServer.start(work.resolve("pg"), password)) {
      pg = server;
      // Interrupted (Ctrl-C): the cluster's JVMs are not this JVM's children, so stop them here.
      Thread onInterrupt = new Thread(this::stopClusterQuietly, "stop-flink-cluster");
      Runtime.getRuntime().addShutdownHook(onInterrupt);
      try {
        warmUp();
        int i = 0;
        for (long rows : settings.rows()) {
          i++;
          String table = "bench_" + rows;
          System.out.printf("%n[archive %d/%d] %,d rows%n", i, settings.rows().size(), rows);
          long seedStart = System.nanoTime();
          try (Connection c = pg.connect("postgres")) {
            BenchTable.create(c, table, rows);
          }
          System.out.printf(
              "  seeded %s (%s) in %.0f s%n",
              table, tableSize(table), Benchmarks.secondsSince(seedStart));
          runs.add(report(psqlGzip(table, rows)));
          if (settings.runners().contains("direct")) {
            runs.add(report(hose(Run.Tool.HOSE_DIRECT, table, rows)));
          }
          if (settings.runners().contains("zlib")) {
            runs.add(report(hose(Run.Tool.HOSE_ZLIB, table, rows)));
          }
          if (settings.runners().contains("zstd")) {
            runs.add(report(hose(Run.Tool.HOSE_ZSTD, table, rows)));
          }
          if (settings.runners().contains("parquet")) {
            Run parquet = hose(Run.Tool.HOSE_PARQUET, table, rows);
            queryTimes(parquet);
            runs.add(report(parquet));
          }
          if (settings.runners().contains("flink")) {
            // A fresh cluster per size, as DirectRunner gets a fresh JVM: one long-lived
            // TaskManager that ran the three sizes in turn grew by about 180, 90 and 76 MB of
            // RSS, one step per job (class loading, JIT, buffers), which says nothing of rows.
            startCluster();
            try {
              runs.add(report(hose(Run.Tool.HOSE_FLINK, table, rows)));
            } finally {
              stopCluster(rows);
            }
          }
          runs.add(report(stockBeam(table, rows)));
          try (Connection c = pg.connect("postgres");
              Statement s = c.createStatement()) {
            s.execute("DROP TABLE " + table);
          }
        }
      } finally {
        stopClusterQuietly();
        Runtime.getRuntime().removeShutdownHook(onInterrupt);
      }
    }
    FileTrees.delete(work);
    return runs;
  }

  /**
   * One untimed run of each hose runner on a small table, so that the timed runs start from the
   * class cache the launcher records on a command's first run, as every night after a deployment's
   * first does. The launcher keeps one cache per command: the first of these runs records archive's
   * (JSON lines, gzip), the others use it; the Flink client records its own, on a cluster of its
   * own.
   */
  private void warmUp() throws Exception {
    String table = "bench_warm_up";
    System.out.printf("%n[archive] recording the launchers' class caches (untimed)%n");
    try (Connection c = pg.connect("postgres")) {
      BenchTable.create(c, table, WARM_UP_ROWS);
    }
    Map<String, Run.Tool> inProcess =
        Map.of(
            "direct", Run.Tool.HOSE_DIRECT,
            "zlib", Run.Tool.HOSE_ZLIB,
            "zstd", Run.Tool.HOSE_ZSTD,
            "parquet", Run.Tool.HOSE_PARQUET);
    for (String runner : List.of("direct", "zlib", "zstd", "parquet")) {
      if (settings.runners().contains(runner)) {
        warmUpRun(hose(inProcess.get(runner), table, WARM_UP_ROWS));
      }
    }
    if (settings.runners().contains("flink")) {
      startCluster();
      try {
        warmUpRun(hose(Run.Tool.HOSE_FLINK, table, WARM_UP_ROWS));
      } finally {
        stopClusterQuietly();
        FileTrees.delete(work.resolve("flink"));
      }
    }
    for (Path out : kept.values()) {
      FileTrees.delete(out);
    }
    kept.clear();
    try (Connection c = pg.connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE " + table);
    }
  }

  private static void warmUpRun(Run run) {
    if (!run.completed()) {
      throw new IllegalStateException(
          "the untimed warm-up run of " + run.tool() + " failed: " + run.outcome());
    }
    System.out.printf("  %s: %.1f s%n", run.tool().label, run.wallSeconds());
  }

  private void startCluster() throws Exception {
    cluster = startCluster(settings, work.resolve("flink"), password);
  }

  /**
   * A local Flink session cluster of {@code --taskManagers} one-slot TaskManagers with the
   * benchmark's heap, which can read the database password from {@value #PASSWORD_ENV}; the scale
   * suite's too.
   */
  static FlinkSessionCluster startCluster(Settings settings, Path dir, String password)
      throws Exception {
    long start = System.nanoTime();
    FlinkSessionCluster cluster =
        FlinkSessionCluster.builder(dir)
            .taskManagers(settings.taskManagers())
            .slotsPerTaskManager(1)
            .taskHeapMb(settings.flinkTaskHeapMb())
            .env(PASSWORD_ENV, password)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .start();
    System.out.printf(
        "  Flink session cluster up in %.0f s: %s, pids %s (JobManager first)%n",
        Benchmarks.secondsSince(start), cluster.flinkMaster(), cluster.pids());
    return cluster;
  }

  /** Stops this size's cluster by pid and keeps its logs under logs/flink/ROWS/. */
  private void stopCluster(long rows) throws Exception {
    FlinkSessionCluster c = cluster;
    cluster = null;
    c.close();
    Path logs = Files.createDirectories(settings.out().resolve("logs/flink/" + rows));
    try (Stream<Path> files = Files.list(c.logDir())) {
      for (Path f : files.toList()) {
        Files.copy(f, logs.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    FileTrees.delete(work.resolve("flink"));
    System.out.println("  Flink session cluster stopped; its logs are in " + logs);
  }

  private void stopClusterQuietly() {
    FlinkSessionCluster c = cluster;
    cluster = null;
    stopQuietly(c);
  }

  /** Stops {@code cluster} (if any) by pid; says so on stderr if it cannot. */
  static void stopQuietly(FlinkSessionCluster cluster) {
    if (cluster == null) {
      return;
    }
    try {
      cluster.close();
    } catch (Exception e) {
      System.err.println("could not stop the Flink cluster: " + e.getMessage());
    }
  }

  private Run psqlGzip(String table, long rows) throws Exception {
    Path dir = Files.createDirectories(work.resolve("out-psql"));
    Path out = dir.resolve("copy.jsonl.gz");
    String cmd =
        "set -o pipefail; psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "
            + pg.port()
            + " -U postgres -d postgres -c \"\\copy (SELECT row_to_json(t) FROM "
            + table
            + " t) TO STDOUT\" | gzip -6 > "
            + out;
    Child.Exit e;
    List<ProcessSampler.Sample> samples;
    try (ProcessSampler sampler = sampler(Run.Tool.PSQL_GZIP, rows)) {
      e =
          Child.run(
              List.of("bash", "-c", cmd),
              Map.of("PGPASSWORD", password),
              log(Run.Tool.PSQL_GZIP, rows),
              settings.runTimeoutSeconds(),
              sampler,
              "psql+gzip",
              false);
      samples = sampler.samples();
    }
    Counted counted = countLines(dir);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("jsonMB", counted.bytes / 1e6);
    details.put("gzipMB", Files.size(out) / 1e6);
    details.put("rowsWritten", counted.lines);
    FileTrees.delete(dir);
    return new Run(
        Run.Tool.PSQL_GZIP,
        String.valueOf(rows),
        e.ok() ? counted.lines : 0,
        e.seconds(),
        outcome(e, counted.lines == rows, "rows written " + counted.lines),
        details,
        samples);
  }

  private Run hose(Run.Tool tool, String table, long rows) throws Exception {
    Path out = work.resolve("out-" + tool.key());
    // As deployed: the job jar on DirectRunner; on Flink, hose.jar submits and stages the job jar.
    List<String> args = List.of("archive");
    if (tool == Run.Tool.HOSE_FLINK) {
      args = List.of("archive", "--runner=FlinkRunner");
    }
    List<String> cmd = Child.hose(args);
    cmd.addAll(
        List.of(
            "archive",
            "--jdbcUrl=" + pg.jdbcUrl("postgres"),
            "--username=postgres",
            "--passwordEnv=" + PASSWORD_ENV,
            "--tables=public." + table,
            "--output=" + out));
    if (tool == Run.Tool.HOSE_FLINK) {
      cmd.add(
          "--runnerConfig=" + Checkout.root().resolve("runner-configs/flink-cluster.properties"));
      cmd.add("--flinkMaster=" + cluster.flinkMaster());
      cmd.add("--parallelism=" + settings.taskManagers());
    }
    if (tool == Run.Tool.HOSE_ZSTD) {
      cmd.add("--compression=zstd");
    }
    if (tool == Run.Tool.HOSE_PARQUET) {
      cmd.add("--format=parquet");
    }
    Child.Exit e;
    List<ProcessSampler.Sample> samples;
    try (ProcessSampler sampler = sampler(tool, rows)) {
      if (cluster != null && tool == Run.Tool.HOSE_FLINK) {
        List<Long> pids = cluster.pids();
        sampler.watch("jobmanager", pids.get(0), true);
        for (int i = 1; i < pids.size(); i++) {
          sampler.watch("taskmanager-" + i, pids.get(i), true);
        }
      }
      e =
          Child.run(
              cmd,
              Child.hoseEnv(
                  settings,
                  tool == Run.Tool.HOSE_ZLIB
                      ? Map.of(PASSWORD_ENV, password, "HOSE_LIBDEFLATE", "off")
                      : Map.of(PASSWORD_ENV, password)),
              log(tool, rows),
              settings.runTimeoutSeconds(),
              sampler,
              tool == Run.Tool.HOSE_FLINK ? "client" : "hose",
              true);
      samples = sampler.samples();
    }
    Map<String, Object> details = new LinkedHashMap<>();
    long written = 0;
    Path manifest = out.resolve("public." + table).resolve("_manifest.json");
    if (e.ok() && Files.exists(manifest)) {
      JsonNode m = JSON.readTree(manifest.toFile());
      written = m.path("rowCount").asLong();
      details.put("jsonMB", m.path("jsonBytes").asLong() / 1e6);
      details.put("gzipMB", m.path("compressedBytes").asLong() / 1e6);
      details.put("shards", m.path("shards").size());
      details.put("rowsWritten", written);
      fixedCosts(e, details);
      String gzip = e.lastLine("INFO  LibDeflate - gzip: ");
      if (!gzip.isEmpty()) { // which gzip wrote the shards: libdeflate, or java.util.zip and why
        details.put("gzip", gzip.substring(gzip.indexOf("gzip: ") + "gzip: ".length()));
      }
    } else {
      details.put("error", e.lastLine("error"));
    }
    if (tool == Run.Tool.HOSE_FLINK) {
      JsonNode job = cluster.jobs().isEmpty() ? null : cluster.jobs().get(0);
      if (job != null) {
        details.put("flinkJobState", job.path("state").asText());
        details.put("flinkJobSeconds", job.path("duration").asLong() / 1000.0);
        details.put(
            "clientSecondsBeforeJob", (job.path("start-time").asLong() - e.startMillis()) / 1000.0);
      }
    }
    if (tool == Run.Tool.HOSE_DIRECT || tool == Run.Tool.HOSE_PARQUET) {
      kept.put(tool, out); // queried by queryTimes after the Parquet run
    } else {
      FileTrees.delete(out);
    }
    return new Run(
        tool,
        String.valueOf(rows),
        e.ok() ? written : 0,
        e.seconds(),
        outcome(e, written == rows, "manifest rowCount " + written),
        details,
        samples);
  }

  /**
   * DuckDB's {@code count(*)} and {@code sum(amount)} over this size's JSON-lines (gzip) and
   * Parquet archives, both uploaded to an S3Proxy on loopback, read as docs/reading.md's recipes
   * read them; best of 3 each, into the Parquet run's details. Removes both archives.
   */
  private void queryTimes(Run parquet) throws Exception {
    Path jsonl = kept.remove(Run.Tool.HOSE_DIRECT);
    Path pq = kept.remove(Run.Tool.HOSE_PARQUET);
    try {
      if (jsonl == null || pq == null || !parquet.completed()) {
        return;
      }
      System.out.printf("  DuckDB count(*), sum(amount) over both archives on S3Proxy …%n");
      String key = "AKIABENCH";
      String secret = "bench-secret";
      try (S3Server s3 = S3Server.start(work.resolve("s3"), 0, key, secret);
          S3Client client =
              S3Client.builder()
                  .endpointOverride(s3.endpoint())
                  .region(Region.US_EAST_1)
                  .forcePathStyle(true)
                  .credentialsProvider(
                      StaticCredentialsProvider.create(AwsBasicCredentials.create(key, secret)))
                  .build()) {
        s3.createBucket("bench");
        upload(client, jsonl, "jsonl/");
        upload(client, pq, "parquet/");
        String table = "public.bench_" + parquet.size();
        JsonNode t =
            Readers.queryTimes(
                "s3://bench/jsonl/" + table + "/",
                "s3://bench/parquet/" + table + "/",
                "amount",
                3,
                Map.of(
                    "AWS_ENDPOINT_URL", s3.endpoint().toString(),
                    "AWS_ACCESS_KEY_ID", key,
                    "AWS_SECRET_ACCESS_KEY", secret));
        double j = t.at("/jsonl/seconds").asDouble();
        double p = t.at("/parquet/seconds").asDouble();
        parquet.details().put("duckdbJsonlS", j);
        parquet.details().put("duckdbParquetS", p);
        String jsonlResult =
            t.at("/jsonl/count").asText() + " rows, sum " + t.at("/jsonl/sum").asText();
        String parquetResult =
            t.at("/parquet/count").asText() + " rows, sum " + t.at("/parquet/sum").asText();
        parquet
            .details()
            .put(
                "duckdbSameResult",
                jsonlResult.equals(parquetResult)
                    ? "yes (" + parquetResult + ")"
                    : "NO: " + jsonlResult + " vs " + parquetResult);
        System.out.printf("      JSON lines %.2f s, Parquet %.2f s (%.2f×)%n", j, p, p / j);
      }
    } finally {
      FileTrees.delete(work.resolve("s3"));
      if (jsonl != null) {
        FileTrees.delete(jsonl);
      }
      if (pq != null) {
        FileTrees.delete(pq);
      }
    }
  }

  private static void upload(S3Client client, Path dir, String prefix) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        client.putObject(
            b -> b.bucket("bench").key(prefix + dir.relativize(f).toString().replace('\\', '/')),
            RequestBody.fromFile(f));
      }
    }
  }

  /**
   * From hose's "fixed cost:" line (wall-clock times of the first range query and the last shard
   * written): seconds from the command's start to the first range query, and from the last shard to
   * the process's exit.
   */
  private static void fixedCosts(Child.Exit e, Map<String, Object> details) throws IOException {
    String line = e.lastLine("fixed cost:");
    long firstQuery = millis(line, "firstRangeQueryMillis=");
    long lastShard = millis(line, "lastShardMillis=");
    if (firstQuery > 0 && lastShard > 0) {
      details.put("startToFirstQueryS", (firstQuery - e.startMillis()) / 1000.0);
      details.put("lastShardToExitS", (e.endMillis() - lastShard) / 1000.0);
    }
  }

  private static long millis(String line, String key) {
    int i = line.indexOf(key);
    if (i < 0) {
      return 0;
    }
    int end = i + key.length();
    while (end < line.length() && Character.isDigit(line.charAt(end))) {
      end++;
    }
    return Long.parseLong(line.substring(i + key.length(), end));
  }

  private Run stockBeam(String table, long rows) throws Exception {
    Path dir = Files.createDirectories(work.resolve("out-stock"));
    List<String> cmd = Child.java(settings.heap(), "-cp", System.getProperty("java.class.path"));
    cmd.addAll(
        List.of(
            StockBeamArchive.class.getName(),
            pg.jdbcUrl("postgres"),
            "postgres",
            PASSWORD_ENV,
            table,
            Long.toString(rows),
            dir.resolve("part").toString()));
    Child.Exit e;
    List<ProcessSampler.Sample> samples;
    ProcessSampler.Sample lastHeap;
    try (ProcessSampler sampler = sampler(Run.Tool.STOCK_BEAM, rows)) {
      e =
          Child.run(
              cmd,
              Map.of(PASSWORD_ENV, password),
              log(Run.Tool.STOCK_BEAM, rows),
              settings.stockTimeoutSeconds(),
              sampler,
              "stock-beam",
              true);
      samples = sampler.samples();
      lastHeap = sampler.last("stock-beam");
    }
    Counted counted = countLines(dir);
    String read = e.lastLine("rows read ").replace("rows read ", "");
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("rowsReadFromPostgres", read.isEmpty() ? 0 : Long.parseLong(read));
    details.put("rowsWritten", counted.lines);
    details.put("gzipMB", counted.gzipBytes / 1e6);
    details.put("jsonMB", counted.bytes / 1e6);
    if (lastHeap != null) {
      details.put("lastHeapUsedMB", Math.round(lastHeap.heapUsedMb()));
    }
    String outcome;
    if (e.ok()) {
      outcome = counted.lines == rows ? Run.COMPLETED : "completed with " + counted.lines + " rows";
    } else {
      String how =
          e.timedOut()
              ? "time limit (" + settings.stockTimeoutSeconds() + " s)"
              : e.lastLine("OutOfMemoryError").isEmpty()
                  ? "failed (exit " + e.code() + ")"
                  : String.format("out of memory after %.0f s", e.seconds());
      outcome =
          String.format(
              "%s; %,d rows read, %,d rows (%.0f MB gzip) written",
              how, details.get("rowsReadFromPostgres"), counted.lines, counted.gzipBytes / 1e6);
    }
    FileTrees.delete(dir);
    return new Run(
        Run.Tool.STOCK_BEAM,
        String.valueOf(rows),
        outcome.equals(Run.COMPLETED) ? rows : 0,
        e.seconds(),
        outcome,
        details,
        samples);
  }

  private static String outcome(Child.Exit e, boolean allRows, String what) throws IOException {
    if (e.timedOut()) {
      return "time limit";
    }
    if (e.code() != 0) {
      String error = e.lastLine("rror");
      return "failed (exit " + e.code() + ")" + (error.isEmpty() ? "" : ": " + error);
    }
    return allRows ? Run.COMPLETED : "incomplete: " + what;
  }

  private Run report(Run r) {
    System.out.printf(
        "  %-44s %7.1f s %,9.0f rows/s  peak RSS %s MB  %s%n",
        r.tool().label,
        r.wallSeconds(),
        r.perSecond(),
        Benchmarks.rolesMb(r.peakRssByRole()),
        r.outcome());
    return r;
  }

  private ProcessSampler sampler(Run.Tool tool, long rows) {
    System.out.printf("  %s …%n", tool.label);
    return ProcessSampler.start(tool.key() + " " + rows, settings.intervalMillis());
  }

  private Path log(Run.Tool tool, long rows) {
    return settings.out().resolve("logs").resolve(tool.key() + "-" + rows + ".log");
  }

  private String tableSize(String table) throws Exception {
    try (Connection c = pg.connect("postgres");
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT pg_size_pretty(pg_total_relation_size('" + table + "'))")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private record Counted(long lines, long bytes, long gzipBytes) {}

  /**
   * Lines and uncompressed bytes of every gzip file under {@code dir}, as far as each can be read
   * (a baseline stopped mid-write leaves truncated files; their complete lines still count).
   */
  private static Counted countLines(Path dir) throws IOException {
    long lines = 0;
    long bytes = 0;
    long gz = 0;
    List<Path> files;
    try (Stream<Path> s = Files.walk(dir)) {
      files = s.filter(Files::isRegularFile).toList();
    }
    byte[] buf = new byte[1 << 16];
    for (Path f : files) {
      gz += Files.size(f);
      try (InputStream in =
          new GZIPInputStream(new BufferedInputStream(Files.newInputStream(f), 1 << 16), 1 << 16)) {
        for (int n; (n = in.read(buf)) > 0; ) {
          bytes += n;
          for (int i = 0; i < n; i++) {
            if (buf[i] == '\n') {
              lines++;
            }
          }
        }
      } catch (EOFException | java.util.zip.ZipException e) {
        // truncated: what was read counts
      }
    }
    return new Counted(lines, bytes, gz);
  }
}
