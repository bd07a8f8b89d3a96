package dev.hose.embedded;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 API server (S3Proxy, multipart upload included) on a free loopback port, storing
 * objects as files under a directory, with signed-request authentication.
 */
public final class S3Server implements AutoCloseable {
  private final S3Proxy proxy;
  private final BlobStoreContext context;
  private final Path directory;
  private final String accessKey;
  private final String secretKey;
  private final int port;

  private S3Server(
      S3Proxy proxy, BlobStoreContext context, Path directory, String accessKey, String secretKey) {
    this.proxy = proxy;
    this.port = proxy.getPort();
    this.context = context;
    this.directory = directory;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
  }

  /** Starts a server on {@code port} (0 for a free one) storing objects under {@code directory}. */
  public static S3Server start(Path directory, int port, String accessKey, String secretKey)
      throws Exception {
    Files.createDirectories(directory);
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", directory.toString());
    BlobStoreContext context =
        ContextBuilder.newBuilder("filesystem-nio2")
            .credentials("hose", "hose")
            .overrides(props)
            .build(BlobStoreContext.class);
    S3Proxy proxy = serve(context, port, accessKey, secretKey);
    return new S3Server(proxy, context, directory, accessKey, secretKey);
  }

  private static S3Proxy serve(
      BlobStoreContext context, int port, String accessKey, String secretKey) throws Exception {
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(context.getBlobStore())
            .endpoint(URI.create("http://127.0.0.1:" + port))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
            // Beam always sends x-amz-server-side-encryption-bucket-key-enabled.
            .ignoreUnknownHeaders(true)
            .build();
    proxy.start();
    while (!"STARTED".equals(proxy.getState())) {
      Thread.sleep(20);
    }
    return proxy;
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  public int port() {
    return port;
  }

  public String accessKey() {
    return accessKey;
  }

  public String secretKey() {
    return secretKey;
  }

  /** Where the object {@code bucket/key} lives on disk. */
  public Path objectPath(String bucket, String key) {
    return directory.resolve(bucket).resolve(key);
  }

  public void createBucket(String bucket) {
    context.getBlobStore().createContainerInLocation(null, bucket);
  }

  @Override
  public void close() throws Exception {
    try {
      proxy.stop();
    } finally {
      context.close();
    }
  }
}
