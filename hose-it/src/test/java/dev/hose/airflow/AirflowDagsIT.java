package dev.hose.airflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Runs the Airflow tests of pipelines/ ({@code bash pipelines/run-tests.sh}: a venv from PyPI, a
 * real Airflow, the DAGs run end to end on the built jar) so that {@code mvn verify} covers them.
 * The full pytest output goes to target/airflow/run-tests.log; the summary is printed here.
 */
class AirflowDagsIT {
  private static final long TIMEOUT_MINUTES = 60;
  private static final String RESULT_LINE = "^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) .*";
  private static final String FINAL_COUNT_LINE = "^=+ .* in [0-9.]+s.*=+$";

  @Test
  void pipelinesTestsPassInARealAirflow() throws Exception {
    Path root = Path.of("").toAbsolutePath();
    Path jar = Path.of(System.getProperty("hose.jar", "target/hose.jar")).toAbsolutePath();
    assertTrue(Files.isRegularFile(jar), "hose jar not built: " + jar);
    Path log = root.resolve("target/airflow/run-tests.log");
    Files.createDirectories(log.getParent());

    ProcessBuilder builder =
        new ProcessBuilder("bash", "pipelines/run-tests.sh")
            .directory(root.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().put("HOSE_JAR", jar.toString());
    builder.environment().put("AWS_EC2_METADATA_DISABLED", "true");
    Process process = builder.start();
    boolean finished = process.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES);
    if (!finished) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor();
    }

    String summary = summary(log);
    System.out.println(summary);
    assertTrue(
        finished, "pipelines/run-tests.sh timed out after " + TIMEOUT_MINUTES + " min\n" + summary);
    assertEquals(
        0, process.exitValue(), "pipelines/run-tests.sh failed; see " + log + "\n" + summary);
  }

  /** pytest's per-test result lines and final count (or the log's tail if pytest never ran). */
  private static String summary(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    List<String> results =
        lines.stream()
            .filter(l -> l.matches(RESULT_LINE) || l.matches(FINAL_COUNT_LINE))
            .collect(Collectors.toList());
    if (results.isEmpty()) {
      results = lines.subList(Math.max(0, lines.size() - 40), lines.size());
    }
    return String.join("\n", results);
  }
}
