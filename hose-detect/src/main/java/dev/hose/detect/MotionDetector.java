package dev.hose.detect;

import static org.bytedeco.opencv.global.opencv_imgproc.CHAIN_APPROX_SIMPLE;
import static org.bytedeco.opencv.global.opencv_imgproc.MORPH_CLOSE;
import static org.bytedeco.opencv.global.opencv_imgproc.MORPH_OPEN;
import static org.bytedeco.opencv.global.opencv_imgproc.MORPH_RECT;
import static org.bytedeco.opencv.global.opencv_imgproc.RETR_EXTERNAL;
import static org.bytedeco.opencv.global.opencv_imgproc.THRESH_BINARY;

import java.util.List;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.global.opencv_video;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_video.BackgroundSubtractorMOG2;

/**
 * Moving regions: OpenCV's MOG2 background subtractor, then the bounding boxes of the foreground
 * blobs. Frames wider than {@link #ANALYSIS_WIDTH} are shrunk first (MOG2's cost is per pixel and
 * moving regions need no detail); boxes are scaled back to the working size. The first frame of a
 * video only trains the model.
 */
public final class MotionDetector implements Detector {
  /** Blobs smaller than this fraction of the frame are noise. */
  static final double MIN_AREA_FRACTION = 0.001;

  /** Width at which the background model runs. */
  static final int ANALYSIS_WIDTH = 320;

  @Override
  public String name() {
    return "motion";
  }

  @Override
  public int maxUsefulWidth() {
    return ANALYSIS_WIDTH;
  }

  @Override
  public Session start(int width, int height) {
    return new MotionSession(width, height);
  }

  private static final class MotionSession implements Session {
    private final BackgroundSubtractorMOG2 model =
        opencv_video.createBackgroundSubtractorMOG2(500, 16, false);
    private final Mat small = new Mat();
    private final Mat mask = new Mat();
    private final Size analysisSize;
    private final double scale;
    private final Mat open = opencv_imgproc.getStructuringElement(MORPH_RECT, new Size(3, 3));
    private final Mat close = opencv_imgproc.getStructuringElement(MORPH_RECT, new Size(5, 5));
    private final double minArea;
    private long frames;

    MotionSession(int width, int height) {
      this.scale = width > ANALYSIS_WIDTH ? (double) width / ANALYSIS_WIDTH : 1.0;
      int w = (int) Math.round(width / scale);
      int h = Math.max(1, (int) Math.round(height / scale));
      this.analysisSize = new Size(w, h);
      this.minArea = Math.max(16, MIN_AREA_FRACTION * w * h);
      model.setNMixtures(3);
    }

    /** Native temporaries of this call are released by the caller's per-frame PointerScope. */
    @Override
    public void detect(Mat gray, List<Box> out) {
      Mat input = gray;
      if (scale != 1.0) {
        opencv_imgproc.resize(gray, small, analysisSize, 0, 0, opencv_imgproc.INTER_AREA);
        input = small;
      }
      model.apply(input, mask, -1);
      if (frames++ == 0) {
        return;
      }
      opencv_imgproc.threshold(mask, mask, 127, 255, THRESH_BINARY);
      opencv_imgproc.morphologyEx(mask, mask, MORPH_OPEN, open);
      opencv_imgproc.morphologyEx(mask, mask, MORPH_CLOSE, close);
      try (MatVector contours = new MatVector()) {
        opencv_imgproc.findContours(mask, contours, RETR_EXTERNAL, CHAIN_APPROX_SIMPLE);
        for (long i = 0; i < contours.size(); i++) {
          Mat contour = contours.get(i);
          Rect r = opencv_imgproc.boundingRect(contour);
          double boxArea = (double) r.width() * r.height();
          if (boxArea < minArea) {
            continue;
          }
          double fill = Math.min(1.0, opencv_imgproc.contourArea(contour) / boxArea);
          out.add(
              new Box(
                  "motion",
                  (int) Math.round(r.x() * scale),
                  (int) Math.round(r.y() * scale),
                  (int) Math.round(r.width() * scale),
                  (int) Math.round(r.height() * scale),
                  round(fill)));
        }
      }
    }

    @Override
    public void close() {
      model.close();
      small.close();
      mask.close();
      analysisSize.close();
      open.close();
      close.close();
    }
  }

  static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
