package dev.hose.detect;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.hose.common.Json;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A detect run's {@code _manifest.json}, written last, and the names of its output: the one class
 * that writes it ({@link #toJson}) and reads it ({@link #parse}).
 */
@JsonPropertyOrder({
  "command",
  "finishedAt",
  "videos",
  "succeeded",
  "failed",
  "failedByReason",
  "files",
  "settings"
})
public record DetectManifest(
    String command,
    String finishedAt,
    long videos,
    long succeeded,
    long failed,
    SortedMap<String, Long> failedByReason,
    Files files,
    SortedMap<String, String> settings) {
  /** The manifest's file name in the output. */
  public static final String FILE = "_manifest.json";

  /** The prefix of the detection shards' names. */
  public static final String DETECTIONS = "detections";

  /** The prefix of the failure shards' names. */
  public static final String FAILURES = "failures";

  /** The finished output files by kind, sorted; a kind with no file is left out. */
  @JsonPropertyOrder({DETECTIONS, FAILURES})
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Files(List<String> detections, List<String> failures) {
    public Files {
      detections = detections == null ? List.of() : detections.stream().sorted().toList();
      failures = failures == null ? List.of() : failures.stream().sorted().toList();
    }
  }

  public DetectManifest {
    failedByReason = new TreeMap<>(failedByReason == null ? Map.of() : failedByReason);
    settings = new TreeMap<>(settings == null ? Map.of() : settings);
  }

  /** The manifest of a run with these counts and settings, finished at {@code finishedAt}. */
  static DetectManifest of(DetectCounts counts, Map<String, String> settings, String finishedAt) {
    return new DetectManifest(
        "detect",
        finishedAt,
        counts.videos(),
        counts.succeeded(),
        counts.failed(),
        new TreeMap<>(counts.failedByReason()),
        new Files(counts.detectionFiles(), counts.failureFiles()),
        new TreeMap<>(settings));
  }

  /** Indented JSON and a final newline. */
  public String toJson() {
    try {
      return Json.PRETTY.writeValueAsString(this) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write detect's manifest", e);
    }
  }

  public static DetectManifest parse(String json) throws IOException {
    return Json.MAPPER.readValue(json, DetectManifest.class);
  }
}
