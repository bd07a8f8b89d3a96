package dev.hose.detect;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Merges detections on consecutive sampled frames into segments. Pure functions. */
final class Segments {
  private Segments() {}

  /**
   * One segment per run of sampled frames in which a detector saw a label; a run breaks when a
   * sampled frame without that label comes between. {@code sampledFrames} are the indexes of all
   * sampled frames in order.
   */
  static List<Segment> merge(List<Detection> detections, List<Long> sampledFrames) {
    Map<Long, Integer> position = new LinkedHashMap<>();
    for (int i = 0; i < sampledFrames.size(); i++) {
      position.put(sampledFrames.get(i), i);
    }
    Map<String, Open> open = new LinkedHashMap<>();
    List<Segment> done = new ArrayList<>();
    for (Detection d : detections) {
      String key = d.detector() + "\u0000" + d.label();
      int pos = position.getOrDefault(d.frame(), -1);
      Open run = open.get(key);
      if (run != null && (run.lastPos == pos || run.lastPos + 1 == pos)) {
        if (run.lastPos != pos) {
          run.frames++;
        }
        run.lastPos = pos;
        run.end = d.time();
        continue;
      }
      if (run != null) {
        done.add(run.toSegment());
      }
      Open next = new Open(d.detector(), d.label(), pos, d.time());
      open.put(key, next);
    }
    open.values().forEach(r -> done.add(r.toSegment()));
    done.sort(
        java.util.Comparator.comparingDouble(Segment::start).thenComparing(Segment::detector));
    return done;
  }

  private static final class Open {
    final String detector;
    final String label;
    final double start;
    double end;
    int lastPos;
    int frames = 1;

    Open(String detector, String label, int pos, double start) {
      this.detector = detector;
      this.label = label;
      this.lastPos = pos;
      this.start = start;
      this.end = start;
    }

    Segment toSegment() {
      return new Segment(detector, label, start, end, frames);
    }
  }
}
