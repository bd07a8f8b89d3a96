package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real FFmpeg frames through the hand-off and its real scaler, with a detector that is slower than
 * decoding.
 */
class FrameHandoffTest {
  private final ExecutorService detecting = Executors.newSingleThreadExecutor();
  private final AtomicInteger submitted = new AtomicInteger();
  private final List<Long> seen = Collections.synchronizedList(new ArrayList<>());
  private final List<Integer> ahead = Collections.synchronizedList(new ArrayList<>());

  private final GrayScaler scaler = new GrayScaler(64, 36);

  @AfterEach
  void stop() {
    detecting.shutdownNow();
    scaler.close();
  }

  @Test
  void picturesReachTheDetectorInOrderWithDecodingAtMostTheSlotsAhead() throws Exception {
    try (FrameHandoff handoff = new FrameHandoff(detecting, scaler, this::slowDetect)) {
      for (long i = 0; i < 30; i++) {
        submit(handoff, i);
      }
      handoff.finish();
    }
    assertEquals(range(30), seen, "every picture, in decode order, with its own pixels");
    assertEquals(FrameHandoff.SLOTS, Collections.max(ahead), "decoding runs ahead, and no further");
  }

  @Test
  void aDetectorFailureReachesTheDecodingThreadAndStopsTheDetecting() throws Exception {
    VideoFailure failure;
    int submits = 0;
    try (FrameHandoff handoff =
        new FrameHandoff(
            detecting, scaler, throwingAt(5, new IllegalStateException("model broke")))) {
      failure = assertThrows(VideoFailure.class, () -> decodeAll(handoff, 30));
      submits = submitted.get();
    }
    assertEquals(Reason.DETECTOR_ERROR, failure.reason());
    assertTrue(failure.getMessage().contains("frame 5") && failure.getMessage().contains("model"));
    assertEquals(range(6), seen, "nothing detected after the failure");
    assertTrue(submits <= 6 + FrameHandoff.SLOTS + 1, "decoding stopped soon: " + submits);
  }

  @Test
  @Timeout(60) // before the fix, decoding waited for a slot forever
  void anErrorInADetectorReachesTheDecodingThreadInsteadOfBlockingIt() throws Exception {
    Error thrown;
    try (FrameHandoff handoff =
        new FrameHandoff(detecting, scaler, throwingAt(2, new OutOfMemoryError("native model")))) {
      thrown = assertThrows(OutOfMemoryError.class, () -> decodeAll(handoff, 30));
    }
    assertEquals("native model", thrown.getMessage());
    assertEquals(range(3), seen);
  }

  @Test
  void closeWaitsForTheDetectingThreadEvenWhenInterrupted() throws Exception {
    FrameHandoff handoff = new FrameHandoff(detecting, scaler, this::slowDetect);
    for (long i = 0; i < FrameHandoff.SLOTS; i++) {
      submit(handoff, i);
    }
    Thread.currentThread().interrupt();
    handoff.close();
    assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
    int detected = seen.size();
    Thread.sleep(100);
    assertEquals(detected, seen.size(), "no detecting after close returned");
    assertFalse(detected > 1, "queued pictures are let go, not detected on: " + detected);
  }

  @Test
  void aPictureTheScalerRefusesIsADecodeErrorOfItsFrame() throws Exception {
    try (FrameHandoff handoff = new FrameHandoff(detecting, scaler, this::slowDetect)) {
      submit(handoff, 0);
      AVFrame odd = avutil.av_frame_alloc();
      try {
        odd.format(avutil.AV_PIX_FMT_NONE).width(64).height(36);
        VideoFailure failure = assertThrows(VideoFailure.class, () -> handoff.submit(odd, 1, 1));
        assertEquals(Reason.DECODE_ERROR, failure.reason());
        assertTrue(failure.getMessage().startsWith("frame 1: cannot scale"), failure.getMessage());
      } finally {
        avutil.av_frame_free(odd);
      }
      submit(handoff, 2);
      handoff.finish();
    }
    assertEquals(List.of(0L, 2L), seen, "the slot went back: later pictures still pass");
  }

  /** The slow detector, which throws {@code thrown} (unchecked) on picture {@code failing}. */
  private FrameHandoff.Detect throwingAt(long failing, Throwable thrown) {
    return (picture, index, ts) -> {
      slowDetect(picture, index, ts);
      if (index == failing) {
        if (thrown instanceof Error e) {
          throw e;
        }
        throw (RuntimeException) thrown;
      }
    };
  }

  /** Submits pictures 0 to n - 1, then waits for the detectors, as the decoding loop does. */
  private void decodeAll(FrameHandoff handoff, int n) throws Exception {
    for (long i = 0; i < n; i++) {
      submit(handoff, i);
    }
    handoff.finish();
  }

  /**
   * A picture of its own buffer, its first pixel the index, freed as soon as it is submitted: the
   * hand-off keeps its own gray copy.
   */
  private void submit(FrameHandoff handoff, long index) throws Exception {
    AVFrame picture = avutil.av_frame_alloc();
    try {
      picture.format(avutil.AV_PIX_FMT_GRAY8).width(64).height(36);
      assertEquals(0, avutil.av_frame_get_buffer(picture, 0));
      picture.data(0).put(0, (byte) index);
      handoff.submit(picture, index, index * 33_333);
      submitted.incrementAndGet();
    } finally {
      avutil.av_frame_free(picture);
    }
  }

  /** Slower than decoding: by its end, decoding has filled every free slot. */
  private void slowDetect(Mat gray, long index, long ts) {
    try {
      Thread.sleep(5);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    ahead.add(submitted.get() - (int) index);
    seen.add((long) (gray.data().get(0) & 0xff));
  }

  private static List<Long> range(int n) {
    List<Long> r = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      r.add(i);
    }
    return r;
  }
}
