package dev.hose.detect;

import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;

/** A detector that fails on every frame, for tests. */
public final class ThrowingDetector implements Detector {
  @Override
  public String name() {
    return "throwing";
  }

  @Override
  public Session start(int width, int height) {
    Mat state = new Mat(height, width, org.bytedeco.opencv.global.opencv_core.CV_8UC1);
    return new Session() {
      @Override
      public void detect(Mat gray, List<Box> out) {
        gray.copyTo(state);
        throw new IllegalStateException("boom");
      }

      @Override
      public void close() {
        state.close();
      }
    };
  }
}
