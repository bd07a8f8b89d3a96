package dev.hose.detect;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Combine;

/**
 * What {@code _manifest.json} counts: videos that succeeded, failures by reason, and the names of
 * the finished output files. Each result, failure and file contributes one value; {@link Sum} adds
 * them into the run's.
 *
 * @param failedByReason failures per reason code, sorted by code
 * @param detectionFiles file names (no directory) of the detections output
 * @param failureFiles file names (no directory) of the failures output
 */
@DefaultCoder(SerializableCoder.class)
public record DetectCounts(
    long succeeded,
    Map<String, Long> failedByReason,
    List<String> detectionFiles,
    List<String> failureFiles)
    implements Serializable {
  static final DetectCounts NONE = new DetectCounts(0, Map.of(), List.of(), List.of());

  public DetectCounts {
    failedByReason = new TreeMap<>(failedByReason);
    detectionFiles = List.copyOf(detectionFiles);
    failureFiles = List.copyOf(failureFiles);
  }

  static DetectCounts success() {
    return new DetectCounts(1, Map.of(), List.of(), List.of());
  }

  static DetectCounts failure(String reason) {
    return new DetectCounts(0, Map.of(reason, 1L), List.of(), List.of());
  }

  static DetectCounts detectionFile(String name) {
    return new DetectCounts(0, Map.of(), List.of(name), List.of());
  }

  static DetectCounts failureFile(String name) {
    return new DetectCounts(0, Map.of(), List.of(), List.of(name));
  }

  long failed() {
    return failedByReason.values().stream().mapToLong(Long::longValue).sum();
  }

  long videos() {
    return succeeded + failed();
  }

  DetectCounts plus(DetectCounts other) {
    Map<String, Long> reasons = new TreeMap<>(failedByReason);
    other.failedByReason.forEach((reason, n) -> reasons.merge(reason, n, Long::sum));
    return new DetectCounts(
        succeeded + other.succeeded,
        reasons,
        concat(detectionFiles, other.detectionFiles),
        concat(failureFiles, other.failureFiles));
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /** Adds counts; with no input it gives {@link #NONE}, so an empty run still has a manifest. */
  static final class Sum extends Combine.BinaryCombineFn<DetectCounts> {
    @Override
    public DetectCounts apply(DetectCounts left, DetectCounts right) {
      return left.plus(right);
    }

    @Override
    public DetectCounts identity() {
      return NONE;
    }
  }
}
