package dev.hose.common;

import org.apache.beam.sdk.io.aws2.options.S3ClientBuilderFactory;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.aws2.s3.DefaultS3ClientBuilderFactory;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Beam's default S3 client builder plus path-style addressing, which S3-compatible servers (MinIO,
 * S3Proxy, Ceph) need and Beam has no option for. Path style is on when {@code --endpoint} is set,
 * unless {@code --s3PathStyle=false}.
 */
public final class PathStyleS3ClientBuilderFactory implements S3ClientBuilderFactory {
  private final DefaultS3ClientBuilderFactory delegate = new DefaultS3ClientBuilderFactory();

  @Override
  public S3ClientBuilder createBuilder(S3Options options) {
    S3ClientBuilder builder = delegate.createBuilder(options);
    Boolean pathStyle = options.as(HoseOptions.class).getS3PathStyle();
    if (pathStyle != null ? pathStyle : options.getEndpoint() != null) {
      builder.forcePathStyle(true);
    }
    return builder;
  }
}
