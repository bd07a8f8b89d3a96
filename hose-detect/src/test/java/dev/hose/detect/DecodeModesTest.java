package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.embedded.SyntheticVideo;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --decode} on real encoded videos: which mode {@code auto} picks, that skipping modes still
 * serve every sample, and the fallbacks when a mode cannot.
 */
class DecodeModesTest {
  @TempDir static Path dir;

  /** 3 s at 30 fps with B-frames and a single key frame. */
  static SyntheticVideo bFrames;

  static Path bFramesFile;

  /** 3 s at 30 fps, no B-frames, a key frame every 0.5 s. */
  static Path shortGop;

  /** 3 s at 30 fps, no B-frames, a key frame every second. */
  static Path plain;

  @BeforeAll
  static void makeVideos() throws Exception {
    bFrames = SyntheticVideo.create().size(640, 360).fps(30).frames(90).gop(300).bFrames(2);
    bFramesFile = bFrames.write(dir.resolve("bframes.mp4"));
    shortGop =
        SyntheticVideo.create()
            .size(640, 360)
            .fps(30)
            .frames(90)
            .gop(15)
            .write(dir.resolve("gop15.mp4"));
    plain =
        SyntheticVideo.create().size(640, 360).fps(30).frames(90).write(dir.resolve("plain.mp4"));
  }

  @Test
  void autoSkipsNonReferenceFramesOfAStreamWithBFrames() throws Exception {
    VideoResult fast = Analyze.run(bFramesFile, "motion", 2, DecodeMode.AUTO);
    VideoResult all = Analyze.run(bFramesFile, "motion", 2, DecodeMode.ALL);

    assertEquals("noref", fast.decode());
    assertNull(fast.decodeNote());
    assertEquals("all", all.decode());
    assertEquals(90, all.framesDecoded());
    assertTrue(fast.framesDecoded() < 60, "decoded " + fast.framesDecoded() + " of 90");
    assertEquals(all.framesSampled(), fast.framesSampled());
    assertOnTheGrid(fast.sampledTimes(), 0.5);
    assertMotionOnTheSquare(fast, bFrames);
  }

  @Test
  void autoDecodesKeyFramesOnlyWhenTheyAreCloseEnough() throws Exception {
    VideoResult r = Analyze.run(shortGop, "motion", 2, DecodeMode.AUTO);
    assertEquals("keyframes", r.decode());
    assertEquals(6, r.framesDecoded());
    assertEquals(List.of(0.0, 0.5, 1.0, 1.5, 2.0, 2.5), r.sampledTimes());

    VideoResult faster = Analyze.run(shortGop, "motion", 4, DecodeMode.AUTO);
    assertEquals("all", faster.decode(), "key frames 0.5 s apart cannot serve 4 samples a second");
    assertEquals(90, faster.framesDecoded());
  }

  @Test
  void noBFramesMeansNorefFallsBackToAllAndSaysSo() throws Exception {
    VideoResult r = Analyze.run(plain, "motion", 2, DecodeMode.NOREF);
    assertEquals("all", r.decode());
    assertEquals(90, r.framesDecoded());
    assertTrue(r.decodeNote().contains("--decode=noref"), r.decodeNote());
    assertTrue(r.decodeNote().contains("no B-frames"), r.decodeNote());
    assertEquals("all", Analyze.run(plain, "motion", 2, DecodeMode.AUTO).decode());
  }

  @Test
  void keyFramesTooFarApartFallBackToTheNextModeThatWorks() throws Exception {
    VideoResult r = Analyze.run(bFramesFile, "motion", 2, DecodeMode.KEYFRAMES);
    assertEquals("noref", r.decode());
    assertTrue(r.decodeNote().startsWith("--decode=keyframes cannot serve"), r.decodeNote());
    assertEquals(1, r.decodeNote().split("--decode=").length - 1, r.decodeNote());
    assertOnTheGrid(r.sampledTimes(), 0.5);

    VideoResult noB = Analyze.run(plain, "motion", 2, DecodeMode.KEYFRAMES);
    assertEquals("all", noB.decode());
    assertTrue(noB.decodeNote().contains("--decode=noref"), noB.decodeNote());
  }

  @Test
  void skippingDeblockingOverALongH264GopNeitherLosesNorInventsMotion() throws Exception {
    // 1280 wide, motion works at 320: every frame skips deblocking, for 5 s without a key frame.
    SyntheticVideo moving =
        SyntheticVideo.create()
            .size(1280, 720)
            .fps(30)
            .frames(150)
            .gop(300)
            .codec("libopenh264", "mp4");
    VideoResult r =
        Analyze.run(moving.write(dir.resolve("long-gop.mp4")), "motion", 10, DecodeMode.AUTO);
    assertEquals("all", r.decode());
    assertEquals(50, r.framesSampled());
    assertMotionOnTheSquare(r, moving);

    Path still =
        SyntheticVideo.create()
            .size(1280, 720)
            .fps(30)
            .frames(150)
            .gop(300)
            .moving(false)
            .codec("libopenh264", "mp4")
            .write(dir.resolve("long-gop-still.mp4"));
    assertEquals(List.of(), Analyze.run(still, "motion", 10, DecodeMode.AUTO).detections());
  }

  /** Each sampled time is within the sampler's slack (a quarter interval) of its grid point. */
  static void assertOnTheGrid(List<Double> times, double interval) {
    for (int i = 0; i < times.size(); i++) {
      double due = i * interval;
      assertTrue(Math.abs(times.get(i) - due) <= interval / 4 + 1e-9, "sample " + i + ": " + times);
    }
  }

  static void assertMotionOnTheSquare(VideoResult r, SyntheticVideo video) {
    Map<Long, List<Detection>> byFrame =
        r.detections().stream().collect(Collectors.groupingBy(Detection::frame));
    List<Double> times = r.sampledTimes();
    int good = 0;
    for (int i = 1; i < times.size(); i++) {
      long frame = Math.round(times.get(i) * video.fps());
      int[] truth = video.boxAt((int) frame);
      if (byFrame.getOrDefault(frame, List.of()).stream()
          .anyMatch(d -> Analyze.iou(truth, Analyze.box(d)) >= 0.5)) {
        good++;
      }
    }
    assertTrue(good >= times.size() - 2, good + " of " + (times.size() - 1) + ": " + r);
  }
}
