package dev.hose.detect;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;

/**
 * Writes {@code _manifest.json} from the counts and the names of the finished output files. It runs
 * after both outputs are finalized, so its presence means the run is complete.
 */
final class WriteManifestFn extends DoFn<KV<String, Iterable<KV<String, String>>>, String> {
  static final String MANIFEST = "_manifest.json";
  static final String SUCCEEDED = "succeeded";
  static final String FAILED = "failed";
  static final String FAILED_PREFIX = "failed:";
  static final String DETECTIONS_FILE = "file:detections";
  static final String FAILURES_FILE = "file:failures";

  private final String output;
  private final Map<String, String> settings;

  WriteManifestFn(String output, Map<String, String> settings) {
    this.output = output;
    this.settings = new TreeMap<>(settings);
  }

  @ProcessElement
  public void processElement(
      @Element KV<String, Iterable<KV<String, String>>> parts, OutputReceiver<String> out)
      throws IOException {
    ObjectNode manifest = Json.mapper().createObjectNode();
    manifest.put("command", "detect");
    manifest.put("finishedAt", Instant.now().toString());
    long succeeded = 0;
    long failed = 0;
    Map<String, Long> byReason = new TreeMap<>();
    Map<String, java.util.List<String>> files = new TreeMap<>();
    for (KV<String, String> part : parts.getValue()) {
      String key = part.getKey();
      if (key.equals(SUCCEEDED)) {
        succeeded += Long.parseLong(part.getValue());
      } else if (key.equals(FAILED)) {
        failed += Long.parseLong(part.getValue());
      } else if (key.startsWith(FAILED_PREFIX)) {
        byReason.merge(
            key.substring(FAILED_PREFIX.length()), Long.parseLong(part.getValue()), Long::sum);
      } else if (key.startsWith("file:")) {
        files
            .computeIfAbsent(key.substring(5), k -> new java.util.ArrayList<>())
            .add(part.getValue());
      }
    }
    manifest.put("videos", succeeded + failed);
    manifest.put("succeeded", succeeded);
    manifest.put("failed", failed);
    ObjectNode reasons = manifest.putObject("failedByReason");
    byReason.forEach(reasons::put);
    ObjectNode fileNode = manifest.putObject("files");
    for (Map.Entry<String, java.util.List<String>> e : files.entrySet()) {
      ArrayNode names = fileNode.putArray(e.getKey());
      e.getValue().stream().sorted().forEach(names::add);
    }
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
}
