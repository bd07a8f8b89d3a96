package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hose.common.FileTrees;
import dev.hose.support.Checkout;
import dev.hose.support.FlinkSessionCluster;
import dev.hose.support.TestServers;
import dev.hose.support.faults.Fault;
import dev.hose.support.faults.FaultLog;
import dev.hose.support.faults.Forked;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The database password and the S3 keys never reach what a Flink cluster shows about a job: an
 * archive is submitted with runner-configs/flink-cluster to a real session cluster (its own
 * JobManager and TaskManager JVMs), and every job endpoint of the REST API (the Web UI's data) is
 * searched for the canaries.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArchiveFlinkSecretsFaultsIT {
  private Path work;
  private TestServers servers;
  private FlinkSessionCluster cluster;

  @BeforeAll
  void start() throws Exception {
    work = Checkout.root().resolve("target/it/ArchiveFlinkSecretsFaultsIT");
    FileTrees.delete(work);
    servers = TestServers.start(work.resolve("servers"));
    servers.sql(
        "CREATE TABLE secret_orders (id bigint PRIMARY KEY, v text)",
        "INSERT INTO secret_orders SELECT g, 'v' || g FROM generate_series(1, 2000) g");
    FlinkSessionCluster.Builder b =
        FlinkSessionCluster.builder(work.resolve("cluster")).taskManagers(1).slotsPerTaskManager(1);
    for (Map.Entry<String, String> e : servers.environment().entrySet()) {
      b.env(e.getKey(), e.getValue());
    }
    cluster = b.start();
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      if (servers != null) {
        servers.close();
      }
    }
  }

  @Fault(job = "archive", value = "secrets in the Flink job graph, config and Web UI (REST API)")
  void noSecretInTheFlinkJob(FaultLog fault) throws Exception {
    Forked.Ended r =
        Forked.run(
            List.of("-Xmx512m"),
            List.of(
                "archive",
                "--runnerConfig=runner-configs/flink-cluster.properties",
                "--flinkMaster=" + cluster.flinkMaster(),
                "--parallelism=1",
                "--jdbcUrl=" + servers.jdbcUrl(),
                "--username=postgres",
                "--passwordEnv=HOSE_PG_PASSWORD",
                "--tables=public.secret_orders",
                "--output=s3://hose/flink-secrets/",
                "--awsRegion=us-east-1",
                "--endpoint=" + servers.s3.endpoint()),
            servers.environment(),
            work.resolve("client"),
            600);
    assertEquals(0, r.exit(), r.stderr());
    StringBuilder shown = new StringBuilder();
    List<String> endpoints = new ArrayList<>(List.of("/jobs/overview", "/jobmanager/config"));
    for (JsonNode job : cluster.jobs()) {
      String jid = job.path("jid").asText();
      for (String p :
          List.of("", "/config", "/plan", "/exceptions", "/accumulators", "/checkpoints/config")) {
        endpoints.add("/jobs/" + jid + p);
      }
      for (JsonNode v : cluster.rest("/jobs/" + jid).path("vertices")) {
        endpoints.add("/jobs/" + jid + "/vertices/" + v.path("id").asText());
        endpoints.add("/jobs/" + jid + "/vertices/" + v.path("id").asText() + "/accumulators");
      }
    }
    for (String e : endpoints) {
      try {
        shown.append(cluster.rest(e).toString()).append('\n');
      } catch (Exception ex) {
        shown.append(e).append(": ").append(ex.getMessage()).append('\n');
      }
    }
    String all = shown.toString();
    java.nio.file.Files.writeString(work.resolve("rest.txt"), all);
    boolean graphShown = all.contains("ExportRanges");
    // The options are the job config's user-config (Flink masks keys that say "password").
    boolean optionsShown =
        all.contains("\"user-config\"")
            && all.contains("\"jdbcUrl\"")
            && all.contains("\"passwordEnv\"");
    List<String> found = new ArrayList<>(ArchiveOutput.secretsIn(all));
    found.addAll(ArchiveOutput.secretsIn(r.stdout() + r.stderr()));
    fault.run(
        0,
        0,
        found.stream().map(s -> s + " shown").toList(),
        "job FINISHED; "
            + endpoints.size()
            + " REST endpoints ("
            + all.length() / 1024
            + " KiB; job graph shown: "
            + graphShown
            + ", pipeline options shown: "
            + optionsShown
            + ") hold no password or S3 key");
    assertTrue(graphShown, "the REST answers describe the job, so the check means something");
    assertTrue(optionsShown, "the pipeline options are shown in the job config");
    assertEquals(List.of(), found);
    assertFalse(all.contains(TestServers.PASSWORD));
  }
}
