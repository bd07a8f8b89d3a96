package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hose.support.ArchiveRun;
import dev.hose.support.BenchTable;
import dev.hose.support.FaultyS3Proxy;
import dev.hose.support.StreamingStandby;
import dev.hose.support.TestServers;
import dev.hose.support.faults.Fault;
import dev.hose.support.faults.FaultLog;
import dev.hose.support.faults.Forked;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Archive runs that read a hot standby: a real primary and a real streaming standby (built from the
 * same embedded binaries) on loopback, the real jar in its own JVM, and a real S3 API server. The
 * primary takes writes, or VACUUMs away rows that the run's snapshot on the standby still sees, at
 * a point the test waits for (a range cursor in the standby's {@code pg_stat_activity}).
 */
class ArchiveStandbyFaultsIT {
  private static final long BIG_ROWS = 120_000; // ~120 MB of JSON, 3 ranges
  private static final String BIG = "standby_big";
  private static final String MOVING = "standby_moving";
  private static final int MOVING_BASE = 100_000;

  @TempDir static Path dir;
  static TestServers servers;
  static StreamingStandby standby;
  static ArchiveForks forks;
  static MovingTable moving;

  @BeforeAll
  static void start() throws Exception {
    servers = TestServers.start(dir);
    forks = new ArchiveForks(servers, dir);
    try (Connection c = servers.connect()) {
      BenchTable.create(c, BIG, BIG_ROWS);
    }
    moving = new MovingTable(servers::connect, MOVING, MOVING_BASE);
    standby = StreamingStandby.start(servers.postgres, dir.resolve("standby"));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (standby != null) {
        standby.close();
      }
    } finally {
      if (servers != null) {
        servers.close();
      }
    }
  }

  @Fault(job = "archive", value = "archive from a hot standby while the primary takes writes")
  void standbyWhilePrimaryWrites(FaultLog fault) throws Exception {
    standby.configure(true, "30s");
    String prefix = "standby-moving/";
    Forked.Ended r;
    int committed;
    try (MovingTable writes = moving) {
      writes.startWriting(); // on the primary
      standby.awaitReplay(); // the snapshot then sees some batches
      r = run(MOVING, prefix);
      moving.close();
      committed = moving.committed();
      assertEquals(null, moving.failure());
    }
    ArchiveOutput.Committed out =
        ArchiveOutput.committed(servers, prefix, "public." + MOVING, ArchiveOutput::leadingId);
    MovingTable.Seen seen = MovingTable.seen(out.keys(), MOVING_BASE);
    int k = seen.k();
    Set<String> missing = seen.missing();
    Set<String> extra = seen.extra();
    List<String> left = leftoversAndSecrets(prefix, r);
    if (!extra.isEmpty()) {
      left.add(extra.size() + " rows from outside the snapshot");
    }
    JsonNode snapshot = manifest(prefix, MOVING).path("snapshot");
    fault.run(
        missing.size(),
        out.bytesBad(),
        left,
        "exported "
            + out.lines()
            + " rows = count(*) at the standby's snapshot that saw batches 1.."
            + k
            + " of "
            + committed
            + " committed on the primary during the run, every range on snapshot "
            + snapshot.path("id").asText()
            + " (exit "
            + r.exit()
            + ")");
    assertEquals(0, r.exit(), r.stderr());
    assertTrue(
        r.stderr().contains("INFO  ArchivePipeline - reading a hot standby with"),
        "the launcher says it reads a standby: " + r.stderr());
    assertFalse(r.stderr().contains("hot_standby_feedback=off"), r.stderr());
    assertTrue(snapshot.path("standby").asBoolean(), snapshot.toString());
    assertTrue(snapshot.path("consistent").asBoolean(), "every range read the one snapshot");
    assertTrue(k > 0 && k < committed, "the snapshot fell inside the writes: " + k);
    assertTrue(seen.wholeBatchesFromOne(), "whole batches 1..K: " + seen.batches());
    assertEquals(out.lines(), out.keys().size(), "no row twice");
    assertEquals(out.manifestRows(), out.lines());
    assertEquals(seen.expected().size(), out.lines());
    assertEquals(Set.of(), missing);
    assertEquals(Set.of(), extra);
    assertEquals(List.of(), left);
  }

  @Fault(
      job = "archive",
      value = "replication conflict cancels the standby snapshot (hot_standby_feedback off)")
  void replicationConflict(FaultLog fault) throws Exception {
    standby.configure(false, "1s");
    String prefix = "standby-conflict/";
    Forked.Ended r;
    long deleted;
    // Ranges one at a time, each holding its transaction while its shard uploads 3 s late: the
    // run certainly outlasts replay's 1 s grace, with ranges still to start when it ends the
    // snapshot.
    try (FaultyS3Proxy slowS3 = FaultyS3Proxy.to(servers.s3.port(), 3_000);
        Forked hose =
            forks.start(
                List.of("-Xmx256m"),
                forks.args(
                    "public." + BIG,
                    "s3://hose/" + prefix,
                    List.of(
                        "--jdbcUrl=" + standby.jdbcUrl(),
                        "--endpoint=" + slowS3.endpoint(),
                        "--exportThreads=1",
                        "--maxRowsPerBundle=20000")))) {
      slowS3.rule(
          (method, target) ->
              FaultyS3Proxy.isPartUpload(method, target) && target.contains("/part-")
                  ? FaultyS3Proxy.Action.LATE
                  : FaultyS3Proxy.Action.FORWARD);
      awaitRangeCursor(hose, BIG);
      // Rows the run's snapshot still sees, removed on the primary: replaying the cleanup
      // conflicts with every standby transaction on that snapshot, the launcher's included.
      try (Connection c = servers.connect();
          Statement s = c.createStatement()) {
        deleted = s.executeUpdate("DELETE FROM " + BIG + " WHERE id <= 2000");
        s.execute("VACUUM " + BIG);
      }
      r = hose.await(300);
    }
    List<String> left = leftoversAndSecrets(prefix, r);
    if (ArchiveOutput.anyManifest(servers, prefix)) {
      left.add("manifest of a cancelled run");
    }
    String line = ArchiveOutput.oneLine(r.stderr());

    // The advice works: with feedback on, the same command completes on the standby.
    standby.configure(true, "1s");
    standby.awaitReplay();
    Forked.Ended again = run(BIG, prefix);
    ArchiveOutput.Committed out =
        ArchiveOutput.committed(servers, prefix, "public." + BIG, ArchiveOutput::leadingId);
    List<String> leftAgain = leftoversAndSecrets(prefix, again);
    left.addAll(leftAgain);
    long rows = BIG_ROWS - deleted;
    fault.run(
        out.rowsLost(rows),
        out.bytesBad(),
        left,
        "failed cleanly, exit "
            + r.exit()
            + ": "
            + line
            + "; with hot_standby_feedback = on the same command: exit "
            + again.exit()
            + ", complete");
    assertTrue(
        r.stderr()
            .contains(
                "WARN  ArchivePipeline - reading a hot standby with" + " hot_standby_feedback=off"),
        "warned at the start: " + r.stderr());
    assertEquals(1, r.exit(), r.stderr());
    assertEquals(1, r.errorLines().size(), r.stderr());
    assertTrue(line.contains("hot_standby_feedback = on"), line);
    assertEquals(List.of(), left);
    assertEquals(0, again.exit(), again.stderr());
    assertEquals(rows, out.manifestRows());
    assertEquals(rows, out.lines());
    assertEquals(0, out.rowsLost(rows));
  }

  /** The other side of the start-of-run line: on a primary hose says nothing about standbys. */
  @Test
  void aPrimaryRunLogsNoStandbyLineAndNoWarning() throws Exception {
    String prefix = "primary/";
    Forked.Ended r;
    try (Forked f = start(servers.jdbcUrl(), MOVING, prefix)) {
      r = f.await(300);
    }
    assertEquals(0, r.exit(), r.stderr());
    assertFalse(r.stderr().contains("hot standby"), r.stderr());
    assertEquals(List.of(), r.stderr().lines().filter(l -> l.contains(" WARN ")).toList());
    assertFalse(manifest(prefix, MOVING).path("snapshot").path("standby").asBoolean(true));
  }

  // ---- helpers ----

  private static JsonNode manifest(String prefix, String table) throws Exception {
    return ArchiveRun.JSON.readTree(servers.object(prefix + "public." + table + "/_manifest.json"));
  }

  private static List<String> leftoversAndSecrets(String prefix, Forked.Ended r) {
    return forks.leftoversAndSecrets(prefix, r);
  }

  private static Forked start(String table, String prefix) throws Exception {
    return start(standby.jdbcUrl(), table, prefix);
  }

  private static Forked start(String jdbcUrl, String table, String prefix) throws Exception {
    return forks.start(
        List.of("-Xmx256m"),
        forks.args("public." + table, "s3://hose/" + prefix, List.of("--jdbcUrl=" + jdbcUrl)));
  }

  private static Forked.Ended run(String table, String prefix) throws Exception {
    try (Forked f = start(table, prefix)) {
      return f.await(300);
    }
  }

  /** Waits until a range's cursor on {@code table} is open on the standby. */
  private static void awaitRangeCursor(Forked hose, String table) throws Exception {
    ArchiveForks.awaitRangeCursor(hose, table, standby::connect, "pid");
  }
}
