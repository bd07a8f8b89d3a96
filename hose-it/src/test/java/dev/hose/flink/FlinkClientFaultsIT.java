package dev.hose.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hose.archive.ArchiveOutput;
import dev.hose.common.FileTrees;
import dev.hose.common.OutputClaim;
import dev.hose.support.BenchTable;
import dev.hose.support.Checkout;
import dev.hose.support.FaultyS3Proxy;
import dev.hose.support.FaultyS3Proxy.Action;
import dev.hose.support.FlinkSessionCluster;
import dev.hose.support.TestServers;
import dev.hose.support.faults.Fault;
import dev.hose.support.faults.FaultLog;
import dev.hose.support.faults.Forked;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The client of a Flink job dies (SIGKILL: a lost Airflow worker, the OOM killer) while its job
 * goes on running on a real session cluster, and a retry takes the table over. The old job must not
 * commit over the retry: its commit is fenced off by the table's claim.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlinkClientFaultsIT {
  private static final String TABLE = "client_kill";
  private static final long ROWS = 60_000; // ~60 MB of JSON in 6 ranges
  private static final ObjectMapper JSON = new ObjectMapper();

  private Path work;
  private TestServers servers;

  @BeforeAll
  void start() throws Exception {
    work = Checkout.root().resolve("target/it/FlinkClientFaultsIT");
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

  @Fault(
      job = "archive",
      value =
          "the client SIGKILLed while its Flink job runs, then a retry takes the table over: the"
              + " old job never commits, the retry's output stands")
  void clientKilledWhileItsJobRuns(FaultLog fault) throws Exception {
    String prefix = "client-kill/";
    String claimKey = prefix + "public." + TABLE + "/" + OutputClaim.NAME;
    String firstRun;
    Forked.Ended retry;
    JsonNode oldJob;
    String oldJobFailure;
    FlinkSessionCluster.Builder builder =
        FlinkSessionCluster.builder(work.resolve("cluster")).taskManagers(2).slotsPerTaskManager(2);
    servers.environment().forEach(builder::env);
    try (FlinkSessionCluster cluster = builder.start();
        FaultyS3Proxy slow = FaultyS3Proxy.to(servers.s3.port(), 3_000)) {
      // Part uploads answer 3 s late, so that the first job is certainly still exporting.
      slow.rule(
          (method, target) ->
              FaultyS3Proxy.isPartUpload(method, target) ? Action.LATE : Action.FORWARD);
      try (Forked client =
          Forked.start(
              List.of("-Xmx512m"),
              args(cluster, prefix, "--endpoint=" + slow.endpoint()),
              servers.environment(),
              work.resolve("first-client"))) {
        client.awaitWhileRunning(
            "the first job running with an upload under way",
            () -> runningJobs(cluster) == 1 && servers.pendingUploads() > 0,
            300);
        firstRun = JSON.readTree(servers.object(claimKey)).path("runId").asText();
        client.kill();
      }
      Path summary = work.resolve("retry-summary.json");
      retry =
          Forked.run(
              List.of("-Xmx512m"),
              args(cluster, prefix, "--summaryFile=" + summary),
              servers.environment(),
              work.resolve("retry-client"),
              600);
      oldJob = awaitEnded(cluster, oldestJob(cluster), 300);
      oldJobFailure =
          cluster.rest("/jobs/" + oldJob.path("jid").asText() + "/exceptions").toString();
    }
    ArchiveOutput.Committed out =
        ArchiveOutput.committed(servers, prefix, "public." + TABLE, ArchiveOutput::leadingId);
    JsonNode manifest =
        JSON.readTree(servers.object(prefix + "public." + TABLE + "/_manifest.json"));
    // A fenced job removes its own temp objects and uploads, a failed range its partial shard, and
    // the retry swept what earlier runs left: nothing may be left under the prefix.
    List<String> left = new ArrayList<>(ArchiveOutput.leftovers(servers, prefix));
    fault.run(
        out.rowsLost(ROWS) + (out.lines() - out.keys().size()),
        out.bytesBad(),
        left,
        "the old job ended "
            + oldJob.path("state").asText()
            + " ("
            + stoppedBy(oldJobFailure)
            + "); the retry took the table over and committed (exit "
            + retry.exit()
            + "); the manifest is the retry's");
    assertEquals(0, retry.exit(), retry.stderr());
    assertNotEquals(firstRun, manifest.path("runId").asText());
    assertTrue(retry.stderr().contains("took over"), retry.stderr());
    assertEquals("FAILED", oldJob.path("state").asText(), oldJob.toString());
    assertTrue(!stoppedBy(oldJobFailure).startsWith("other"), oldJobFailure);
    assertEquals(ROWS, out.manifestRows());
    assertEquals(ROWS, out.lines(), "no row twice");
    assertEquals(0, out.rowsLost(ROWS));
    assertEquals(0, out.bytesBad());
    assertEquals(List.of(), left, "left under " + prefix);
  }

  /** Which defence ended the old job, from its exceptions. */
  private static String stoppedBy(String exceptions) {
    if (exceptions.contains("not committing public." + TABLE)) {
      return "its commit was fenced off by the claim";
    }
    if (exceptions.contains("SnapshotGoneException")) {
      return "its snapshot died with the client's connection";
    }
    if (exceptions.contains("NoSuchUpload") || exceptions.contains("after the move")) {
      return "the retry swept its temp shards and uploads";
    }
    return "other: " + exceptions.substring(0, Math.min(300, exceptions.length()));
  }

  private List<String> args(FlinkSessionCluster cluster, String prefix, String... extra) {
    List<String> a =
        new ArrayList<>(
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
                "--maxRowsPerBundle=10000",
                "--s3UploadBufferSizeBytes=5242880",
                "--overwrite"));
    for (String e : extra) {
      a.add(e);
    }
    if (a.stream().noneMatch(x -> x.startsWith("--endpoint="))) {
      a.add("--endpoint=" + servers.s3.endpoint());
    }
    return a;
  }

  private static int runningJobs(FlinkSessionCluster cluster) {
    try {
      return (int)
          cluster.jobs().stream().filter(j -> j.path("state").asText().equals("RUNNING")).count();
    } catch (Exception e) {
      return 0;
    }
  }

  /** The old job: the oldest of the cluster's jobs (the retry's ran after it). */
  private static String oldestJob(FlinkSessionCluster cluster) throws Exception {
    List<JsonNode> jobs = cluster.jobs();
    return jobs.get(jobs.size() - 1).path("jid").asText();
  }

  private static JsonNode awaitEnded(FlinkSessionCluster cluster, String jid, long seconds)
      throws Exception {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (true) {
      JsonNode job = cluster.rest("/jobs/" + jid);
      String state = job.path("state").asText();
      if (state.matches("FINISHED|FAILED|CANCELED")) {
        return job;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "job " + jid + " still " + state + " after " + seconds + " s");
      }
      Thread.sleep(500);
    }
  }
}
