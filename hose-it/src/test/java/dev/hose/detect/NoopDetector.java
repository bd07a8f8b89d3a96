package dev.hose.detect;

import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Detects nothing: isolates decode and scaling cost, e.g. {@code Benchmarks
 * --detectors=dev.hose.detect.NoopDetector}.
 */
public final class NoopDetector implements Detector {
  @Override
  public String name() {
    return "noop";
  }

  @Override
  public Session start(int width, int height) {
    return (Mat gray, List<Box> out) -> {};
  }
}
