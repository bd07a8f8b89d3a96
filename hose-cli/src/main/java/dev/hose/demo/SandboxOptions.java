package dev.hose.demo;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Options of {@code hose sandbox} and {@code hose demo}: where the embedded servers keep data. */
public interface SandboxOptions extends PipelineOptions {
  @Description(
      "Directory for the servers' data (PostgreSQL, S3 objects) and, for the demo, output.")
  String getDir();

  void setDir(String value);

  @Description("Rows of the sample orders table.")
  @Default.Long(10_000L)
  long getRows();

  void setRows(long value);

  @Description("Port of the S3 server (0: a free one).")
  @Default.Integer(0)
  int getS3Port();

  void setS3Port(int value);
}
