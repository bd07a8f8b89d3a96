package dev.hose.support;

import dev.hose.common.HoseOptions;
import dev.hose.common.PathStyleS3ClientBuilderFactory;
import dev.hose.common.S3Uploads;
import dev.hose.embedded.S3Server;
import java.nio.file.Path;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An S3 API server on loopback with one bucket, the options that reach it (path style, the
 * credentials as system properties) and a client of its own; {@link #close} stops both.
 */
public record LocalS3(S3Server server, HoseOptions options, S3Client client)
    implements AutoCloseable {

  public static LocalS3 start(Path dir, String bucket, String accessKey, String secretKey)
      throws Exception {
    S3Server server = S3Server.start(dir, 0, accessKey, secretKey);
    server.createBucket(bucket);
    System.setProperty("aws.accessKeyId", accessKey);
    System.setProperty("aws.secretAccessKey", secretKey);
    HoseOptions options =
        PipelineOptionsFactory.fromArgs("--awsRegion=us-east-1", "--endpoint=" + server.endpoint())
            .as(HoseOptions.class);
    options.setS3ClientFactoryClass(PathStyleS3ClientBuilderFactory.class);
    return new LocalS3(server, options, S3Uploads.client(options));
  }

  @Override
  public void close() throws Exception {
    client.close();
    server.close();
  }
}
