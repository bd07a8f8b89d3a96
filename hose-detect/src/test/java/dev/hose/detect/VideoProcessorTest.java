package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.embedded.SyntheticVideo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Limits of one video: deadline, byte cap, interrupts; the scratch space ends empty each time. */
class VideoProcessorTest {
  @TempDir static Path files;
  @TempDir Path scratch;
  static Path video;

  @BeforeAll
  static void makeVideo() throws Exception {
    video = SyntheticVideo.create().frames(60).write(files.resolve("v.mp4"));
  }

  @AfterEach
  void scratchIsEmpty() throws Exception {
    assertEquals(List.of(), ScratchSpaceTest.children(scratch));
  }

  @Test
  void aVideoOverItsTimeIsATimeout() throws Exception {
    Failure f = failure(config(Duration.ofMillis(1), 1 << 30));
    assertEquals("timeout", f.reason());
  }

  @Test
  void aVideoOverTheCapIsRefusedBeforeItIsCopied() throws Exception {
    Failure f = failure(config(Duration.ofMinutes(1), 1000));
    assertEquals("too_large", f.reason());
    assertTrue(f.message().contains("--maxVideoBytes=1000"), f.message());
  }

  @Test
  void anInterruptedThreadStopsAndLeavesNothing() throws Exception {
    try (ScratchSpace space = ScratchSpace.open(scratch, 1L << 30);
        VideoProcessor p = new VideoProcessor(config(Duration.ofMinutes(1), 1 << 30), space)) {
      Thread.currentThread().interrupt();
      try {
        assertThrows(InterruptedException.class, () -> p.process(ref()));
      } finally {
        Thread.interrupted();
      }
      assertEquals(List.of(), ScratchSpaceTest.filesIn(space.directory()));
      VideoProcessor.Outcome ok = p.process(ref());
      assertEquals(60, ok.result().framesDecoded());
    }
  }

  private Failure failure(DetectConfig config) throws Exception {
    try (ScratchSpace space = ScratchSpace.open(scratch, config.scratchBudgetBytes());
        VideoProcessor p = new VideoProcessor(config, space)) {
      VideoProcessor.Outcome outcome = p.process(ref());
      assertEquals(List.of(), ScratchSpaceTest.filesIn(space.directory()));
      return outcome.failure();
    }
  }

  private static VideoRef ref() {
    return new VideoRef("v", video.toUri().toString());
  }

  private DetectConfig config(Duration timeout, long maxBytes) {
    return new DetectConfig(
        scratch.toString(),
        List.of("motion"),
        15,
        DecodeMode.AUTO,
        0,
        1,
        320,
        maxBytes,
        1L << 31,
        timeout,
        1000,
        1000,
        true,
        List.of()); // any host
  }
}
