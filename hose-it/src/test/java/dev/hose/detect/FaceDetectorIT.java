package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.support.video.Footage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Faces on a real photograph (the astronaut portrait) panning across a video frame. */
class FaceDetectorIT {
  @TempDir Path dir;

  @Test
  void theFaceIsFoundWhereItIsOnEveryFrame() throws Exception {
    Footage.Pan pan =
        Footage.pan(
            Footage.file(Footage.ASTRONAUT), dir.resolve("astronaut.mp4"), 960, 540, 30, 15);
    VideoResult result = Analyze.run(pan.file(), "faces", 15, DecodeMode.AUTO);

    assertEquals(30, result.framesSampled());
    Map<Long, List<Detection>> byFrame =
        result.detections().stream().collect(Collectors.groupingBy(Detection::frame));
    int found = 0;
    int elsewhere = 0;
    for (long frame = 0; frame < pan.frames(); frame++) {
      int[] truth = pan.boxAt(frame, Footage.ASTRONAUT_FACE);
      for (Detection d : byFrame.getOrDefault(frame, List.of())) {
        if (Analyze.iou(truth, Analyze.box(d)) >= 0.5) {
          found++;
        } else {
          elsewhere++;
        }
      }
    }
    String all = result.detections().toString();
    assertTrue(found >= 27, "face at the labelled place on " + found + " of 30 frames: " + all);
    assertTrue(elsewhere <= 3, elsewhere + " faces elsewhere: " + all);
  }
}
