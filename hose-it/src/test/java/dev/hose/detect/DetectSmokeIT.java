package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hose.embedded.SyntheticVideo;
import dev.hose.support.HoseProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract: {@code java -jar target/hose.jar detect ...} with the documented options. */
class DetectSmokeIT {
  @TempDir Path dir;

  @Test
  void theJarRunsDetect() throws Exception {
    Path video = SyntheticVideo.create().write(dir.resolve("v.mp4"));
    Path urls =
        Files.write(dir.resolve("urls.txt"), List.of(video.toUri().toString(), "not a url at all"));
    Path out = dir.resolve("out");
    Result r =
        hose(
            "detect",
            "--input=" + urls,
            "--output=" + out,
            "--scratchDir=" + dir.resolve("scratch"),
            "--detectors=motion,faces,people",
            "--sampleFps=5",
            "--maxVideoBytes=10000000",
            "--scratchBudgetBytes=50000000",
            "--timeoutPerVideo=2m",
            "--allowLocalFiles");
    assertEquals(0, r.code(), r.stderr());
    JsonNode manifest = Json.read(Files.readString(out.resolve("_manifest.json")));
    assertEquals(1, manifest.get("succeeded").asInt(), manifest.toString());
    assertEquals(1, manifest.get("failedByReason").get("invalid_input").asInt());
    assertEquals(List.of(), ScratchSpaceTest.children(dir.resolve("scratch")));
  }

  @Test
  void badConfigurationIsOneLineAndExitCodeTwo() throws Exception {
    Result r = hose("detect", "--output=" + dir.resolve("out"), "--scratchDir=" + dir);
    assertEquals(2, r.code(), r.stderr());
    assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
    assertTrue(r.stderr().startsWith("hose detect: error:"), r.stderr());
  }

  @Test
  void anUnknownDecodeModeIsOneLineAndExitCodeTwo() throws Exception {
    Path urls = Files.write(dir.resolve("urls.txt"), List.of("https://example.com/v.mp4"));
    Result r =
        hose(
            "detect",
            "--input=" + urls,
            "--output=" + dir.resolve("out"),
            "--scratchDir=" + dir.resolve("scratch"),
            "--decode=nonref");
    assertEquals(2, r.code(), r.stderr());
    assertEquals(
        "hose detect: error: unknown --decode mode 'nonref' (known: auto, all, noref, keyframes)",
        r.stderr().strip());
  }

  record Result(int code, String stderr) {}

  private Result hose(String... args) throws Exception {
    List<String> cmd = HoseProcess.command(List.of("-Xmx512m"), List.of(args));
    Path err = dir.resolve("stderr-" + System.nanoTime() + ".txt");
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(err.toFile())
            .start();
    try {
      assertTrue(p.waitFor(5, TimeUnit.MINUTES), "hose did not finish");
    } finally {
      p.destroyForcibly();
    }
    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    // Log lines from the run itself (WARN and up) are allowed before the error line.
    List<String> errorLines = stderr.lines().filter(l -> l.startsWith("hose ")).toList();
    return new Result(p.exitValue(), errorLines.isEmpty() ? stderr : String.join("\n", errorLines));
  }
}
