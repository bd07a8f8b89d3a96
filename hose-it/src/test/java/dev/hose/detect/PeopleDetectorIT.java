package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.support.video.Footage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

/**
 * People on real footage: OpenCV's vtest.avi (people walking across a hall's forecourt), with the
 * people at least 88 pixels tall labelled by hand on three frames (at 20, 40 and 60 s).
 */
class PeopleDetectorIT {
  /** Frame number to the labelled people on it, {x, y, w, h} in source pixels. */
  static final Map<Long, int[][]> PEOPLE =
      Map.of(
          200L, new int[][] {{705, 253, 39, 100}, {617, 265, 33, 103}},
          400L, new int[][] {{688, 300, 55, 110}},
          600L,
              new int[][] {
                {455, 302, 45, 117},
                {642, 305, 29, 107},
                {569, 199, 28, 88},
                {670, 208, 35, 88},
                {284, 432, 47, 144}
              });

  static final double MIN_IOU = 0.3;

  @Test
  void wholeFramesFindMostLabelledPeople() throws Exception {
    List<Detection> found = new ArrayList<>();
    try (PeopleDetector people = new PeopleDetector();
        FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(Footage.file(Footage.VTEST).toFile());
        OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat()) {
      grabber.setImageMode(FrameGrabber.ImageMode.GRAY);
      grabber.setImageScalingFlags(org.bytedeco.ffmpeg.global.swscale.SWS_FAST_BILINEAR);
      grabber.setImageWidth(640);
      grabber.setImageHeight(480);
      grabber.start();
      double scale = 768 / 640.0;
      try (Detector.Session session = people.start(640, 480)) {
        long n = 0;
        for (Frame f; (f = grabber.grabImage()) != null && n <= 600; n++) {
          if (!PEOPLE.containsKey(n)) {
            continue;
          }
          Mat gray = converter.convert(f);
          List<Detector.Box> boxes = new ArrayList<>();
          session.detect(gray, boxes);
          for (Detector.Box b : boxes) {
            found.add(
                new Detection(
                    "people",
                    b.label(),
                    n,
                    n / 10.0,
                    (int) Math.round(b.x() * scale),
                    (int) Math.round(b.y() * scale),
                    (int) Math.round(b.width() * scale),
                    (int) Math.round(b.height() * scale),
                    b.score()));
          }
        }
      }
    }
    assertFindsLabelledPeople(found, 4, 0.5);
    assertTrue(found.stream().allMatch(d -> d.score() != null), found.toString());
  }

  @Test
  void withMotionPeopleAreLookedForWhereThingsMove() throws Exception {
    VideoResult result =
        Analyze.run(Footage.file(Footage.VTEST), "people,motion", 2, DecodeMode.AUTO);
    List<Detection> people =
        result.detections().stream().filter(d -> d.detector().equals("people")).toList();
    assertFindsLabelledPeople(people, 4, 0.6);
    // Every person box lies around motion seen on the same frame.
    for (Detection p : people) {
      boolean moving =
          result.detections().stream()
              .filter(d -> d.detector().equals("motion") && d.frame() == p.frame())
              .anyMatch(m -> overlaps(grown(Analyze.box(m)), Analyze.box(p)));
      assertTrue(moving, "no motion under " + p);
    }
  }

  /**
   * At least {@code minFound} labelled people have a box with IoU >= {@link #MIN_IOU}, and at least
   * {@code minPrecision} of the boxes on labelled frames are on a labelled person.
   */
  static void assertFindsLabelledPeople(List<Detection> found, int minFound, double minPrecision) {
    int labelled = 0;
    int matched = 0;
    int boxes = 0;
    int onPeople = 0;
    for (Map.Entry<Long, int[][]> e : PEOPLE.entrySet()) {
      List<int[]> here =
          found.stream().filter(d -> d.frame() == e.getKey()).map(Analyze::box).toList();
      for (int[] person : e.getValue()) {
        labelled++;
        if (here.stream().anyMatch(b -> Analyze.iou(person, b) >= MIN_IOU)) {
          matched++;
        }
      }
      for (int[] b : here) {
        boxes++;
        for (int[] person : e.getValue()) {
          if (Analyze.iou(person, b) >= MIN_IOU) {
            onPeople++;
            break;
          }
        }
      }
    }
    String what = matched + " of " + labelled + " labelled people found; boxes " + found;
    assertTrue(matched >= minFound, what);
    assertTrue(
        boxes > 0 && onPeople >= minPrecision * boxes, onPeople + " of " + boxes + ": " + what);
  }

  /** A motion box with half its size added on every side, as the people detector searches. */
  private static int[] grown(int[] b) {
    int side = Math.max(b[2], b[3]);
    return new int[] {b[0] - side, b[1] - side, b[2] + 2 * side, b[3] + 2 * side};
  }

  private static boolean overlaps(int[] a, int[] b) {
    return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
  }
}
