package dev.hose.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hose.common.FileTrees;
import dev.hose.support.Checkout;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The in-process runner configs run a job from the bundled jar with nothing else given. */
class RunnerConfigsIT {
  private static final long ELEMENTS = 5_000;

  @ParameterizedTest
  @ValueSource(strings = {"direct", "flink-local"})
  void runsTheProbeJob(String config) throws Exception {
    Path work = Checkout.root().resolve("target/it/RunnerConfigsIT/" + config);
    FileTrees.delete(work);
    Path testClasses = Checkout.itTestClasses();
    JavaProcess.Result result =
        JavaProcess.main(
                JavaProcess.hoseJar() + ":" + testClasses,
                ProbePipeline.class.getName(),
                "probe",
                "--runnerConfig=runner-configs/" + config + ".properties",
                "--output=" + work,
                "--elements=" + ELEMENTS)
            .run();
    assertEquals(0, result.exitCode(), result.toString());

    Set<Long> elements = new HashSet<>();
    Set<String> workers = new HashSet<>();
    for (String line : FlinkClusterIT.readParts(work)) {
      String[] fields = line.split(",");
      elements.add(Long.parseLong(fields[0]));
      workers.add(fields[1]);
    }
    assertEquals(ELEMENTS, elements.size());
    assertEquals(1, workers.size(), "in-process runners work in the client JVM");
  }
}
