package dev.hose.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.hose.archive.ArchiveOutput;
import dev.hose.common.FileTrees;
import dev.hose.support.BenchTable;
import dev.hose.support.Checkout;
import dev.hose.support.FlinkSessionCluster;
import dev.hose.support.TestServers;
import dev.hose.support.faults.Fault;
import dev.hose.support.faults.FaultLog;
import dev.hose.support.faults.Forked;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * A TaskManager SIGKILLed mid-job on a real Flink session cluster, with Flink's restarts on as
 * runner-configs/flink-cluster.properties sets them. Each test starts its own cluster of three
 * TaskManagers with one slot each for jobs of parallelism 2, so a spare TaskManager can take the
 * lost one's tasks, and kills a TaskManager at a point it waits for: while that JVM holds a range's
 * cursor (archive), or while it downloads a video into its scratch directory (detect).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlinkTaskManagerFaultsIT {
  private static final String TABLE = "tm_big";
  private static final long ROWS = 120_000; // ~120 MB of JSON in 12 ranges
  private static final int VIDEOS = 8;
  private static final Pattern EXPORTED_TWICE =
      Pattern.compile("(\\d+) of (\\d+) ranges were exported more than once");
  private static final Pattern RESTARTED =
      Pattern.compile("(\\d+) tasks will be restarted to recover the failed task");

  private Path work;
  private TestServers servers;

  @BeforeAll
  void start() throws Exception {
    work = Checkout.root().resolve("target/it/FlinkTaskManagerFaultsIT");
    FileTrees.delete(work);
    servers = TestServers.start(work.resolve("servers"));
    try (Connection c = servers.connect()) {
      BenchTable.create(c, TABLE, ROWS);
    }
  }

  @AfterAll
  void stop() throws Exception {
    if (servers != null) {
      servers.close();
    }
  }

  @Fault(job = "archive", value = "TaskManager SIGKILLed mid-archive (Flink restarts on)")
  void taskManagerKilledMidArchive(FaultLog fault) throws Exception {
    String prefix = "tm-kill/";
    long victim;
    Set<String> startedByTheKill;
    Forked.Ended r;
    try (FlinkSessionCluster cluster = cluster("archive-cluster", Map.of())) {
      try (Forked hose =
          Forked.start(
              List.of("-Xmx512m"),
              List.of(
                  "archive",
                  "--runnerConfig=runner-configs/flink-cluster.properties",
                  "--flinkMaster=" + cluster.flinkMaster(),
                  "--parallelism=2",
                  "--jdbcUrl=" + servers.jdbcUrl(),
                  "--username=postgres",
                  "--passwordEnv=HOSE_PG_PASSWORD",
                  "--tables=public." + TABLE,
                  "--output=s3://" + TestServers.BUCKET + "/" + prefix,
                  "--awsRegion=us-east-1",
                  "--endpoint=" + servers.s3.endpoint(),
                  "--maxRowsPerBundle=10000",
                  "--s3UploadBufferSizeBytes=5242880"),
              servers.environment(),
              work.resolve("archive-client"))) {
        long[] found = {0};
        hose.awaitWhileRunning(
            "a range cursor held by a TaskManager",
            () -> {
              for (int port : rangeCursorPorts()) {
                Optional<Long> tm = socketOwner(cluster, port);
                if (tm.isPresent()) {
                  found[0] = tm.get();
                  return true;
                }
              }
              return false;
            },
            300);
        victim = found[0];
        cluster.killTaskManager(victim);
        // Every range begun so far has a temp object or upload; only these can be exported twice.
        startedByTheKill = tempRanges(prefix);
        r = hose.await(900);
      }
      String restarts = restartsReported(cluster);
      ArchiveOutput.Committed out =
          ArchiveOutput.committed(servers, prefix, "public." + TABLE, ArchiveOutput::leadingId);
      List<String> left = new ArrayList<>(ArchiveOutput.leftovers(servers, prefix));
      for (String s : ArchiveOutput.secretsIn(r.stdout() + r.stderr())) {
        left.add(s + " in the log");
      }
      Matcher twice = EXPORTED_TWICE.matcher(r.stdout() + r.stderr());
      int exportedTwice = 0;
      int ranges = 0;
      if (twice.find()) {
        exportedTwice = Integer.parseInt(twice.group(1));
        ranges = Integer.parseInt(twice.group(2));
      }
      long duplicates = out.lines() - out.keys().size();
      fault.run(
          out.rowsLost(ROWS) + duplicates,
          out.bytesBad(),
          left,
          (r.exit() == 0 ? "job completed" : "exit " + r.exit() + ": " + oneLine(r))
              + " after the TaskManager died; "
              + exportedTwice
              + " of "
              + ranges
              + " ranges exported twice ("
              + startedByTheKill.size()
              + " begun by the kill); "
              + restarts
              + "; rows = count(*), no duplicate, every shard's sha256 matches");
      assertEquals(0, r.exit(), r.stderr());
      assertEquals(ROWS, out.manifestRows());
      assertEquals(ROWS, out.lines(), "no row twice");
      assertEquals(0, out.rowsLost(ROWS));
      assertEquals(0, out.bytesBad(), "every listed shard exists with its manifest's sha256");
      assertEquals(List.of(), left);
      assertTrue(exportedTwice > 0, "the lost TaskManager's ranges were exported again");
      assertTrue(
          exportedTwice <= startedByTheKill.size(),
          exportedTwice + " exported twice, " + startedByTheKill + " begun by the kill");
    }
  }

  @Fault(job = "detect", value = "TaskManager SIGKILLed mid-detect (Flink restarts on)")
  void taskManagerKilledMidDetect(FaultLog fault) throws Exception {
    Path videos = Files.createDirectories(work.resolve("videos"));
    for (int i = 0; i < VIDEOS; i++) {
      FlinkDetectIT.writeVideo(videos.resolve("moving-" + i + ".mp4"), i);
    }
    Path scratch = Files.createDirectories(work.resolve("scratch"));
    Path output = work.resolve("detect-out");
    Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService handlers = Executors.newCachedThreadPool();
    HttpServer http = heldVideoServer(videos, requests, release, handlers);
    String base = "http://127.0.0.1:" + http.getAddress().getPort() + "/";
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < VIDEOS; i++) {
      lines.add(base + "moving-" + i + ".mp4");
    }
    Path urls = Files.write(work.resolve("urls.txt"), lines);

    long victim;
    Path victimScratch;
    Forked.Ended r;
    try (FlinkSessionCluster cluster =
        cluster("detect-cluster", Map.of("AWS_EC2_METADATA_DISABLED", "true"))) {
      try (Forked hose =
          Forked.start(
              List.of("-Xmx512m"),
              List.of(
                  "detect",
                  "--runnerConfig=runner-configs/flink-cluster.properties",
                  "--flinkMaster=" + cluster.flinkMaster(),
                  "--parallelism=2",
                  "--input=" + urls,
                  "--output=" + output,
                  "--scratchDir=" + scratch,
                  "--detectors=motion"),
              Map.of("AWS_EC2_METADATA_DISABLED", "true"),
              work.resolve("detect-client"))) {
        Path[] found = {null};
        hose.awaitWhileRunning(
            "a TaskManager downloading a video into its scratch directory",
            () -> {
              found[0] = scratchOfATaskManagerMidVideo(cluster, scratch);
              return found[0] != null;
            },
            300);
        victimScratch = found[0];
        victim = ownerPid(victimScratch);
        cluster.killTaskManager(victim);
        release.countDown();
        r = hose.await(900);
      } finally {
        release.countDown();
      }
      String restarts = restartsReported(cluster);

      List<String> detections = jsonLines(output, "detections-");
      List<String> failures = jsonLines(output, "failures-");
      Set<String> videosOut = new HashSet<>();
      for (String line : detections) {
        videosOut.add(new ObjectMapper().readTree(line).path("url").asText());
      }
      JsonNode manifest = new ObjectMapper().readTree(output.resolve("_manifest.json").toFile());
      int again = 0;
      for (AtomicInteger n : requests.values()) {
        again += n.get() > 1 ? 1 : 0;
      }
      List<String> left = new ArrayList<>();
      if (Files.exists(victimScratch)) {
        left.add("the killed TaskManager's scratch directory " + victimScratch.getFileName());
      }
      try (Stream<Path> entries = Files.list(scratch)) {
        long others = entries.filter(p -> !p.equals(victimScratch)).count();
        if (others > 0) {
          left.add(others + " other scratch directories");
        }
      }
      try (Stream<Path> walk = Files.walk(output)) {
        long temp = walk.filter(p -> p.toString().contains("temp-beam")).count();
        if (temp > 0) {
          left.add(temp + " temp files of the output");
        }
      }
      long lost = VIDEOS - videosOut.size();
      long twice = detections.size() - videosOut.size();
      fault.run(
          lost + twice,
          0,
          left,
          (r.exit() == 0 ? "job completed" : "exit " + r.exit() + ": " + oneLine(r))
              + " after the TaskManager died; "
              + again
              + " of "
              + VIDEOS
              + " videos downloaded again; "
              + restarts
              + "; each video once in detections and manifest, the lost scratch dir swept");
      assertEquals(0, r.exit(), r.stderr());
      assertEquals(VIDEOS, detections.size(), "one detections line per video");
      assertEquals(lines.stream().sorted().toList(), videosOut.stream().sorted().toList());
      assertEquals(List.of(), failures);
      assertEquals(VIDEOS, manifest.path("videos").asLong(), manifest.toString());
      assertEquals(VIDEOS, manifest.path("succeeded").asLong(), manifest.toString());
      assertEquals(0, manifest.path("failed").asLong(), manifest.toString());
      assertEquals(
          filesIn(output, "detections-"), names(manifest.path("files").path("detections")));
      assertTrue(again >= 1, "the lost TaskManager's video was downloaded again: " + requests);
      assertEquals(List.of(), left);
    } finally {
      http.stop(0);
      handlers.shutdownNow();
    }
  }

  private FlinkSessionCluster cluster(String name, Map<String, String> env) throws Exception {
    FlinkSessionCluster.Builder b =
        FlinkSessionCluster.builder(work.resolve(name)).taskManagers(3).slotsPerTaskManager(1);
    servers.environment().forEach(b::env);
    env.forEach(b::env);
    return b.start();
  }

  /** The client ports of the connections that have a range's SELECT open. */
  private List<Integer> rangeCursorPorts() {
    List<Integer> ports = new ArrayList<>();
    try (Connection c = servers.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT client_port FROM pg_stat_activity WHERE application_name = 'hose-archive'"
                    + " AND query LIKE 'SELECT \"id\"%FROM \"public\".\""
                    + TABLE
                    + "\"%' AND state <> 'idle' AND client_port IS NOT NULL")) {
      while (rs.next()) {
        ports.add(rs.getInt(1));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return ports;
  }

  private static Optional<Long> socketOwner(FlinkSessionCluster cluster, int port) {
    try {
      return cluster.taskManagerWithSocket(port);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The ranges ({@code table/part-…}) with a temp object or a pending upload under the prefix. */
  private Set<String> tempRanges(String prefix) {
    List<String> keys = new ArrayList<>(servers.keys(prefix + "_hose_temp/"));
    try (var c = servers.s3Client()) {
      c.listMultipartUploadsPaginator(
              b -> b.bucket(TestServers.BUCKET).prefix(prefix + "_hose_temp/"))
          .uploads()
          .forEach(u -> keys.add(u.key()));
    }
    Set<String> ranges = new TreeSet<>();
    for (String key : keys) {
      int part = key.indexOf("/part-");
      if (part > 0) {
        String tableAndPart = key.substring(key.lastIndexOf('/', part - 1) + 1);
        ranges.add(tableAndPart.substring(0, tableAndPart.lastIndexOf('.')));
      }
    }
    return ranges;
  }

  /**
   * What the JobManager's log says Flink restarted, e.g. "region failover restarted 1 then 34
   * task(s)".
   */
  private static String restartsReported(FlinkSessionCluster cluster) throws IOException {
    List<String> counts = new ArrayList<>();
    Path log = cluster.logDir().resolve("jobmanager.log");
    if (Files.exists(log)) {
      Matcher m = RESTARTED.matcher(Files.readString(log));
      while (m.find()) {
        counts.add(m.group(1));
      }
    }
    return counts.isEmpty()
        ? "no region restart in the JobManager's log"
        : "region failover restarted " + String.join(" then ", counts) + " task(s)";
  }

  /**
   * A scratch directory owned by a TaskManager that holds a video being downloaded, or null. The
   * owner file records the pid of the JVM that created it.
   */
  private static Path scratchOfATaskManagerMidVideo(FlinkSessionCluster cluster, Path scratch) {
    try (Stream<Path> dirs = Files.list(scratch)) {
      for (Path dir : dirs.filter(Files::isDirectory).toList()) {
        long pid;
        try {
          pid = ownerPid(dir);
        } catch (IOException | RuntimeException e) {
          continue; // being created
        }
        if (!cluster.taskManagerPids().contains(pid)) {
          continue;
        }
        try (Stream<Path> files = Files.list(dir)) {
          if (files.anyMatch(f -> f.getFileName().toString().startsWith("v-"))) {
            return dir;
          }
        } catch (IOException e) {
          // removed meanwhile
        }
      }
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long ownerPid(Path dir) throws IOException {
    Properties owner = new Properties();
    try (var in = Files.newInputStream(dir.resolve("owner"))) {
      owner.load(in);
    }
    return Long.parseLong(owner.getProperty("pid").strip());
  }

  /**
   * Serves the videos; the first request of each sends half the file and then holds the rest until
   * {@code release}, so a download is in progress when the test kills its TaskManager. Counts the
   * requests per video.
   */
  private static HttpServer heldVideoServer(
      Path videos,
      Map<String, AtomicInteger> requests,
      CountDownLatch release,
      ExecutorService handlers)
      throws IOException {
    HttpServer http =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.setExecutor(handlers);
    http.createContext(
        "/",
        exchange -> {
          try (exchange) {
            String name = exchange.getRequestURI().getPath().substring(1);
            Path file = videos.resolve(name).normalize();
            if (!file.startsWith(videos) || !Files.isRegularFile(file)) {
              exchange.sendResponseHeaders(404, -1);
              return;
            }
            if (!exchange.getRequestMethod().equals("GET")) {
              exchange.sendResponseHeaders(200, -1);
              return;
            }
            requests.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
            byte[] bytes = Files.readAllBytes(file);
            exchange.sendResponseHeaders(200, bytes.length);
            OutputStream out = exchange.getResponseBody();
            out.write(bytes, 0, bytes.length / 2);
            out.flush();
            try {
              release.await(5, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
            out.write(bytes, bytes.length / 2, bytes.length - bytes.length / 2);
          } catch (IOException e) {
            // the client (a killed TaskManager) is gone
          }
        });
    http.start();
    return http;
  }

  private static List<String> jsonLines(Path dir, String prefix) throws IOException {
    List<String> lines = new ArrayList<>();
    for (String name : filesIn(dir, prefix)) {
      try (BufferedReader r =
          new BufferedReader(
              new InputStreamReader(
                  new GZIPInputStream(Files.newInputStream(dir.resolve(name))),
                  StandardCharsets.UTF_8))) {
        r.lines().forEach(lines::add);
      }
    }
    return lines;
  }

  private static List<String> filesIn(Path dir, String prefix) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(n -> n.startsWith(prefix))
          .sorted()
          .toList();
    }
  }

  private static List<String> names(JsonNode array) {
    List<String> names = new ArrayList<>();
    array.forEach(n -> names.add(n.asText()));
    return names.stream().sorted().toList();
  }

  private static String oneLine(Forked.Ended r) {
    List<String> lines = r.errorLines();
    return lines.isEmpty() ? "(no error line)" : lines.get(lines.size() - 1);
  }
}
