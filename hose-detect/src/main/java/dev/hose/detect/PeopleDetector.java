package dev.hose.detect;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.RectVector;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_objdetect.HOGDescriptor;

/**
 * Standing and walking people: OpenCV's HOG descriptor with the linear SVM built into OpenCV
 * ({@code HOGDescriptor.getDefaultPeopleDetector()}, nothing to download). Boxes carry the SVM's
 * score.
 *
 * <p>With {@code motion} among the detectors, HOG looks only where something moves: around each
 * motion box of the same frame, enlarged so that a person fits, and scaled up when the region is
 * shorter than HOG's 64x128 window. That is cheaper and finds smaller people, but a person who
 * stands still (and anyone on a video's first sampled frame, which only trains motion) is not
 * reported. Without motion, HOG scans the whole frame. Faces are independent of people.
 */
public final class PeopleDetector implements Detector {
  /** HOG's window height: people shorter than this are found only after scaling up. */
  static final int WINDOW_HEIGHT = 128;

  /** Largest factor a motion region is scaled up by. */
  static final double MAX_UPSCALE = 3.0;

  private final boolean withinMotion;
  private final HOGDescriptor hog;

  /** Scans whole frames. */
  public PeopleDetector() {
    this(false);
  }

  /** With {@code withinMotion}, looks only around the motion boxes of each frame. */
  public PeopleDetector(boolean withinMotion) {
    this.withinMotion = withinMotion;
    this.hog = new HOGDescriptor();
    try (FloatPointer weights = HOGDescriptor.getDefaultPeopleDetector();
        Mat svm = new Mat(weights)) {
      hog.setSVMDetector(svm);
    }
  }

  @Override
  public String name() {
    return "people";
  }

  @Override
  public Session start(int width, int height) {
    return new PeopleSession(width, height);
  }

  @Override
  public void close() {
    hog.close();
  }

  private final class PeopleSession implements Session {
    private final int width;
    private final int height;
    private final Mat scaled = new Mat();
    private final Size winStride = new Size(8, 8);
    private final Size padding = new Size(8, 8);

    PeopleSession(int width, int height) {
      this.width = width;
      this.height = height;
    }

    @Override
    public void detect(Mat gray, List<Box> out) {
      find(gray, new Rect(0, 0, width, height), 1.0, out);
    }

    @Override
    public void detect(Mat gray, List<Box> earlier, List<Box> out) {
      if (!withinMotion) {
        detect(gray, out);
        return;
      }
      for (int[] r : regions(earlier, width, height)) {
        double up = Math.min(MAX_UPSCALE, Math.max(1.0, 1.1 * WINDOW_HEIGHT / r[3]));
        find(gray, new Rect(r[0], r[1], r[2], r[3]), up, out);
      }
    }

    /** HOG on {@code area} of the frame scaled by {@code up}; boxes back in frame pixels. */
    private void find(Mat gray, Rect area, double up, List<Box> out) {
      if (area.height() * up < WINDOW_HEIGHT || area.width() * up < WINDOW_HEIGHT / 2) {
        return;
      }
      try (Mat roi = new Mat(gray, area);
          RectVector found = new RectVector();
          DoublePointer scores = new DoublePointer()) {
        Mat input = roi;
        if (up != 1.0) {
          opencv_imgproc.resize(roi, scaled, new Size(), up, up, opencv_imgproc.INTER_LINEAR);
          input = scaled;
        }
        hog.detectMultiScale(input, found, scores, 0, winStride, padding, 1.05, 2, false);
        for (int i = 0; i < found.size(); i++) {
          Rect r = found.get(i);
          double score = i < scores.limit() ? scores.get(i) : Double.NaN;
          // HOG's window holds a margin around the person: keep the middle 80% (as OpenCV's
          // peopledetect sample does).
          out.add(
              new Box(
                  "person",
                  area.x() + (int) Math.round((r.x() + 0.1 * r.width()) / up),
                  area.y() + (int) Math.round((r.y() + 0.07 * r.height()) / up),
                  (int) Math.round(0.8 * r.width() / up),
                  (int) Math.round(0.8 * r.height() / up),
                  Double.isNaN(score) ? null : MotionDetector.round(score)));
        }
      }
    }

    @Override
    public void close() {
      scaled.close();
      winStride.close();
      padding.close();
    }
  }

  /**
   * The regions to search around motion boxes: each box grown to a person's shape (twice as tall as
   * wide, plus a margin), clipped to the frame, overlapping ones merged. Pure; {x, y, w, h}.
   */
  static List<int[]> regions(List<Box> earlier, int width, int height) {
    List<int[]> regions = new ArrayList<>();
    for (Box b : earlier) {
      if (!b.label().equals("motion")) {
        continue;
      }
      int w = Math.max(b.width(), b.height() / 2);
      int h = Math.max(b.height(), b.width() * 2);
      int cx = b.x() + b.width() / 2;
      int cy = b.y() + b.height() / 2;
      w = w * 3 / 2 + 16;
      h = h * 3 / 2 + 32;
      regions.add(clip(cx - w / 2, cy - h / 2, w, h, width, height));
    }
    for (boolean merged = true; merged; ) {
      merged = false;
      outer:
      for (int i = 0; i < regions.size(); i++) {
        for (int j = i + 1; j < regions.size(); j++) {
          int[] a = regions.get(i);
          int[] c = regions.get(j);
          if (a[0] < c[0] + c[2]
              && c[0] < a[0] + a[2]
              && a[1] < c[1] + c[3]
              && c[1] < a[1] + a[3]) {
            int x = Math.min(a[0], c[0]);
            int y = Math.min(a[1], c[1]);
            int x2 = Math.max(a[0] + a[2], c[0] + c[2]);
            int y2 = Math.max(a[1] + a[3], c[1] + c[3]);
            regions.set(i, new int[] {x, y, x2 - x, y2 - y});
            regions.remove(j);
            merged = true;
            break outer;
          }
        }
      }
    }
    return regions;
  }

  private static int[] clip(int x, int y, int w, int h, int width, int height) {
    int x1 = Math.max(0, x);
    int y1 = Math.max(0, y);
    int x2 = Math.min(width, x + w);
    int y2 = Math.min(height, y + h);
    return new int[] {x1, y1, Math.max(0, x2 - x1), Math.max(0, y2 - y1)};
  }
}
