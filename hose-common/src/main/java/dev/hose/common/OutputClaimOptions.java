package dev.hose.common;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Options of commands that write an output prefix, which one run at a time may hold. */
public interface OutputClaimOptions extends PipelineOptions {
  @Description(
      "When another run holds --output, wait for it to end instead of refusing. A killed run's"
          + " claim is taken over once it is 120 s old, or at once if its launcher was on this"
          + " host.")
  @Default.Boolean(false)
  boolean getWait();

  void setWait(boolean value);
}
