package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.embedded.SyntheticVideo;
import dev.hose.support.HoseProcess;
import dev.hose.support.Measure;
import dev.hose.support.video.BadFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 200 short videos (some broken, so failure paths run too) through one processor in a forked JVM:
 * the resident set must not climb. RSS is read from /proc/PID/status; there is no timing threshold.
 */
class DetectMemoryIT {
  static final int VIDEOS = 200;

  /** Allowed growth of RSS from the early samples to the late ones. */
  static final long TOLERANCE_KB = 48 * 1024;

  @TempDir Path dir;

  @Test
  @Measure
  void rssDoesNotClimbOverHundredsOfVideos() throws Exception {
    List<String> urls = new ArrayList<>();
    urls.add(SyntheticVideo.create().write(dir.resolve("a.mp4")).toUri().toString());
    urls.add(
        SyntheticVideo.create()
            .codec("libvpx", "webm")
            .write(dir.resolve("b.webm"))
            .toUri()
            .toString());
    urls.add(
        SyntheticVideo.create()
            .size(640, 360)
            .codec("libopenh264", "mp4")
            .write(dir.resolve("c.mp4"))
            .toUri()
            .toString());
    urls.add(
        SyntheticVideo.create()
            .moving(false)
            .codec("mjpeg", "avi")
            .write(dir.resolve("d.avi"))
            .toUri()
            .toString());
    // B-frames (decoded noref) and key frames 0.2 s apart (decoded keyframes at 5 fps).
    urls.add(
        SyntheticVideo.create()
            .fps(30)
            .frames(60)
            .gop(300)
            .bFrames(2)
            .write(dir.resolve("e.mp4"))
            .toUri()
            .toString());
    urls.add(
        SyntheticVideo.create()
            .fps(30)
            .frames(60)
            .gop(6)
            .write(dir.resolve("f.mp4"))
            .toUri()
            .toString());
    urls.add(BadFiles.truncated(dir.resolve("bad-truncated.mp4")).toUri().toString());

    Path scratch = dir.resolve("scratch");
    List<String> command = HoseProcess.java(List.of("-Xms128m", "-Xmx128m", "-XX:+AlwaysPreTouch"));
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            RssProbeMain.class.getName(),
            scratch.toString(),
            "motion,faces",
            String.valueOf(VIDEOS)));
    command.addAll(urls);
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("MALLOC_ARENA_MAX", "2");
    Process child = pb.start();
    long[] rssKb = new long[VIDEOS + 1];
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        assertTrue(!line.startsWith("FAILED"), line);
        if (line.startsWith("DONE ")) {
          int n = Integer.parseInt(line.substring(5));
          rssKb[n] = rssKb(child.pid());
        }
      }
    } finally {
      child.destroyForcibly();
      child.waitFor(60, TimeUnit.SECONDS);
    }
    assertEquals(0, child.exitValue());
    long early = max(rssKb, 40, 80);
    long late = max(rssKb, 160, 200);
    System.out.printf(
        "RSS kB: after 20=%d, max 40..80=%d, max 160..200=%d%n", rssKb[20], early, late);
    assertTrue(early > 0 && late > 0);
    assertTrue(
        late <= early + TOLERANCE_KB,
        "RSS climbed from " + early + " kB to " + late + " kB over " + VIDEOS + " videos");
    assertEquals(List.of(), ScratchSpaceTest.children(scratch));
  }

  private static long max(long[] values, int from, int to) {
    long m = 0;
    for (int i = from; i <= to; i++) {
      m = Math.max(m, values[i]);
    }
    return m;
  }

  /** VmRSS of {@code pid} in kB, or 0 if it is gone. */
  static long rssKb(long pid) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (l.startsWith("VmRSS:")) {
          return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return 0;
  }
}
