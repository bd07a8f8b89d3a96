package dev.hose.detect;

import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * A detector. One instance lives as long as its DoFn instance (load models here) and is used by one
 * thread at a time; {@link #start} opens the state of one video. Adding a detector is one class
 * with a public no-argument constructor: name it in {@code --detectors} by class name, or add it to
 * {@link Detectors}.
 */
public interface Detector extends AutoCloseable {
  /** The name written in each detection. */
  String name();

  /**
   * The widest frame this detector can use; frames are decoded no wider than the largest value
   * among the selected detectors (and {@code --workingWidth}), which saves scaling work.
   */
  default int maxUsefulWidth() {
    return Integer.MAX_VALUE;
  }

  /** Opens the per-video state for frames of {@code width} x {@code height} (working size). */
  Session start(int width, int height);

  @Override
  default void close() {}

  /** The state of one video; native memory it allocates is released by {@link #close}. */
  interface Session extends AutoCloseable {
    /**
     * Detects on one grayscale frame at working size. Boxes are in working-size pixels; {@code
     * frame} and {@code time} are filled in by the caller.
     */
    void detect(Mat gray, List<Box> out);

    /**
     * Like {@link #detect(Mat, List)}, given the boxes that the detectors run before this one found
     * on the same frame ({@link Detectors#inRunOrder}); a detector may look only there.
     */
    default void detect(Mat gray, List<Box> earlier, List<Box> out) {
      detect(gray, out);
    }

    @Override
    default void close() {}
  }

  /** A box at working size with its label and optional score. */
  record Box(String label, int x, int y, int width, int height, Double score) {}
}
