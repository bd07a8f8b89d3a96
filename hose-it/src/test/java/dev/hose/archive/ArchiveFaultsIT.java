package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.support.BenchTable;
import dev.hose.support.TestServers;
import dev.hose.support.faults.Fault;
import dev.hose.support.faults.FaultLog;
import dev.hose.support.faults.Forked;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected into real archive runs: the real jar in its own JVM, a real PostgreSQL server and
 * a real S3 API server. Each fault is injected at a point the test waits for (the range's cursor in
 * {@code pg_stat_activity}, a multipart upload in progress), never after a bare sleep; what each
 * run lost and left behind is measured with SQL and an independent S3 client.
 */
class ArchiveFaultsIT {
  private static final long BIG_ROWS = 120_000; // ~120 MB of JSON, 3 ranges
  private static final String BIG = "faults_big";
  private static final String SMALL = "faults_small";

  @TempDir static Path dir;
  static TestServers servers;
  static ArchiveForks forks;

  @BeforeAll
  static void start() throws Exception {
    servers = TestServers.start(dir);
    forks = new ArchiveForks(servers, dir);
    try (Connection c = servers.connect()) {
      BenchTable.create(c, BIG, BIG_ROWS);
    }
    servers.sql(
        "CREATE TABLE " + SMALL + " (id bigint PRIMARY KEY, v text)",
        "INSERT INTO " + SMALL + " SELECT g, 'v' || g FROM generate_series(1, 1000) g",
        "ANALYZE " + SMALL);
  }

  @AfterAll
  static void stop() throws Exception {
    if (servers != null) {
      servers.close();
    }
  }

  @Fault(job = "archive", value = "database connection killed mid-range (pg_terminate_backend)")
  void connectionKilledMidRange(FaultLog fault) throws Exception {
    String prefix = "kill-range/";
    Forked.Ended r;
    try (Forked hose = start(BIG, prefix)) {
      int pid = awaitRangeCursor(hose, BIG);
      terminate(pid);
      r = hose.await(300);
    }
    ArchiveOutput.Committed out = committedBig(prefix);
    List<String> left = leftoversAndSecrets(prefix, r);
    boolean retried = r.stderr().contains("retrying on a new connection");
    fault.run(
        out.rowsLost(BIG_ROWS),
        out.bytesBad(),
        left,
        (r.exit() == 0
                ? "range retried on a new connection on the same snapshot, run complete"
                : "exit " + r.exit() + ": " + ArchiveOutput.oneLine(r.stderr()))
            + " (exit "
            + r.exit()
            + ")");
    assertEquals(0, r.exit(), r.stderr());
    assertTrue(retried, r.stderr());
    assertEquals(BIG_ROWS, out.manifestRows());
    assertEquals(BIG_ROWS, out.lines(), "no row twice");
    assertEquals(0, out.rowsLost(BIG_ROWS));
    assertEquals(List.of(), left);
  }

  @Fault(job = "archive", value = "launcher's snapshot connection killed mid-run")
  void snapshotConnectionKilled(FaultLog fault) throws Exception {
    String prefix = "kill-snapshot/";
    Forked.Ended r;
    try (Forked hose = start(BIG, prefix)) {
      int range = awaitRangeCursor(hose, BIG);
      terminate(launcherBackend());
      terminate(range);
      r = hose.await(300);
    }
    recordFailedThenRerun(fault, prefix, r, "snapshot");
  }

  @Fault(job = "archive", value = "database restarts mid-run")
  void databaseRestarts(FaultLog fault) throws Exception {
    String prefix = "restart/";
    Forked.Ended r;
    try (Forked hose = start(BIG, prefix)) {
      awaitRangeCursor(hose, BIG);
      servers.restartPostgres();
      r = hose.await(300);
    }
    recordFailedThenRerun(fault, prefix, r, "snapshot");
  }

  @Fault(job = "archive", value = "statement timeout on a range query")
  void statementTimeout(FaultLog fault) throws Exception {
    String prefix = "timeout/";
    // The condition sleeps 3 s once per query: planning (no timeout) waits, each range query times
    // out after 1 s.
    Forked.Ended r =
        run(
            SMALL,
            prefix,
            "--statementTimeoutSeconds=1",
            "--where=(SELECT pg_sleep(3)) IS NOT NULL");
    List<String> left = leftoversAndSecrets(prefix, r);
    boolean manifest = ArchiveOutput.anyManifest(servers, prefix);
    if (manifest) {
      left.add("manifest of a run that timed out");
    }
    String line = ArchiveOutput.oneLine(r.stderr());
    fault.run(0, 0, left, "failed cleanly, exit " + r.exit() + ": " + line);
    assertEquals(1, r.exit(), r.stderr());
    assertEquals(1, r.errorLines().size(), r.stderr());
    assertTrue(line.contains("--statementTimeoutSeconds=1"), line);
    assertEquals(List.of(), left);
  }

  @Fault(job = "archive", value = "lock held on the table (ACCESS EXCLUSIVE)")
  void lockHeld(FaultLog fault) throws Exception {
    // 1) Held for the whole run: a bounded wait, then one line.
    String prefix = "locked/";
    Forked.Ended r;
    try (Connection locker = servers.connect()) {
      lock(locker, SMALL);
      r = run(SMALL, prefix, "--lockTimeoutSeconds=2");
      locker.rollback();
    }
    List<String> left = leftoversAndSecrets(prefix, r);
    String line = ArchiveOutput.oneLine(r.stderr());
    fault.run(
        0,
        0,
        left,
        "held throughout: failed after the 2 s --lockTimeoutSeconds in "
            + r.millis() / 1000
            + " s, exit "
            + r.exit()
            + ": "
            + line);
    assertEquals(1, r.exit(), r.stderr());
    assertTrue(line.contains("--lockTimeoutSeconds=2"), line);
    assertTrue(r.millis() < 60_000, "bounded wait: " + r.millis() + " ms");
    assertEquals(List.of(), left);

    // 2) Released after 3 s: the run waits (default timeout 60 s) and completes.
    String prefix2 = "lock-released/";
    Forked.Ended r2;
    try (Connection locker = servers.connect();
        Forked hose = start(SMALL, prefix2)) {
      lock(locker, SMALL);
      hose.awaitWhileRunning(
          "a session waiting for the lock", ArchiveFaultsIT::someoneWaitsForALock, 120);
      Thread.sleep(3000); // the length of the lock, not a synchronisation
      locker.rollback();
      r2 = hose.await(300);
    }
    ArchiveOutput.Committed out =
        ArchiveOutput.committed(servers, prefix2, "public." + SMALL, ArchiveOutput::leadingId);
    List<String> left2 = leftoversAndSecrets(prefix2, r2);
    fault.run(
        out.rowsLost(1000),
        out.bytesBad(),
        left2,
        "released after 3 s: waited, then complete (exit " + r2.exit() + ")");
    assertEquals(0, r2.exit(), r2.stderr());
    assertEquals(0, out.rowsLost(1000));
  }

  @Fault(job = "archive", value = "S3 server stopped mid-upload, started again 3 s later")
  void s3StoppedMidUpload(FaultLog fault) throws Exception {
    String prefix = "s3-stop/";
    Forked.Ended r;
    try (Forked hose = start(BIG, prefix)) {
      hose.awaitWhileRunning(
          "a shard's multipart upload in progress",
          () -> ArchiveOutput.shardUploads(servers, prefix) > 0,
          180);
      servers.stopS3();
      try {
        Thread.sleep(3000); // the outage
      } finally {
        servers.startS3Again();
      }
      r = hose.await(300);
    }
    if (r.exit() == 0) {
      ArchiveOutput.Committed out = committedBig(prefix);
      List<String> left = leftoversAndSecrets(prefix, r);
      fault.run(out.rowsLost(BIG_ROWS), out.bytesBad(), left, "survived the outage: run complete");
      assertEquals(0, out.rowsLost(BIG_ROWS));
      assertEquals(List.of(), left);
    } else {
      recordFailedThenRerun(fault, prefix, r, null);
    }
  }

  @Fault(
      job = "archive",
      value =
          "launcher JVM SIGKILLed mid-run (DirectRunner gzip, zstd and Parquet, flink-local),"
              + " same command run again")
  void launcherKilled(FaultLog fault) throws Exception {
    killThenRerun(fault, "sigkill/", List.of("-Xmx256m"));
    killThenRerun(fault, "sigkill-zstd/", List.of("-Xmx256m"), "--compression=zstd");
    killThenRerun(fault, "sigkill-parquet/", List.of("-Xmx256m"), "--format=parquet");
    killThenRerun(
        fault,
        "sigkill-flink/",
        List.of("-Xmx512m"),
        "--runnerConfig=runner-configs/flink-local.properties");
  }

  /**
   * SIGKILLs a run while a shard uploads, then runs the same command again: the rerun must complete
   * and remove both the killed run's uploads and the temp files its JVM unpacked (each run gets a
   * java.io.tmpdir of the test's, so this sees only hose's own).
   */
  private void killThenRerun(FaultLog fault, String prefix, List<String> heap, String... extra)
      throws Exception {
    Path tmp = Files.createDirectories(dir.resolve("tmp-" + prefix.replace("/", "")));
    List<String> jvm = new ArrayList<>(heap);
    jvm.add("-Djava.io.tmpdir=" + tmp);
    try (Forked hose = start(jvm, BIG, prefix, extra)) {
      hose.awaitWhileRunning(
          "a temp shard being uploaded",
          () -> ArchiveOutput.shardUploads(servers, prefix) > 0,
          180);
      hose.kill();
    }
    List<String> killedTemp = tempFiles(tmp);
    boolean manifest = ArchiveOutput.anyManifest(servers, prefix);
    List<String> debris = ArchiveOutput.leftovers(servers, prefix);
    Forked.Ended again;
    try (Forked rerun = start(jvm, BIG, prefix, extra)) {
      again = rerun.await(300);
    }
    ArchiveOutput.Committed out = committedBig(prefix);
    List<String> left = leftoversAndSecrets(prefix, again);
    if (manifest) {
      left.add("manifest of the killed run");
    }
    List<String> tempLeft = tempFiles(tmp);
    for (String f : tempLeft) {
      left.add("temp file " + f);
    }
    fault.run(
        out.rowsLost(BIG_ROWS),
        out.bytesBad(),
        left,
        (List.of(extra).stream().anyMatch(a -> a.startsWith("--runnerConfig="))
                ? "flink-local"
                : String.join(" ", "DirectRunner", String.join(" ", extra)).strip())
            + " killed: no manifest, left "
            + (debris.isEmpty() ? "nothing" : String.join(", ", debris))
            + " and "
            + killedTemp.size()
            + " temp files ("
            + String.join(", ", kinds(killedTemp))
            + "); the same command then completed (exit "
            + again.exit()
            + ") and removed them");
    assertFalse(manifest, "no manifest after SIGKILL");
    assertEquals(0, again.exit(), again.stderr());
    assertEquals(BIG_ROWS, out.lines());
    assertEquals(0, out.rowsLost(BIG_ROWS));
    assertFalse(killedTemp.isEmpty(), "the killed JVM had unpacked nothing under " + tmp);
    assertEquals(List.of(), left);
  }

  /** Files and directories under {@code tmp}, relative to it. */
  private static List<String> tempFiles(Path tmp) throws IOException {
    try (Stream<Path> all = Files.walk(tmp)) {
      return all.filter(p -> !p.equals(tmp))
          .map(p -> tmp.relativize(p).toString())
          .sorted()
          .toList();
    }
  }

  /**
   * What libraries unpacked into the JVM's temp directory, with random parts as {@code *}
   * (snappy-*.so, minicluster_*), leaving out the directory's own lock and owner record.
   */
  private static List<String> kinds(List<String> files) {
    return files.stream()
        .filter(f -> f.indexOf('/') > 0 && f.indexOf('/') == f.lastIndexOf('/'))
        .map(f -> f.substring(f.indexOf('/') + 1))
        .filter(f -> !f.equals(".lock") && !f.equals("owner"))
        .map(f -> f.replaceAll("[0-9a-f]{8}(-?[0-9a-f]{4}){3}-?[0-9a-f]{12}|[0-9a-f]{16,}", "*"))
        .distinct()
        .toList();
  }

  @Fault(job = "archive", value = "rows inserted, updated and deleted during the run")
  void rowsChangeDuringTheRun(FaultLog fault) throws Exception {
    String table = "faults_moving";
    int base = 100_000;
    String prefix = "moving/";
    Forked.Ended r;
    int committed;
    try (MovingTable moving = new MovingTable(servers::connect, table, base)) {
      moving.startWriting();
      r = run("public." + table, prefix);
      moving.close();
      committed = moving.committed();
      assertEquals(null, moving.failure());
    }
    ArchiveOutput.Committed out =
        ArchiveOutput.committed(servers, prefix, "public." + table, ArchiveOutput::leadingId);
    // Which batches did the snapshot see? Those whose rows were exported.
    MovingTable.Seen seen = MovingTable.seen(out.keys(), base);
    int k = seen.k();
    Set<String> missing = seen.missing();
    Set<String> extra = seen.extra();
    List<String> left = leftoversAndSecrets(prefix, r);
    if (!extra.isEmpty()) {
      left.add(extra.size() + " rows from outside the snapshot");
    }
    fault.run(
        missing.size(),
        out.bytesBad(),
        left,
        "exported "
            + out.lines()
            + " rows = count(*) at the snapshot that saw batches 1.."
            + k
            + " of "
            + committed
            + " committed during the run (exit "
            + r.exit()
            + ")");
    assertEquals(0, r.exit(), r.stderr());
    assertTrue(k > 0 && k < committed, "the snapshot fell inside the writes: " + k);
    assertTrue(seen.wholeBatchesFromOne(), "whole batches 1..K: " + seen.batches());
    assertEquals(seen.expected().size(), out.lines());
    assertEquals(Set.of(), missing);
    assertEquals(Set.of(), extra);
  }

  // ---- helpers ----

  /** A failed run must be clean (no manifest, nothing left); then the same command completes. */
  private void recordFailedThenRerun(FaultLog fault, String prefix, Forked.Ended r, String cause)
      throws Exception {
    boolean manifest = ArchiveOutput.anyManifest(servers, prefix);
    List<String> left = leftoversAndSecrets(prefix, r);
    if (manifest && r.exit() != 0) {
      left.add("manifest of a partial run");
    }
    String line = ArchiveOutput.oneLine(r.stderr());
    Forked.Ended again = run(BIG, prefix);
    ArchiveOutput.Committed out = committedBig(prefix);
    left.addAll(leftoversAndSecrets(prefix, again));
    fault.run(
        out.rowsLost(BIG_ROWS),
        out.bytesBad(),
        left,
        "failed cleanly, exit "
            + r.exit()
            + ": "
            + line
            + "; same command again: exit "
            + again.exit()
            + ", complete");
    assertEquals(1, r.exit(), r.stderr());
    assertEquals(1, r.errorLines().size(), r.stderr());
    if (cause != null) {
      assertTrue(line.contains(cause), line);
    }
    assertFalse(manifest, "no manifest for a failed run");
    assertEquals(0, again.exit(), again.stderr());
    assertEquals(BIG_ROWS, out.lines());
    assertEquals(0, out.rowsLost(BIG_ROWS));
    assertEquals(List.of(), left);
  }

  private static ArchiveOutput.Committed committedBig(String prefix) throws Exception {
    return ArchiveOutput.committed(servers, prefix, "public." + BIG, ArchiveOutput::leadingId);
  }

  private static List<String> leftoversAndSecrets(String prefix, Forked.Ended r) {
    return forks.leftoversAndSecrets(prefix, r);
  }

  private static List<String> args(String tables, String prefix, String... extra) {
    return forks.args(tables, "s3://hose/" + prefix, List.of(extra));
  }

  private static Forked start(String tables, String prefix, String... extra) throws Exception {
    return start(List.of("-Xmx256m"), tables, prefix, extra);
  }

  private static Forked start(List<String> jvm, String tables, String prefix, String... extra)
      throws Exception {
    return forks.start(jvm, args(tables, prefix, extra));
  }

  private static Forked.Ended run(String tables, String prefix, String... extra) throws Exception {
    try (Forked f = start(tables, prefix, extra)) {
      return f.await(300);
    }
  }

  /** Waits until a range's cursor on {@code table} is open; returns its backend pid. */
  private static int awaitRangeCursor(Forked hose, String table) throws Exception {
    return ArchiveForks.awaitRangeCursor(hose, table, servers::connect, "pid");
  }

  /** The launcher's connection: the first hose connection, which holds the exported snapshot. */
  private static int launcherBackend() {
    return queryInt(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'hose-archive'"
            + " ORDER BY backend_start LIMIT 1");
  }

  private static boolean someoneWaitsForALock() {
    return queryInt(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hose-archive'"
                + " AND wait_event_type = 'Lock'")
        > 0;
  }

  private static void terminate(int pid) throws SQLException {
    assertTrue(pid != 0);
    try (Connection c = servers.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_terminate_backend(" + pid + ")")) {
      rs.next();
      assertTrue(rs.getBoolean(1), "terminated backend " + pid);
    }
  }

  private static void lock(Connection c, String table) throws SQLException {
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
    }
  }

  private static int queryInt(String sql) {
    return ArchiveForks.queryInt(servers::connect, sql);
  }
}
