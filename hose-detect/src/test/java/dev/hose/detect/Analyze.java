package dev.hose.detect;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Runs {@link VideoProcessor#analyze} on a local file, as the detection DoFn does. */
final class Analyze {
  private Analyze() {}

  static VideoResult run(Path file, String detectors, double sampleFps, DecodeMode mode)
      throws Exception {
    return run(file, detectors, sampleFps, mode, 640);
  }

  static VideoResult run(
      Path file, String detectors, double sampleFps, DecodeMode mode, int workingWidth)
      throws Exception {
    DetectConfig config =
        new DetectConfig(
            file.getParent().toString(),
            List.of(detectors.split(",")),
            sampleFps,
            mode,
            0,
            1,
            workingWidth,
            1L << 32,
            1L << 33,
            Duration.ofMinutes(5),
            1000,
            1000,
            true,
            List.of()); // any host
    try (VideoProcessor p = new VideoProcessor(config, null)) {
      VideoRef ref = new VideoRef("x", file.toUri().toString());
      return p.analyze(file, ref, Deadline.in(Duration.ofMinutes(5)));
    }
  }

  /** Intersection over union of two {x, y, w, h} boxes. */
  static double iou(int[] a, int[] b) {
    return MotionDetectorTest.iou(a, b);
  }

  static int[] box(Detection d) {
    return new int[] {d.x(), d.y(), d.width(), d.height()};
  }
}
