package dev.hose.detect;

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

/**
 * Writes {@code _manifest.json} from the run's counts and the names of the finished output files.
 * It runs after both outputs are finalized, so its presence means the run is complete.
 */
final class WriteManifestFn extends DoFn<DetectCounts, String> {
  private final String output;
  private final Map<String, String> settings;

  WriteManifestFn(String output, Map<String, String> settings) {
    this.output = output;
    this.settings = new TreeMap<>(settings);
  }

  @ProcessElement
  public void processElement(@Element DetectCounts counts, OutputReceiver<String> out)
      throws IOException {
    String json = DetectManifest.of(counts, settings, Instant.now().toString()).toJson();
    ResourceId target =
        FileSystems.matchNewResource(output, true)
            .resolve(DetectManifest.FILE, StandardResolveOptions.RESOLVE_FILE);
    try (OutputStream os =
        Channels.newOutputStream(FileSystems.create(target, "application/json"))) {
      os.write(json.getBytes(StandardCharsets.UTF_8));
    }
    out.output(target.toString());
  }
}
