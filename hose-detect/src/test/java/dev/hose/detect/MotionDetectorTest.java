package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.embedded.SyntheticVideo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MotionDetectorTest {
  @TempDir Path dir;

  @Test
  void motionBoxesOverlapTheMovingSquare() throws Exception {
    String[][] codecs = {
      {"mpeg4", "mp4", "320"},
      {"libopenh264", "mp4", "320"},
      {"libvpx", "webm", "320"},
      {"libopenh264", "mp4", "1280"}
    };
    for (String[] codec : codecs) {
      int width = Integer.parseInt(codec[2]);
      SyntheticVideo video =
          SyntheticVideo.create().size(width, width * 9 / 16).frames(45).codec(codec[0], codec[1]);
      Path file = video.write(dir.resolve("moving-" + codec[0] + "-" + width + "." + codec[1]));
      VideoResult result = analyze(file, 15.0);

      assertEquals(45, result.framesDecoded(), codec[0]);
      assertEquals(width, result.width());
      Map<Long, List<Detection>> byFrame =
          result.detections().stream().collect(Collectors.groupingBy(Detection::frame));
      int judged = 0;
      int good = 0;
      for (long frame = 1; frame < result.framesDecoded(); frame++) {
        judged++;
        int[] truth = video.boxAt((int) frame);
        double best = 0;
        for (Detection d : byFrame.getOrDefault(frame, List.of())) {
          best = Math.max(best, iou(truth, new int[] {d.x(), d.y(), d.width(), d.height()}));
        }
        if (best >= 0.5) {
          good++;
        }
      }
      assertTrue(judged >= 10, codec[0] + ": judged " + judged);
      assertTrue(good >= 0.8 * judged, codec[0] + ": " + good + " of " + judged + " frames");
      assertTrue(!result.segments().isEmpty());
    }
  }

  @Test
  void aStaticVideoHasNoMotion() throws Exception {
    Path file = SyntheticVideo.create().moving(false).write(dir.resolve("static.mp4"));
    VideoResult result = analyze(file, 15.0);
    assertEquals(30, result.framesDecoded());
    assertEquals(30, result.framesSampled());
    assertEquals(List.of(), result.detections());
  }

  static VideoResult analyze(Path file, double sampleFps) throws Exception {
    return Analyze.run(file, "motion", sampleFps, DecodeMode.AUTO);
  }

  /** A configuration for tests that build a {@link VideoProcessor} themselves. */
  static DetectConfig config(
      String detectors, double sampleFps, DecodeMode mode, int threads, int concurrent) {
    return new DetectConfig(
        "/nonexistent",
        List.of(detectors.split(",")),
        sampleFps,
        mode,
        threads,
        concurrent,
        640,
        1 << 30,
        1L << 31,
        Duration.ofMinutes(1),
        1000,
        1000,
        true,
        List.of()); // any host
  }

  static double iou(int[] a, int[] b) {
    int x1 = Math.max(a[0], b[0]);
    int y1 = Math.max(a[1], b[1]);
    int x2 = Math.min(a[0] + a[2], b[0] + b[2]);
    int y2 = Math.min(a[1] + a[3], b[1] + b[3]);
    double inter = Math.max(0, x2 - x1) * (double) Math.max(0, y2 - y1);
    double union = (double) a[2] * a[3] + (double) b[2] * b[3] - inter;
    return union <= 0 ? 0 : inter / union;
  }
}
