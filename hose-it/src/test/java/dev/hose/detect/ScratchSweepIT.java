package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.embedded.SyntheticVideo;
import dev.hose.support.HoseProcess;
import dev.hose.support.video.VideoHttpServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker killed with SIGKILL mid-download leaves its scratch file; the next worker's setup sweeps
 * it, and never sweeps a live worker's files.
 */
class ScratchSweepIT {
  @TempDir Path dir;

  @Test
  void theNextSetupSweepsWhatAKilledWorkerLeft() throws Exception {
    Path root = dir.resolve("scratch");
    Path video = SyntheticVideo.create().frames(60).write(dir.resolve("v.mp4"));
    try (VideoHttpServer http = VideoHttpServer.start()) {
      http.add("v.mp4", video);
      List<String> command = HoseProcess.java(List.of("-Xmx128m"));
      command.addAll(
          List.of(
              "-cp",
              System.getProperty("java.class.path"),
              ScratchHolderMain.class.getName(),
              root.toString(),
              http.url("/stall/v.mp4")));
      Process child =
          new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      try {
        BufferedReader out =
            new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertNotNull(line, "the child exited early");
        assertTrue(line.startsWith("READY "), line);
        Path partial = Path.of(line.substring("READY ".length()));
        Path childDir = partial.getParent();
        assertTrue(Files.size(partial) > 0);

        try (ScratchSpace live = ScratchSpace.open(root, 1 << 20)) {
          assertTrue(Files.exists(partial), "swept the files of a live worker");
        }

        child.destroyForcibly();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, child.exitValue(), "not killed by SIGKILL");
        assertTrue(Files.exists(partial), "a SIGKILLed worker cannot clean up");

        try (ScratchSpace next = ScratchSpace.open(root, 1 << 20)) {
          assertFalse(Files.exists(childDir), "the dead worker's directory survived setup");
          assertEquals(List.of(next.directory()), ScratchSpaceTest.children(root));
        }
        assertEquals(List.of(), ScratchSpaceTest.children(root));
      } finally {
        child.destroyForcibly();
        child.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
