package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.demo.DetectDemo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DetectDemoIT {
  @TempDir Path dir;

  @Test
  void printsDetectionsAndFailures() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DetectDemo.run(dir, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("moving-square.mp4") && out.contains("motion/motion from"), out);
    assertTrue(out.contains("static-scene.webm") && out.contains("0 detections"), out);
    assertTrue(out.contains("not_a_video") && out.contains("download_failed"), out);
    assertTrue(Files.exists(dir.resolve("detect-out/_manifest.json")));
    System.out.print(out);
  }
}
