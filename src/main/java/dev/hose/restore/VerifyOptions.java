package dev.hose.restore;

import dev.hose.common.HoseOptions;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Options of {@code hose verify}: check archived shards against their manifests. */
public interface VerifyOptions extends HoseOptions {
  @Description(
      "An archive: a run's output prefix (s3://bucket/prefix/ or a local directory) or one"
          + " table's directory under it.")
  @Validation.Required
  String getInput();

  void setInput(String value);
}
