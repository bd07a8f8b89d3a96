package dev.hose.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hose.common.FileTrees;
import dev.hose.support.Checkout;
import dev.hose.support.FlinkSessionCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The session cluster itself: cluster.sh starts separate JobManager and TaskManager JVMs, a job
 * submitted with runner-configs/flink-cluster.properties runs in parallel on the TaskManagers, a
 * failure on a worker reaches the client with its cause, and stop leaves no process behind. Both
 * probe jobs load the JavaCV natives in their own job classloader, as detect does: the second job
 * in the same TaskManager must not clash with the first.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlinkClusterIT {
  private static final long ELEMENTS = 20_000;
  private FlinkSessionCluster cluster;
  private Path work;

  @BeforeAll
  void startCluster() throws Exception {
    work = Checkout.root().resolve("target/it/FlinkClusterIT");
    FileTrees.delete(work);
    cluster =
        FlinkSessionCluster.builder(work.resolve("cluster"))
            .taskManagers(2)
            .slotsPerTaskManager(1)
            .start();
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (cluster != null) {
      List<Long> pids = cluster.pids();
      cluster.close();
      assertEquals(List.of(), cluster.alivePids(), "cluster processes left: " + pids);
    }
  }

  @Test
  void clusterHasSeparateJobManagerAndTaskManagerJvms() throws Exception {
    JsonNode overview = cluster.rest("/overview");
    assertEquals(2, overview.path("taskmanagers").asInt());
    assertEquals(2, overview.path("slots-total").asInt());
    assertEquals("1.20.5", overview.path("flink-version").asText());
    assertEquals(3, new HashSet<>(cluster.pids()).size());
    assertEquals(cluster.pids(), cluster.alivePids());
    assertNotEquals(ProcessHandle.current().pid(), cluster.pids().get(0));
  }

  @Test
  void jobRunsInParallelOnTheTaskManagers() throws Exception {
    Path output = work.resolve("probe-ok");
    JavaProcess.Result result = probe(output, -1).run();
    assertEquals(0, result.exitCode(), result.toString());

    Set<Long> elements = new HashSet<>();
    Set<Long> workers = new HashSet<>();
    for (String line : readParts(output)) {
      String[] fields = line.split(",");
      elements.add(Long.parseLong(fields[0]));
      workers.add(Long.parseLong(fields[1]));
    }
    assertEquals(ELEMENTS, elements.size());
    assertEquals(
        new HashSet<>(cluster.taskManagerPids()), workers, "elements processed by both TMs");

    JsonNode job = cluster.jobs().get(0);
    assertEquals("FINISHED", job.path("state").asText());
    int maxParallelism = 0;
    for (JsonNode vertex : cluster.rest("/jobs/" + job.path("jid").asText()).path("vertices")) {
      maxParallelism = Math.max(maxParallelism, vertex.path("parallelism").asInt());
    }
    assertEquals(2, maxParallelism);
    assertTrue(
        Files.isDirectory(cluster.dir().resolve("javacpp-cache")),
        "JavaCPP natives extracted under the cluster dir");
  }

  @Test
  void workerFailureIsReportedByTheClient() throws Exception {
    JavaProcess.Result result = probe(work.resolve("probe-fail"), 1234).run();
    assertEquals(1, result.exitCode(), result.toString());
    assertTrue(
        result.output().contains("hose probe: error: ")
            && result.output().contains("probe failed on element 1234 on purpose"),
        result.toString());
    assertEquals("FAILED", cluster.jobs().get(0).path("state").asText());
  }

  private JavaProcess probe(Path output, long failOn) {
    Path testClasses = Checkout.itTestClasses();
    String hoseJar = JavaProcess.hoseJar().toString();
    return JavaProcess.main(
        hoseJar + ":" + testClasses,
        ProbePipeline.class.getName(),
        "probe",
        "--runnerConfig=runner-configs/flink-cluster.properties",
        "--flinkMaster=" + cluster.flinkMaster(),
        "--filesToStage=" + hoseJar + "," + testClasses,
        "--output=" + output,
        "--elements=" + ELEMENTS,
        "--failOn=" + failOn,
        "--loadNatives=true");
  }

  static List<String> readParts(Path dir) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("part")).toList()) {
        lines.addAll(Files.readAllLines(f));
      }
    }
    return lines;
  }
}
