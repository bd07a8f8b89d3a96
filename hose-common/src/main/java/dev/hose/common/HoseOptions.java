package dev.hose.common;

import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.options.Description;

/**
 * Options every hose command shares. S3 settings come from Beam's {@link S3Options} ({@code
 * --awsRegion}, {@code --endpoint}, {@code --s3UploadBufferSizeBytes}, …).
 */
public interface HoseOptions extends S3Options {
  @Description(
      "A file under runner-configs/ whose key=value lines are runner options (where to run). "
          + "Options given on the command line win.")
  String getRunnerConfig();

  void setRunnerConfig(String value);

  @Description(
      "Use path-style S3 addressing (http://endpoint/bucket/key). Defaults to true when --endpoint"
          + " is set (S3-compatible servers), false for AWS.")
  Boolean getS3PathStyle();

  void setS3PathStyle(Boolean value);
}
