package dev.hose.detect;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * Writes {@code _manifest.json} from the run's counts and the names of the finished output files.
 * It runs after both outputs are finalized, so its presence means the run is complete.
 */
final class WriteManifestFn extends DoFn<DetectCounts, String> {
  static final String MANIFEST = "_manifest.json";

  private final String output;
  private final Map<String, String> settings;

  WriteManifestFn(String output, Map<String, String> settings) {
    this.output = output;
    this.settings = new TreeMap<>(settings);
  }

  @ProcessElement
  public void processElement(@Element DetectCounts counts, OutputReceiver<String> out)
      throws IOException {
    ObjectNode manifest = Json.mapper().createObjectNode();
    manifest.put("command", "detect");
    manifest.put("finishedAt", Instant.now().toString());
    manifest.put("videos", counts.videos());
    manifest.put("succeeded", counts.succeeded());
    manifest.put("failed", counts.failed());
    ObjectNode reasons = manifest.putObject("failedByReason");
    counts.failedByReason().forEach(reasons::put);
    ObjectNode fileNode = manifest.putObject("files");
    putSorted(fileNode, DetectPipeline.DETECTIONS, counts.detectionFiles());
    putSorted(fileNode, DetectPipeline.FAILURES, counts.failureFiles());
    ObjectNode settingsNode = manifest.putObject("settings");
    settings.forEach(settingsNode::put);

    ResourceId target =
        FileSystems.matchNewResource(output, true)
            .resolve(MANIFEST, StandardResolveOptions.RESOLVE_FILE);
    String json = Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(manifest);
    try (OutputStream os =
        Channels.newOutputStream(FileSystems.create(target, "application/json"))) {
      os.write((json + "\n").getBytes(StandardCharsets.UTF_8));
    }
    out.output(target.toString());
  }

  /** A sorted array of names, left out when there are none. */
  private static void putSorted(ObjectNode node, String field, List<String> names) {
    if (!names.isEmpty()) {
      ArrayNode array = node.putArray(field);
      names.stream().sorted().forEach(array::add);
    }
  }
}
