package dev.hose.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hose.demo.EmbeddedPostgresServer;
import dev.hose.support.BenchTable;
import dev.hose.support.HoseProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.postgresql.PGConnection;

/**
 * A benchmark command, not a test: seeds ~1 KB/row tables in a real PostgreSQL server and, in the
 * same invocation on the same tables, runs (1) {@code psql \copy (select row_to_json(t) ...) |
 * gzip -6} (or the same COPY through the JDBC driver piped to the system gzip when psql is not
 * installed), (2) hose archive on DirectRunner in its own JVM, and (3) stock Beam {@code
 * JdbcIO.readWithPartitions → TextIO} with the same heap and a time limit. Reports wall time,
 * rows/s, MB/s of JSON and peak RSS, and writes target/bench/archive.json.
 *
 * <pre>
 * mvn -q -B package -DskipTests
 * java -cp target/hose.jar:target/test-classes dev.hose.archive.ArchiveBenchmark \
 *     --rows=1000000,5000000 --heap=256m --stockTimeout=300
 * </pre>
 */
public final class ArchiveBenchmark {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public static void main(String[] args) throws Exception {
    List<Long> sizes = List.of(1_000_000L, 5_000_000L);
    String heap = "256m";
    long stockTimeout = 300;
    Path work = Path.of("target/bench");
    for (String a : args) {
      if (a.startsWith("--rows=")) {
        sizes = Stream.of(a.substring(7).split(",")).map(Long::parseLong).toList();
      } else if (a.startsWith("--heap=")) {
        heap = a.substring(7);
      } else if (a.startsWith("--stockTimeout=")) {
        stockTimeout = Long.parseLong(a.substring(15));
      } else if (a.startsWith("--work=")) {
        work = Path.of(a.substring(7));
      } else {
        throw new IllegalArgumentException("unknown option " + a);
      }
    }
    work = work.toAbsolutePath();
    deleteTree(work);
    Files.createDirectories(work);
    System.out.println("machine: " + machine());
    String password = "bench-" + System.nanoTime();
    List<Map<String, Object>> results = new ArrayList<>();
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(work.resolve("pg"), password)) {
      Map<String, String> env = Map.of("HOSE_BENCH_PASSWORD", password, "PGPASSWORD", password);
      for (long rows : sizes) {
        String table = "bench_" + rows;
        long seedStart = System.nanoTime();
        try (Connection c = pg.connect("postgres")) {
          BenchTable.create(c, table, rows);
        }
        System.out.printf("seeded %,d rows in %.0f s%n", rows, secs(seedStart));

        Map<String, Object> copy = copyBaseline(pg, table, rows, work.resolve("copy-" + rows));
        results.add(copy);
        print(copy);

        Path out = work.resolve("hose-" + rows);
        long start = System.nanoTime();
        HoseProcess.Result hose =
            HoseProcess.run(
                List.of("-Xmx" + heap),
                List.of(
                    "archive",
                    "--jdbcUrl=" + pg.jdbcUrl("postgres"),
                    "--username=postgres",
                    "--passwordEnv=HOSE_BENCH_PASSWORD",
                    "--tables=public." + table,
                    "--output=" + out),
                env,
                work.resolve("hose-" + rows + "-log"),
                3600);
        double hoseSeconds = secs(start);
        if (hose.exit() != 0) {
          throw new IllegalStateException("hose failed: " + hose.stderr());
        }
        JsonNode manifest =
            new ObjectMapper().readTree(out.resolve("public." + table).resolve("_manifest.json").toFile());
        long jsonBytes = manifest.get("jsonBytes").asLong();
        Map<String, Object> h =
            result("hose archive (DirectRunner, -Xmx" + heap + ")", rows, hoseSeconds, jsonBytes,
                manifest.get("compressedBytes").asLong(), hose.peakRssKb(), "completed");
        results.add(h);
        print(h);

        results.add(stockBaseline(pg, table, rows, heap, stockTimeout, env, work.resolve("stock-" + rows), jsonBytes));
        print(results.get(results.size() - 1));
        double ratio = hoseSeconds / (double) copy.get("wallSeconds");
        System.out.printf("%,d rows: hose wall time is %.2fx the COPY|gzip pipeline%n", rows, ratio);
        h.put("wallRatioToCopyGzip", round(ratio));
        deleteTree(out);
        deleteTree(work.resolve("copy-" + rows));
        deleteTree(work.resolve("stock-" + rows));
        try (Connection c = pg.connect("postgres")) {
          c.createStatement().execute("DROP TABLE " + table);
        }
      }
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("machineAtEnd", machine());
    report.put("results", results);
    Files.writeString(work.resolve("archive.json"), JSON.writeValueAsString(report));
    System.out.println();
    System.out.println("| tool | rows | wall s | rows/s | JSON MB/s | peak RSS MB | outcome |");
    System.out.println("|---|---:|---:|---:|---:|---:|---|");
    for (Map<String, Object> r : results) {
      System.out.printf(
          "| %s | %,d | %.1f | %,d | %.1f | %d | %s |%n",
          ((String) r.get("tool")).replace("|", "\\|"), r.get("rows"), r.get("wallSeconds"), r.get("rowsPerSecond"),
          r.get("jsonMBps"), r.get("peakRssMB"), r.get("outcome"));
    }
    System.out.println("written: " + work.resolve("archive.json"));
  }

  /** psql \copy ... | gzip -6, or COPY through the driver into gzip when psql is missing. */
  private static Map<String, Object> copyBaseline(
      EmbeddedPostgresServer pg, String table, long rows, Path dir) throws Exception {
    Files.createDirectories(dir);
    Path out = dir.resolve("copy.jsonl.gz");
    String copy = "COPY (SELECT row_to_json(t) FROM " + table + " t) TO STDOUT";
    boolean psql = onPath("psql");
    long start = System.nanoTime();
    long peak;
    if (psql) {
      String cmd =
          "psql -h 127.0.0.1 -p " + pg.port() + " -U postgres -d postgres -c \"\\copy (SELECT"
              + " row_to_json(t) FROM " + table + " t) TO STDOUT\" | gzip -6 > " + out;
      ProcessBuilder pb = new ProcessBuilder("bash", "-c", cmd).inheritIO();
      pb.environment().put("PGPASSWORD", pg.password());
      Process p = pb.start();
      peak = waitSampling(p);
      if (p.exitValue() != 0) {
        throw new IllegalStateException("psql | gzip failed");
      }
    } else {
      Process gzip = new ProcessBuilder("gzip", "-6").redirectOutput(out.toFile()).start();
      try (Connection c = pg.connect("postgres");
          OutputStream toGzip = gzip.getOutputStream()) {
        c.unwrap(PGConnection.class).getCopyAPI().copyOut(copy, toGzip);
      }
      peak = waitSampling(gzip);
    }
    long gz = Files.size(out);
    long json = 0;
    try (InputStream in = new java.util.zip.GZIPInputStream(Files.newInputStream(out), 1 << 16)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        json += n;
      }
    }
    return result(
        psql ? "psql \\copy row_to_json | gzip -6" : "COPY via JDBC CopyManager | gzip -6",
        rows, secs(start), json, gz, peak, "completed");
  }

  private static Map<String, Object> stockBaseline(
      EmbeddedPostgresServer pg,
      String table,
      long rows,
      String heap,
      long timeoutSeconds,
      Map<String, String> env,
      Path dir,
      long hoseJsonBytes)
      throws Exception {
    Files.createDirectories(dir);
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx" + heap,
            "-XX:+ExitOnOutOfMemoryError",
            "-cp",
            System.getProperty("java.class.path"),
            StockBeamArchive.class.getName(),
            pg.jdbcUrl("postgres"),
            "postgres",
            "HOSE_BENCH_PASSWORD",
            table,
            Long.toString(rows),
            dir.resolve("part").toString());
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("log.txt").toFile());
    pb.environment().putAll(env);
    long start = System.nanoTime();
    Process p = pb.start();
    long peak = 0;
    boolean timedOut = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (!p.waitFor(200, TimeUnit.MILLISECONDS)) {
      peak = Math.max(peak, HoseProcess.rssKb(p.pid()));
      if (System.nanoTime() > deadline) {
        timedOut = true;
        p.destroyForcibly().waitFor();
      }
    }
    double seconds = secs(start);
    String log = Files.readString(dir.resolve("log.txt"));
    long written = sizeUnder(dir) - Files.size(dir.resolve("log.txt"));
    String outcome =
        timedOut
            ? String.format("time limit (%d s); %.0f MB gzip written", timeoutSeconds, written / 1e6)
            : p.exitValue() == 0
                ? "completed"
                : log.contains("OutOfMemoryError")
                    ? String.format("out of memory after %.0f s; %.0f MB gzip written", seconds, written / 1e6)
                    : "failed (exit " + p.exitValue() + ")";
    boolean done = outcome.equals("completed");
    return result(
        "stock Beam JdbcIO.readWithPartitions → TextIO gzip (DirectRunner, -Xmx" + heap + ")",
        rows, seconds, done ? hoseJsonBytes : 0, written, peak, outcome);
  }

  private static long waitSampling(Process p) throws InterruptedException {
    long peak = 0;
    while (!p.waitFor(100, TimeUnit.MILLISECONDS)) {
      peak = Math.max(peak, HoseProcess.rssKb(p.pid()));
    }
    return peak;
  }

  private static Map<String, Object> result(
      String tool, long rows, double seconds, long jsonBytes, long gzBytes, long peakKb, String outcome) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("tool", tool);
    r.put("rows", rows);
    r.put("wallSeconds", round(seconds));
    r.put("rowsPerSecond", outcome.equals("completed") ? Math.round(rows / seconds) : 0);
    r.put("jsonMBps", outcome.equals("completed") ? round(jsonBytes / 1e6 / seconds) : 0.0);
    r.put("jsonMB", round(jsonBytes / 1e6));
    r.put("gzipMB", round(gzBytes / 1e6));
    r.put("peakRssMB", peakKb >> 10);
    r.put("outcome", outcome);
    return r;
  }

  private static void print(Map<String, Object> r) {
    System.out.println("  " + r);
  }

  private static Map<String, Object> machine() throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put(
        "cpu",
        Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
            .filter(l -> l.startsWith("model name"))
            .findFirst()
            .map(l -> l.substring(l.indexOf(':') + 1).strip())
            .orElse("?"));
    m.put(
        "memTotal",
        Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\s+", " "));
    m.put("java", System.getProperty("java.version"));
    m.put("loadAverage", Files.readString(Path.of("/proc/loadavg")).strip());
    m.put("date", java.time.Instant.now().toString());
    return m;
  }

  private static boolean onPath(String program) {
    for (String d : System.getenv("PATH").split(":")) {
      if (Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }

  private static long sizeUnder(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  private static double secs(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
