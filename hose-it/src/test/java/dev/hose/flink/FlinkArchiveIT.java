package dev.hose.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hose.common.FileTrees;
import dev.hose.embedded.EmbeddedPostgresServer;
import dev.hose.embedded.S3Server;
import dev.hose.support.Checkout;
import dev.hose.support.FlinkSessionCluster;
import dev.hose.support.JsonLines;
import dev.hose.support.Measure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code hose archive} submitted to a local Flink session cluster (separate JobManager and
 * TaskManager JVMs) with runner-configs/flink-cluster.properties, against a real PostgreSQL and a
 * real S3 API server on loopback. The cluster run must write the same rows as a DirectRunner run;
 * failures must reach the client with their cause; a table larger than a TaskManager's heap must
 * complete.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlinkArchiveIT {
  private static final String DB = "shop";
  private static final String BUCKET = "archive";
  private static final String PASSWORD_ENV = "HOSE_IT_PG_PASSWORD";
  private static final String SMALL_TABLES = "public.orders,public.notes,public.empty_table";
  private static final int ORDERS = 30_000;
  private static final int NOTES = 5_000;

  /** About 400 MB in PostgreSQL, against a TaskManager heap of 256 MiB. */
  private static final int BIG_ROWS = 850_000;

  private static final int TASK_HEAP_MB = 128;

  private Path work;
  private EmbeddedPostgresServer postgres;
  private S3Server s3;
  private FlinkSessionCluster cluster;
  private String password;

  @BeforeAll
  void startServers() throws Exception {
    work = Checkout.root().resolve("target/it/FlinkArchiveIT");
    FileTrees.delete(work);
    password = "pw-" + UUID.randomUUID();
    postgres = EmbeddedPostgresServer.start(work.resolve("pg"), password);
    postgres.createDatabase(DB);
    createTables();
    s3 =
        S3Server.start(
            work.resolve("s3"), 0, "hose-it-access", "hose-it-secret-" + UUID.randomUUID());
    s3.createBucket(BUCKET);
    cluster =
        FlinkSessionCluster.builder(work.resolve("cluster"))
            .taskManagers(2)
            .slotsPerTaskManager(1)
            .taskHeapMb(TASK_HEAP_MB)
            .env(PASSWORD_ENV, password)
            .env("AWS_ACCESS_KEY_ID", s3.accessKey())
            .env("AWS_SECRET_ACCESS_KEY", s3.secretKey())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .start();
  }

  @AfterAll
  void stopServers() throws Exception {
    try {
      if (cluster != null) {
        System.out.println("TaskManager peak RSS (VmHWM, KiB): " + peakRssKib(cluster));
        cluster.close();
        assertEquals(List.of(), cluster.alivePids(), "cluster processes left");
      }
    } finally {
      if (s3 != null) {
        s3.close();
      }
      if (postgres != null) {
        postgres.close();
      }
    }
  }

  @Test
  void clusterRunWritesTheSameRowsAsDirectRunner() throws Exception {
    // Ranges of 5,000 rows give the cluster 8 ranges to spread over its two TaskManagers.
    JavaProcess.Result direct =
        archive("direct", SMALL_TABLES, "direct/").arg("--maxRowsPerBundle=5000").run();
    assertEquals(0, direct.exitCode(), direct.toString());
    JavaProcess.Result flink =
        archiveOnCluster(SMALL_TABLES, "flink/").arg("--maxRowsPerBundle=5000").run();
    assertEquals(0, flink.exitCode(), flink.toString());
    System.out.printf(
        "archive small tables: DirectRunner %ds, Flink cluster %ds%n",
        direct.elapsed().toSeconds(), flink.elapsed().toSeconds());

    Map<String, List<String>> expected = rowsByTable("direct");
    Map<String, List<String>> actual = rowsByTable("flink");
    assertEquals(
        List.of("public.empty_table", "public.notes", "public.orders"),
        List.copyOf(expected.keySet()));
    assertEquals(ORDERS, expected.get("public.orders").size());
    assertEquals(NOTES, expected.get("public.notes").size());
    assertEquals(0, expected.get("public.empty_table").size());
    assertEquals(expected.keySet(), actual.keySet());
    for (String table : expected.keySet()) {
      assertTrue(expected.get(table).equals(actual.get(table)), "rows of " + table + " differ");
    }
    assertTrue(hasManifest("flink"), "a _manifest.json under s3://" + BUCKET + "/flink/");

    JsonNode job = cluster.jobs().get(0);
    assertEquals("FINISHED", job.path("state").asText());
    assertTrue(maxParallelism(job) >= 2, "job ran with parallelism >= 2");
    assertExportSpreadOverTaskManagers(job);
  }

  @Test
  void badTableFailsWithItsCause() throws Exception {
    JavaProcess.Result result = archiveOnCluster("public.no_such_table", "bad-table/").run();
    assertNotEquals(0, result.exitCode(), result.toString());
    assertTrue(result.output().contains("hose archive: error: "), result.toString());
    assertTrue(result.output().contains("no_such_table"), result.toString());
    System.out.println("bad table: " + errorLine(result));
  }

  /**
   * Workers read the password from the variable named by --passwordEnv on the TaskManager; when
   * only the client has it, the job fails on the cluster and the client says why.
   */
  @Test
  void passwordMissingOnTheTaskManagersFailsWithItsCause() throws Exception {
    String clientOnly = "HOSE_IT_CLIENT_ONLY_PASSWORD";
    JavaProcess.Result result =
        JavaProcess.hose(
                "archive",
                "--runnerConfig=runner-configs/flink-cluster.properties",
                "--flinkMaster=" + cluster.flinkMaster(),
                "--jdbcUrl=" + postgres.jdbcUrl(DB),
                "--username=" + EmbeddedPostgresServer.USER,
                "--passwordEnv=" + clientOnly,
                "--tables=public.orders",
                "--output=s3://" + BUCKET + "/client-only-password/",
                "--awsRegion=us-east-1",
                "--endpoint=" + s3.endpoint())
            .env(clientOnly, password)
            .env("AWS_ACCESS_KEY_ID", s3.accessKey())
            .env("AWS_SECRET_ACCESS_KEY", s3.secretKey())
            .run();
    assertNotEquals(0, result.exitCode(), result.toString());
    assertTrue(result.output().contains(clientOnly), result.toString());
    assertFalse(result.output().contains(password), "the password never shows");
    System.out.println("password only on the client: " + errorLine(result));
  }

  @Test
  void tableLargerThanTheTaskManagerHeapCompletes() throws Exception {
    long tableBytes;
    try (Connection c = postgres.connect(DB);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_total_relation_size('public.big_events')")) {
      rs.next();
      tableBytes = rs.getLong(1);
    }
    long heapBytes = 0;
    for (JsonNode tm : cluster.rest("/taskmanagers").path("taskmanagers")) {
      JsonNode memory = tm.path("memoryConfiguration");
      heapBytes =
          Math.max(
              heapBytes, memory.path("frameworkHeap").asLong() + memory.path("taskHeap").asLong());
    }
    assertTrue(heapBytes > 0 && tableBytes > heapBytes, tableBytes + " <= heap " + heapBytes);

    HeapSampler sampler = new HeapSampler(cluster);
    sampler.start();
    JavaProcess.Result result;
    try {
      result = archiveOnCluster("public.big_events", "big/").run();
    } finally {
      sampler.stop();
    }
    assertEquals(0, result.exitCode(), result.toString());
    long rows = rowsByTable("big").get("public.big_events").size();
    System.out.printf(
        "big table: %d rows, %d MiB in PostgreSQL, TaskManager heap %d MiB, archived on the cluster"
            + " in %ds; peak TaskManager heap used %d MiB%n",
        rows,
        tableBytes >> 20,
        heapBytes >> 20,
        result.elapsed().toSeconds(),
        sampler.maxUsed() >> 20);
    assertEquals(BIG_ROWS, rows);
    assertExportSpreadOverTaskManagers(cluster.jobs().get(0));
  }

  /**
   * Parquet as deployed: archived, verified, and restored (every table of the run, in one job) on
   * the cluster, and the restored tables equal to their sources.
   */
  @Test
  void parquetArchiveVerifiesAndRestoresEveryTableOnTheCluster() throws Exception {
    JavaProcess.Result archived =
        archiveOnCluster(SMALL_TABLES, "parquet/")
            .arg("--format=parquet")
            .arg("--maxRowsPerBundle=5000")
            .run();
    assertEquals(0, archived.exitCode(), archived.toString());
    JavaProcess.Result verified = onCluster("verify", "--input=s3://" + BUCKET + "/parquet/").run();
    assertEquals(0, verified.exitCode(), verified.toString());
    assertTrue(verified.output().contains("public.orders: 30,000 rows"), verified.toString());

    try (Connection c = postgres.connect(DB);
        Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA back");
    }
    JavaProcess.Result restored =
        onCluster(
                "restore",
                "--input=s3://" + BUCKET + "/parquet/",
                "--targetSchema=back",
                "--create",
                "--jdbcUrl=" + postgres.jdbcUrl(DB),
                "--username=" + EmbeddedPostgresServer.USER,
                "--passwordEnv=" + PASSWORD_ENV)
            .run();
    assertEquals(0, restored.exitCode(), restored.toString());
    assertEquals("FINISHED", cluster.jobs().get(0).path("state").asText());
    try (Connection c = postgres.connect(DB);
        Statement s = c.createStatement()) {
      for (String table : List.of("orders", "notes", "empty_table")) {
        for (String sql :
            List.of(
                "SELECT count(*) FROM (TABLE public.%1$s EXCEPT ALL TABLE back.%1$s) x",
                "SELECT count(*) FROM (TABLE back.%1$s EXCEPT ALL TABLE public.%1$s) x")) {
          try (ResultSet rs = s.executeQuery(String.format(sql, table))) {
            rs.next();
            assertEquals(0, rs.getLong(1), table + ": " + sql);
          }
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT count(*) FROM back.orders")) {
        rs.next();
        assertEquals(ORDERS, rs.getLong(1));
      }
    }
  }

  /** Both TaskManagers exported ranges: the vertex holding ExportRanges wrote on each subtask. */
  private void assertExportSpreadOverTaskManagers(JsonNode job) throws Exception {
    List<JsonNode> subtasks = cluster.subtasks(job.path("jid").asText(), "ExportRanges");
    java.util.Set<String> taskManagers = new java.util.HashSet<>();
    List<Long> written = new ArrayList<>();
    for (JsonNode subtask : subtasks) {
      long out = subtask.path("metrics").path("write-records").asLong();
      written.add(out);
      if (out > 0) {
        taskManagers.add(subtask.path("taskmanager-id").asText());
      }
    }
    System.out.println("ExportRanges records out per subtask: " + written);
    assertEquals(2, taskManagers.size(), "ranges exported on both TaskManagers: " + written);
  }

  private static String errorLine(JavaProcess.Result result) {
    return result.output().lines().filter(l -> l.startsWith("hose ")).findFirst().orElse("?")
        + " (exit "
        + result.exitCode()
        + ")";
  }

  /**
   * A session cluster runs a nightly job for months: each job's classes (a classloader of its own
   * on every TaskManager) must be unloadable once it ends. Before hose released what its libraries
   * leave behind, every archive job pinned its classloader, and the seventh ran a 256 MB metaspace
   * out, so after this test's four jobs at least four would be alive on each TaskManager (every job
   * runs on both). Now, after pgjdbc's 30 s cleaner-thread linger and a few GCs, fewer must be: two
   * or three were in the runs here. One is held by Java 17's one-entry cache of the last record
   * type whose equals ran (ObjectMethods' OBJECT_EQ.asTypeCache, replaced by the next job's); in a
   * heap dump another was reachable only through the JDK's ResourceBundle cache's weak references,
   * yet outlived five full GCs.
   */
  @Test
  @Measure
  void successiveJobsLeaveNoClassesBehindInTheTaskManagers() throws Exception {
    int jobs = 4;
    for (int i = 1; i <= jobs; i++) {
      JavaProcess.Result r = archiveOnCluster(SMALL_TABLES, "nightly/").arg("--overwrite").run();
      assertEquals(0, r.exitCode(), "job " + i + ": " + r);
    }
    Thread.sleep(35_000);
    for (long tm : cluster.taskManagerPids()) {
      // Each histogram is a full GC. The AWS connection manager has a finalizer, so a job's
      // classes go only after a GC finalizes it and a later one collects them: a few GCs. (A
      // pinned classloader stays however many there are.)
      long loaders = Long.MAX_VALUE;
      for (int gc = 1; gc <= 10 && loaders >= jobs; gc++) {
        Thread.sleep(gc == 1 ? 0 : 3_000);
        loaders =
            jcmd(tm, "GC.class_histogram")
                .lines()
                .filter(l -> l.endsWith(" org.apache.flink.util.ChildFirstClassLoader"))
                .mapToLong(l -> Long.parseLong(l.trim().split("\\s+")[1]))
                .sum();
      }
      String metaspace =
          jcmd(tm, "VM.metaspace")
              .lines()
              .filter(l -> l.startsWith("Total Usage"))
              .findFirst()
              .orElse("");
      System.out.printf(
          "TaskManager %d after %d more jobs: %d job classloaders alive; metaspace %s%n",
          tm, jobs, loaders, metaspace.strip());
      if (loaders >= jobs) {
        Path dump = work.resolve("taskmanager-" + tm + ".hprof");
        jcmd(tm, "GC.heap_dump " + dump);
        System.out.println("heap dump for the GC roots that keep them: " + dump);
      }
      assertTrue(
          loaders < jobs,
          "TaskManager " + tm + " keeps " + loaders + " job classloaders after " + jobs + " jobs");
    }
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(pid),
                command)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    return out;
  }

  private JavaProcess archiveOnCluster(String tables, String prefix) {
    return archive("flink-cluster", tables, prefix).timeout(java.time.Duration.ofMinutes(15));
  }

  private JavaProcess archive(String runnerConfig, String tables, String prefix) {
    return hose(
        runnerConfig,
        "archive",
        "--jdbcUrl=" + postgres.jdbcUrl(DB),
        "--username=" + EmbeddedPostgresServer.USER,
        "--passwordEnv=" + PASSWORD_ENV,
        "--tables=" + tables,
        "--output=s3://" + BUCKET + "/" + prefix);
  }

  private JavaProcess onCluster(String command, String... args) {
    return hose("flink-cluster", command, args).timeout(java.time.Duration.ofMinutes(15));
  }

  /** {@code hose COMMAND ARGS} on a runner config, with the S3 server's address and keys. */
  private JavaProcess hose(String runnerConfig, String command, String... commandArgs) {
    List<String> args =
        new ArrayList<>(
            List.of(command, "--runnerConfig=runner-configs/" + runnerConfig + ".properties"));
    args.addAll(List.of(commandArgs));
    args.addAll(List.of("--awsRegion=us-east-1", "--endpoint=" + s3.endpoint()));
    if (runnerConfig.equals("flink-cluster")) {
      args.add("--flinkMaster=" + cluster.flinkMaster());
    }
    return JavaProcess.hose(args.toArray(new String[0]))
        .env(PASSWORD_ENV, password)
        .env("AWS_ACCESS_KEY_ID", s3.accessKey())
        .env("AWS_SECRET_ACCESS_KEY", s3.secretKey());
  }

  /** Every row line under s3://BUCKET/PREFIX/, by table directory, sorted. */
  private Map<String, List<String>> rowsByTable(String prefix) throws IOException {
    Path root = s3.objectPath(BUCKET, prefix);
    Map<String, List<String>> rows = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String name = f.getFileName().toString();
        Path rel = root.relativize(f);
        if (rel.getNameCount() != 2 || rel.getName(0).toString().startsWith(".")) {
          continue;
        }
        List<String> lines =
            rows.computeIfAbsent(rel.getName(0).toString(), t -> new ArrayList<>());
        if (name.startsWith("part-") && name.endsWith(".jsonl.gz")) {
          JsonLines.forEach(f, lines::add);
        }
      }
    }
    rows.values().forEach(Collections::sort);
    return rows;
  }

  private boolean hasManifest(String prefix) throws IOException {
    try (Stream<Path> files = Files.walk(s3.objectPath(BUCKET, prefix))) {
      return files.anyMatch(f -> f.getFileName().toString().equals("_manifest.json"));
    }
  }

  private int maxParallelism(JsonNode job) throws Exception {
    int max = 0;
    for (JsonNode vertex : cluster.rest("/jobs/" + job.path("jid").asText()).path("vertices")) {
      max = Math.max(max, vertex.path("parallelism").asInt());
    }
    return max;
  }

  private void createTables() throws Exception {
    try (Connection c = postgres.connect(DB);
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE public.orders (id bigint PRIMARY KEY, customer text NOT NULL,"
              + " amount numeric(12,2), status text, created_at timestamptz NOT NULL,"
              + " shipped date, attrs jsonb, flags boolean[])");
      s.execute(
          "INSERT INTO public.orders SELECT i, 'customer ' || (i % 977), (i % 10000) / 7.0,"
              + " CASE WHEN i % 5 = 0 THEN NULL ELSE 'st-' || (i % 3) END,"
              + " timestamptz '2026-01-01 00:00:00+00' + i * interval '37 seconds',"
              + " CASE WHEN i % 4 = 0 THEN NULL ELSE date '2026-01-01' + (i % 300) END,"
              + " jsonb_build_object('n', i, 'q', 'quote \" and \\\\ backslash', 'u', 'üñï'),"
              + " ARRAY[i % 2 = 0, i % 3 = 0]"
              + " FROM generate_series(1, "
              + ORDERS
              + ") i");
      s.execute("CREATE TABLE public.notes (author text, body text, at timestamp)");
      s.execute(
          "INSERT INTO public.notes SELECT 'a' || (i % 13), CASE WHEN i % 7 = 0 THEN NULL ELSE"
              + " 'line one' || chr(10) || 'tab' || chr(9) || i END, timestamp '2026-02-01' + i *"
              + " interval '1 minute' FROM generate_series(1, "
              + NOTES
              + ") i");
      s.execute("CREATE TABLE public.empty_table (id integer PRIMARY KEY, v text)");
      s.execute(
          "CREATE TABLE public.big_events (id bigint PRIMARY KEY, kind text NOT NULL,"
              + " payload text NOT NULL, at timestamptz NOT NULL)");
      s.execute(
          "INSERT INTO public.big_events SELECT i, 'kind-' || (i % 17), repeat(md5(i::text), 12),"
              + " timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second'"
              + " FROM generate_series(1, "
              + BIG_ROWS
              + ") i");
      s.execute("ANALYZE");
    }
  }

  /** Peak resident memory of each TaskManager JVM over its life, from /proc. */
  private static Map<Long, Long> peakRssKib(FlinkSessionCluster cluster) throws IOException {
    Map<Long, Long> peaks = new TreeMap<>();
    for (long pid : cluster.taskManagerPids()) {
      Path status = Path.of("/proc/" + pid + "/status");
      if (Files.exists(status)) {
        for (String line : Files.readAllLines(status)) {
          if (line.startsWith("VmHWM:")) {
            peaks.put(pid, Long.parseLong(line.replaceAll("[^0-9]", "")));
          }
        }
      }
    }
    return peaks;
  }

  /** Polls the TaskManagers' heap-used metric through the REST API and keeps the maximum. */
  private static final class HeapSampler {
    private final FlinkSessionCluster cluster;
    private final AtomicLong max = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private Thread thread;

    HeapSampler(FlinkSessionCluster cluster) {
      this.cluster = cluster;
    }

    void start() {
      thread =
          new Thread(
              () -> {
                while (running.get()) {
                  try {
                    for (JsonNode tm : cluster.rest("/taskmanagers").path("taskmanagers")) {
                      JsonNode metrics =
                          cluster.rest(
                              "/taskmanagers/"
                                  + tm.path("id").asText()
                                  + "/metrics?get=Status.JVM.Memory.Heap.Used");
                      for (JsonNode m : metrics) {
                        max.accumulateAndGet(m.path("value").asLong(), Math::max);
                      }
                    }
                    Thread.sleep(1000);
                  } catch (InterruptedException e) {
                    return;
                  } catch (Exception e) {
                    // The next poll tries again.
                  }
                }
              },
              "heap-sampler");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.interrupt();
      thread.join(5000);
    }

    long maxUsed() {
      return max.get();
    }
  }
}
