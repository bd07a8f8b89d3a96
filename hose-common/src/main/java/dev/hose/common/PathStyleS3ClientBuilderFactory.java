package dev.hose.common;

import org.apache.beam.sdk.io.aws2.options.S3ClientBuilderFactory;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.aws2.s3.DefaultS3ClientBuilderFactory;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
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
    if (options.getHttpClientConfiguration() == null && options.getProxyConfiguration() == null) {
      // Beam's client is never closed, and the Apache client's idle-connection reaper is a thread
      // that would outlive the job and pin its classloader on a Flink TaskManager. (When an HTTP
      // or proxy configuration is given, Beam builds the HTTP client and the reaper stays.)
      builder.httpClientBuilder(ApacheHttpClient.builder().useIdleConnectionReaper(false));
    }
    Boolean pathStyle = options.as(HoseOptions.class).getS3PathStyle();
    if (pathStyle != null ? pathStyle : options.getEndpoint() != null) {
      builder.forcePathStyle(true);
    }
    return builder;
  }
}
