package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hose.common.OutputClaim;
import dev.hose.support.ArchiveRun;
import dev.hose.support.BenchTable;
import dev.hose.support.FaultyS3Proxy;
import dev.hose.support.FaultyS3Proxy.Action;
import dev.hose.support.SilentProxy;
import dev.hose.support.TestServers;
import dev.hose.support.faults.Fault;
import dev.hose.support.faults.FaultLog;
import dev.hose.support.faults.Forked;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults of real deployments, injected into real archive runs (the job jar in its own JVM, a real
 * PostgreSQL, a real S3 API server): two runs on one output, S3 throttling and errors through a
 * fault-injecting proxy, and a database connection that goes silent through a proxy that stops
 * forwarding without closing.
 */
class ArchiveDeploymentFaultsIT {
  private static final long ROWS = 60_000; // ~60 MB of JSON, 2 ranges
  private static final String TABLE = "faults_deploy";
  private static final String OTHER = "faults_deploy_other";

  @TempDir static Path dir;
  static TestServers servers;
  static ArchiveForks forks;

  @BeforeAll
  static void start() throws Exception {
    servers = TestServers.start(dir);
    forks = new ArchiveForks(servers, dir);
    try (Connection c = servers.connect()) {
      BenchTable.create(c, TABLE, ROWS);
      BenchTable.create(c, OTHER, 1_000);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (servers != null) {
      servers.close();
    }
  }

  @Fault(
      job = "archive",
      value =
          "a second run on the same table's output while the first runs (S3 and local): refused,"
              + " then --wait; a run of another table under the same prefix goes on beside it")
  void overlappingRuns(FaultLog fault) throws Exception {
    for (String output : List.of("s3://hose/overlap/", dir.resolve("overlap-local") + "/")) {
      Forked.Ended refused;
      Forked.Ended first;
      Forked.Ended waited;
      Forked.Ended beside;
      String holder;
      // A lock on the table holds the first run (after it claimed the output) for as long as
      // the test needs, so that the others start while it certainly runs.
      try (Connection lock = servers.connect()) {
        lock.setAutoCommit(false);
        try (Statement s = lock.createStatement()) {
          s.execute("LOCK TABLE " + TABLE + " IN ACCESS EXCLUSIVE MODE");
        }
        try (Forked running = start(output, List.of())) {
          running.awaitWhileRunning(
              "the first run waiting for the table's lock", () -> someoneWaitsForALock(), 180);
          holder = claimOf(output).path("runId").asText();
          refused = run(output, List.of());
          beside = forks.run(forks.args(OTHER, output, List.of()));
          try (Forked waiting = start(output, List.of("--wait", "--overwrite"))) {
            waiting.awaitWhileRunning(
                "the second run waiting for the first",
                () -> waiting.stderrSoFar().contains("waiting for run " + holder),
                180);
            lock.rollback();
            first = running.await(300);
            waited = waiting.await(300);
          }
        }
      }
      List<String> left = leftovers(output);
      long rows = manifestRows(output);
      String line = refused.errorLines().isEmpty() ? "" : refused.errorLines().get(0);
      fault.run(
          Math.max(0, ROWS - rows),
          0,
          left,
          (output.startsWith("s3://") ? "S3" : "local")
              + ": second run refused (exit "
              + refused.exit()
              + ") with \""
              + line
              + "\"; a run with --wait waited, then completed (exit "
              + waited.exit()
              + "); a run of another table beside it exited "
              + beside.exit());
      assertEquals(0, beside.exit(), beside.stderr());
      assertTrue(
          exists(output, "public." + OTHER + "/_manifest.json"), "the other table committed");
      assertEquals(0, first.exit(), first.stderr());
      assertEquals(2, refused.exit(), refused.stderr());
      assertEquals(1, refused.errorLines().size(), refused.stderr());
      assertTrue(line.contains("in use by run " + holder), line);
      assertTrue(line.contains("host ") && line.contains("started "), line);
      assertTrue(waited.stderr().contains("waiting for run " + holder), waited.stderr());
      assertEquals(0, waited.exit(), waited.stderr());
      assertEquals(ROWS, rows);
      assertEquals(List.of(), left);
    }
  }

  @Fault(
      job = "archive",
      value =
          "SIGTERM mid-upload, as Airflow sends on execution_timeout or 'mark failed': the run"
              + " stops, cleans up and exits; the rerun completes")
  void stoppedBySigterm(FaultLog fault) throws Exception {
    String prefix = "sigterm/";
    Forked.Ended stopped;
    long stoppedAfterMillis;
    try (FaultyS3Proxy proxy = FaultyS3Proxy.to(servers.s3.port(), 4_000)) {
      proxy.rule(
          (method, target) ->
              FaultyS3Proxy.isPartUpload(method, target) ? Action.LATE : Action.FORWARD);
      try (Forked running =
          start("s3://hose/" + prefix, List.of("--endpoint=" + proxy.endpoint()))) {
        running.awaitWhileRunning(
            "a part upload under way", () -> servers.pendingUploads() > 0, 180);
        long t0 = System.nanoTime();
        ProcessHandle.of(running.pid()).orElseThrow().destroy(); // SIGTERM
        stopped = running.await(120);
        stoppedAfterMillis = (System.nanoTime() - t0) / 1_000_000;
      }
    }
    List<String> left = ArchiveOutput.leftovers(servers, prefix);
    boolean manifest =
        servers.keys(prefix).contains(prefix + "public." + TABLE + "/_manifest.json");
    Forked.Ended rerun = run("s3://hose/" + prefix, List.of());
    ArchiveOutput.Committed out = committed(prefix);
    String line = stopped.errorLines().isEmpty() ? "" : stopped.errorLines().get(0);
    fault.run(
        out.rowsLost(ROWS),
        out.bytesBad(),
        left,
        "stopped in "
            + stoppedAfterMillis
            + " ms (exit "
            + stopped.exit()
            + ", \""
            + line
            + "\"), nothing committed or left; the rerun completed (exit "
            + rerun.exit()
            + ")");
    assertTrue(stopped.exit() != 0, stopped.stderr());
    assertTrue(line.contains("stopped from outside"), stopped.stderr());
    assertFalse(manifest, "nothing committed");
    assertEquals(List.of(), left);
    assertEquals(0, rerun.exit(), rerun.stderr());
    assertEquals(ROWS, out.lines());
    assertEquals(List.of(), ArchiveOutput.leftovers(servers, prefix));
  }

  @Fault(job = "archive", value = "S3 answers 503 SlowDown and 500 to part uploads, and some late")
  void s3ThrottlesAndFails(FaultLog fault) throws Exception {
    String prefix = "s3-throttled/";
    AtomicInteger parts = new AtomicInteger();
    Forked.Ended r;
    int failed;
    int late;
    try (FaultyS3Proxy proxy = FaultyS3Proxy.to(servers.s3.port(), 1_500)) {
      proxy.rule(
          (method, target) -> {
            if (!FaultyS3Proxy.isPartUpload(method, target)) {
              return Action.FORWARD;
            }
            int n = parts.incrementAndGet();
            return n % 6 == 1
                ? Action.SLOW_DOWN_503
                : n % 6 == 3
                    ? Action.INTERNAL_ERROR_500
                    : n % 6 == 5 ? Action.LATE : Action.FORWARD;
          });
      r = run("s3://hose/" + prefix, List.of("--endpoint=" + proxy.endpoint()));
      failed = proxy.failed();
      late = proxy.late();
    }
    ArchiveOutput.Committed out = committed(prefix);
    List<String> left = ArchiveOutput.leftovers(servers, prefix);
    fault.run(
        out.rowsLost(ROWS),
        out.bytesBad(),
        left,
        failed
            + " of "
            + parts.get()
            + " part uploads answered 503/500 and "
            + late
            + " answered 1.5 s late: retried with backoff, run complete (exit "
            + r.exit()
            + ")");
    assertEquals(0, r.exit(), r.stderr());
    assertTrue(failed > 0 && late > 0, "faults injected: " + failed + " failed, " + late + " late");
    assertEquals(ROWS, out.lines());
    assertEquals(0, out.rowsLost(ROWS));
    assertEquals(0, out.bytesBad());
    assertEquals(List.of(), left);
  }

  @Fault(job = "archive", value = "S3 keeps answering 503 to part uploads until retries run out")
  void s3RetriesRunOut(FaultLog fault) throws Exception {
    String prefix = "s3-exhausted/";
    Forked.Ended r;
    int failed;
    try (FaultyS3Proxy proxy = FaultyS3Proxy.to(servers.s3.port(), 0)) {
      proxy.rule(
          (method, target) ->
              FaultyS3Proxy.isPartUpload(method, target) && target.contains("/part-")
                  ? Action.SLOW_DOWN_503 // a shard's parts; the destination probe gets through
                  : Action.FORWARD);
      r = run("s3://hose/" + prefix, List.of("--endpoint=" + proxy.endpoint()));
      failed = proxy.failed();
    }
    Rerun after = failedThenRerun(prefix, r);
    boolean manifest = after.manifest();
    List<String> left = after.left();
    Forked.Ended again = after.again();
    ArchiveOutput.Committed out = after.out();
    String line = ArchiveOutput.oneLine(r.stderr());
    fault.run(
        out.rowsLost(ROWS),
        out.bytesBad(),
        left,
        failed
            + " part uploads answered 503: failed cleanly once the retries ran out, exit "
            + r.exit()
            + ": "
            + line
            + "; no upload left; same command again: exit "
            + again.exit()
            + ", complete");
    assertEquals(1, r.exit(), r.stderr());
    assertEquals(1, r.errorLines().size(), r.stderr());
    assertTrue(line.contains("reduce your request rate"), line);
    assertFalse(manifest, "no manifest for a failed run");
    assertEquals(0, again.exit(), again.stderr());
    assertEquals(0, out.rowsLost(ROWS));
    assertEquals(List.of(), left);
  }

  @Fault(
      job = "archive",
      value = "a range's database connection goes silent (packets dropped, no reset)")
  void rangeConnectionGoesSilent(FaultLog fault) throws Exception {
    String prefix = "pg-silent-one/";
    Forked.Ended r;
    try (SilentProxy proxy = SilentProxy.to("127.0.0.1", servers.postgres.port());
        Forked hose = start("s3://hose/" + prefix, throughProxy(proxy))) {
      int clientPort = awaitRangeCursor(hose);
      assertTrue(proxy.silence(clientPort), "the range's connection goes through the proxy");
      r = hose.await(300);
    }
    ArchiveOutput.Committed out = committed(prefix);
    List<String> left = ArchiveOutput.leftovers(servers, prefix);
    boolean retried = r.stderr().contains("the database did not answer for 5 s");
    fault.run(
        out.rowsLost(ROWS),
        out.bytesBad(),
        left,
        (retried ? "range's read timed out after 5 s, retried on a new connection" : "not retried")
            + " on the same snapshot, run complete (exit "
            + r.exit()
            + ")");
    assertEquals(0, r.exit(), r.stderr());
    assertTrue(retried, r.stderr());
    assertEquals(ROWS, out.lines(), "no row twice");
    assertEquals(0, out.rowsLost(ROWS));
    assertEquals(List.of(), left);
  }

  @Fault(job = "archive", value = "the database stops answering altogether (silent network)")
  void databaseGoesSilent(FaultLog fault) throws Exception {
    String prefix = "pg-silent-all/";
    Forked.Ended r;
    try (SilentProxy proxy = SilentProxy.to("127.0.0.1", servers.postgres.port());
        Forked hose = start("s3://hose/" + prefix, throughProxy(proxy))) {
      awaitRangeCursor(hose);
      proxy.silenceEverything();
      r = hose.await(300);
    }
    Rerun after = failedThenRerun(prefix, r);
    boolean manifest = after.manifest();
    List<String> left = after.left();
    Forked.Ended again = after.again();
    ArchiveOutput.Committed out = after.out();
    String line = ArchiveOutput.oneLine(r.stderr());
    fault.run(
        out.rowsLost(ROWS),
        out.bytesBad(),
        left,
        "failed after "
            + r.millis() / 1000
            + " s, exit "
            + r.exit()
            + ": "
            + line
            + "; same command again: exit "
            + again.exit()
            + ", complete");
    assertEquals(1, r.exit(), r.stderr());
    assertEquals(1, r.errorLines().size(), r.stderr());
    assertTrue(line.contains("stopped answering"), line);
    assertTrue(line.contains("--dbReadTimeoutSeconds"), line);
    assertFalse(manifest, "no manifest for a failed run");
    assertEquals(0, again.exit(), again.stderr());
    assertEquals(0, out.rowsLost(ROWS));
    assertEquals(List.of(), left);
  }

  /**
   * What a failed run left (a manifest, leftovers), then the same command run again on a healthy
   * path and what it committed and left.
   */
  private record Rerun(
      boolean manifest, List<String> left, Forked.Ended again, ArchiveOutput.Committed out) {}

  private static Rerun failedThenRerun(String prefix, Forked.Ended failed) throws Exception {
    boolean manifest = ArchiveOutput.anyManifest(servers, prefix);
    List<String> left = new ArrayList<>(ArchiveOutput.leftovers(servers, prefix));
    Forked.Ended again = run("s3://hose/" + prefix, List.of());
    ArchiveOutput.Committed out = committed(prefix);
    left.addAll(ArchiveOutput.leftovers(servers, prefix));
    return new Rerun(manifest, left, again, out);
  }

  private static List<String> throughProxy(SilentProxy proxy) {
    return List.of(
        "--jdbcUrl=jdbc:postgresql://127.0.0.1:" + proxy.port() + "/postgres",
        "--dbReadTimeoutSeconds=5");
  }

  private static List<String> args(String output, List<String> extra) {
    List<String> a = new ArrayList<>(List.of("--maxRowsPerBundle=30000"));
    a.addAll(extra);
    return forks.args(TABLE, output, a);
  }

  private static Forked start(String output, List<String> extra) throws Exception {
    return forks.start(List.of("-Xmx256m"), args(output, extra));
  }

  private static Forked.Ended run(String output, List<String> extra) throws Exception {
    return forks.run(args(output, extra));
  }

  private static ArchiveOutput.Committed committed(String prefix) throws Exception {
    return ArchiveOutput.committed(servers, prefix, "public." + TABLE, ArchiveOutput::leadingId);
  }

  /** The claim the table's output holds now, read directly (not through hose). */
  private static JsonNode claimOf(String output) throws Exception {
    String claim = "public." + TABLE + "/" + OutputClaim.NAME;
    byte[] json =
        output.startsWith("s3://hose/")
            ? servers.object(output.substring("s3://hose/".length()) + claim)
            : Files.readAllBytes(Path.of(output, claim));
    return ArchiveRun.JSON.readTree(json);
  }

  private static boolean exists(String output, String path) throws Exception {
    return output.startsWith("s3://hose/")
        ? servers
            .keys(output.substring("s3://hose/".length()))
            .contains(output.substring("s3://hose/".length()) + path)
        : Files.exists(Path.of(output, path));
  }

  private static long manifestRows(String output) throws Exception {
    String table = "public." + TABLE + "/_manifest.json";
    byte[] json =
        output.startsWith("s3://hose/")
            ? servers.object(output.substring("s3://hose/".length()) + table)
            : Files.readAllBytes(Path.of(output, table));
    return ArchiveRun.JSON.readTree(json).path("rowCount").asLong();
  }

  private static List<String> leftovers(String output) throws Exception {
    if (output.startsWith("s3://hose/")) {
      return ArchiveOutput.leftovers(servers, output.substring("s3://hose/".length()));
    }
    List<String> left = new ArrayList<>();
    try (Stream<Path> files = Files.walk(Path.of(output))) {
      files
          .map(p -> Path.of(output).relativize(p).toString())
          .filter(p -> p.startsWith("_hose_temp") || p.endsWith(OutputClaim.NAME))
          .forEach(p -> left.add(p));
    }
    return left;
  }

  /**
   * Waits until a range's cursor is open; returns the port the server sees its connection from
   * (through a proxy: the proxy's side of that connection).
   */
  private static int awaitRangeCursor(Forked hose) throws Exception {
    return ArchiveForks.awaitRangeCursor(hose, TABLE, servers::connect, "client_port");
  }

  private static boolean someoneWaitsForALock() {
    return ArchiveForks.queryInt(
            servers::connect,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hose-archive'"
                + " AND wait_event_type = 'Lock'")
        > 0;
  }
}
