package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.common.UserError;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure parts of sampled decoding: mode choice, packet facts, sampling, people regions. */
class DecodePlanTest {
  static final long HALF_SECOND = 500_000;
  static final long FRAME_30FPS = 33_333;

  @Test
  void autoPicksTheCheapestModeThatServesTheInterval() {
    assertEquals(DecodeMode.KEYFRAMES, choose(DecodeMode.AUTO, stream(true, 500_000)).mode());
    assertEquals(DecodeMode.NOREF, choose(DecodeMode.AUTO, stream(true, 8_000_000)).mode());
    assertEquals(DecodeMode.NOREF, choose(DecodeMode.AUTO, stream(true, -1)).mode());
    assertEquals(DecodeMode.ALL, choose(DecodeMode.AUTO, stream(false, 8_000_000)).mode());
    assertNull(choose(DecodeMode.AUTO, stream(false, 8_000_000)).note());
    // 10 fps with B-frames: dropping 3 in a row leaves 0.4 s gaps, too long for 4 samples a second.
    DecodePlan.Stream tenFps = new DecodePlan.Stream(100_000, true, 8_000_000);
    assertEquals(DecodeMode.ALL, DecodePlan.choose(DecodeMode.AUTO, tenFps, 250_000).mode());
  }

  @Test
  void aModeTheStreamCannotServeFallsBackWithOneNote() {
    DecodePlan.Choice c = choose(DecodeMode.KEYFRAMES, stream(false, 120_000_000));
    assertEquals(DecodeMode.ALL, c.mode());
    assertEquals(
        "--decode=keyframes cannot serve --sampleFps (key frames up to 120.0 s apart): decoded"
            + " noref; --decode=noref cannot serve --sampleFps (no B-frames): decoded all",
        c.note());
    DecodePlan.Choice kept = choose(DecodeMode.NOREF, stream(true, 120_000_000));
    assertEquals(DecodeMode.NOREF, kept.mode());
    assertNull(kept.note());
    assertEquals(DecodeMode.ALL, choose(DecodeMode.ALL, stream(false, -1)).mode());
  }

  @Test
  void unknownModesAreAUserError() {
    assertEquals(DecodeMode.NOREF, DecodeMode.parse(" NoRef "));
    UserError e = assertThrows(UserError.class, () -> DecodeMode.parse("nonref"));
    assertEquals(
        "unknown --decode mode 'nonref' (known: auto, all, noref, keyframes)", e.getMessage());
  }

  @Test
  void packetsTellKeyGapsAndReordering() {
    // 30 fps in a 1/15360 time base, I P B B P B B ... with a key frame every 15 frames.
    StreamProbe.Facts facts = new StreamProbe.Facts(1, 15360, HALF_SECOND);
    long tick = 512;
    int[] order = {0, 3, 1, 2, 6, 4, 5, 9, 7, 8, 12, 10, 11, 15, 13, 14};
    for (int base = 0; base < 90; base += 15) {
      for (int i : order) {
        if (base + i < 90) {
          facts.packet((base + i) * tick, i % 15 == 0);
        }
      }
    }
    DecodePlan.Stream s = facts.toStream(FRAME_30FPS);
    assertTrue(s.reorders());
    assertEquals(500_000, s.maxKeyGapMicros());
    assertEquals(33_333, facts.toStream(0).frameMicros(), "from the packets' smallest step");

    StreamProbe.Facts inOrder = new StreamProbe.Facts(1, 30, HALF_SECOND);
    for (int i = 0; i < StreamProbe.PACKETS_FOR_ORDER; i++) {
      assertFalse(inOrder.settled());
      inOrder.packet(i, i == 0);
    }
    assertTrue(inOrder.settled(), "no key frame for 4 s and no reordering: nothing more to learn");
    DecodePlan.Stream one = inOrder.toStream(FRAME_30FPS);
    assertFalse(one.reorders());
    assertEquals((StreamProbe.PACKETS_FOR_ORDER - 1) * 1_000_000L / 30, one.maxKeyGapMicros());
  }

  @Test
  void aSkippingModeThatLeavesAGapWhileDecodingEndsItsPass() throws Exception {
    VideoProcessor.Pass keyframes = new VideoProcessor.Pass(DecodeMode.KEYFRAMES, 2, 1, 1);
    keyframes.decodedAt(0);
    keyframes.decodedAt(500_000);
    VideoProcessor.ModeFallsShort e =
        assertThrows(VideoProcessor.ModeFallsShort.class, () -> keyframes.decodedAt(90_500_000));
    assertEquals("frames 90.0 s apart at 90.5 s", e.getMessage());

    VideoProcessor.Pass noref = new VideoProcessor.Pass(DecodeMode.NOREF, 2, 1, 1);
    noref.decodedAt(0);
    e = assertThrows(VideoProcessor.ModeFallsShort.class, () -> noref.finish(60_000_000));
    assertEquals("last frame 60.0 s before the end", e.getMessage());

    VideoProcessor.Pass all = new VideoProcessor.Pass(DecodeMode.ALL, 2, 1, 1);
    all.decodedAt(0);
    all.decodedAt(90_000_000);
    all.finish(120_000_000);
  }

  @Test
  void everyFrameSkipsDeblockingOnlyWhenTheWorkingFrameIsAtMostHalfTheSource() {
    try (VideoProcessor p =
        new VideoProcessor(MotionDetectorTest.config("motion", 2, DecodeMode.AUTO, 0, 1), null)) {
      assertEquals(320, p.workingWidth(1920));
      assertEquals("all", p.skipLoopFilter(1920));
      assertEquals("all", p.skipLoopFilter(640));
      assertEquals("noref", p.skipLoopFilter(480));
      assertEquals("noref", p.skipLoopFilter(0));
    }
  }

  @Test
  void theSamplerTakesTheFirstFrameOfEachInterval() {
    Sampler s = new Sampler(HALF_SECOND);
    List<Long> taken = new ArrayList<>();
    for (long f = 0; f < 60; f++) {
      long ts = f * 1_000_000 / 30;
      if (s.take(ts)) {
        taken.add(f);
      }
    }
    assertEquals(List.of(0L, 15L, 30L, 45L), taken);
  }

  @Test
  void decoderThreadsShareTheCores() {
    DetectConfig one = MotionDetectorTest.config("motion", 2, DecodeMode.AUTO, 0, 1);
    assertEquals(8, one.threadsFor(1, 8));
    assertEquals(4, one.threadsFor(2, 8));
    assertEquals(1, one.threadsFor(3, 2));
    assertEquals(1, MotionDetectorTest.config("motion", 2, DecodeMode.AUTO, 0, 4).threadsFor(1, 2));
    assertEquals(3, MotionDetectorTest.config("motion", 2, DecodeMode.AUTO, 3, 4).threadsFor(9, 2));
  }

  @Test
  void peopleRegionsGrowMotionBoxesToAPersonShapeAndMerge() {
    List<Detector.Box> boxes =
        List.of(
            new Detector.Box("motion", 100, 100, 20, 40, 1.0),
            new Detector.Box("motion", 110, 120, 20, 40, 1.0),
            new Detector.Box("motion", 500, 10, 10, 10, 1.0),
            new Detector.Box("face", 300, 300, 50, 50, null));
    List<int[]> regions = PeopleDetector.regions(boxes, 640, 360);
    assertEquals(2, regions.size());
    int[] merged = regions.get(0);
    assertTrue(merged[0] <= 100 && merged[1] <= 100, java.util.Arrays.toString(merged));
    assertTrue(merged[0] + merged[2] >= 130 && merged[1] + merged[3] >= 160);
    int[] small = regions.get(1);
    assertTrue(
        small[3] >= 2 * small[2] - 16, "taller than wide: " + java.util.Arrays.toString(small));
    assertTrue(small[1] == 0, "clipped at the top: " + java.util.Arrays.toString(small));
  }

  private static DecodePlan.Choice choose(DecodeMode mode, DecodePlan.Stream s) {
    return DecodePlan.choose(mode, s, HALF_SECOND);
  }

  private static DecodePlan.Stream stream(boolean bFrames, long keyGap) {
    return new DecodePlan.Stream(FRAME_30FPS, bFrames, keyGap);
  }
}
