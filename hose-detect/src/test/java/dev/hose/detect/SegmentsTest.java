package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class SegmentsTest {
  @Test
  void consecutiveSampledFramesMergeAndGapsSplit() {
    List<Long> sampled = List.of(0L, 5L, 10L, 15L, 20L, 25L);
    List<Detection> d =
        List.of(
            det("motion", 5, 0.5),
            det("motion", 5, 0.5),
            det("motion", 10, 1.0),
            det("faces", 10, 1.0),
            det("motion", 20, 2.0),
            det("motion", 25, 2.5));
    assertEquals(
        List.of(
            new Segment("motion", "motion", 0.5, 1.0, 2),
            new Segment("faces", "faces", 1.0, 1.0, 1),
            new Segment("motion", "motion", 2.0, 2.5, 2)),
        Segments.merge(d, sampled));
  }

  private static Detection det(String detector, long frame, double time) {
    return new Detection(detector, detector, frame, time, 0, 0, 1, 1, null);
  }
}
