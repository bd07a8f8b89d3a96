package dev.hose.common;

import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.util.InstanceBuilder;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * Aborts multipart uploads that Beam's S3 channel leaves behind when a write fails (it never aborts
 * them itself, so their parts stay billed and invisible to a listing).
 */
public final class S3Uploads {
  private S3Uploads() {}

  /** Aborts every pending multipart upload under {@code s3://bucket/prefix}; returns how many. */
  public static int abortUnder(S3Options options, String bucket, String prefix) {
    try (S3Client s3 = client(options)) {
      int aborted = 0;
      String keyMarker = null;
      String uploadIdMarker = null;
      while (true) {
        String km = keyMarker;
        String um = uploadIdMarker;
        ListMultipartUploadsResponse page =
            s3.listMultipartUploads(
                b -> b.bucket(bucket).prefix(prefix).keyMarker(km).uploadIdMarker(um));
        for (MultipartUpload u : page.uploads()) {
          s3.abortMultipartUpload(b -> b.bucket(bucket).key(u.key()).uploadId(u.uploadId()));
          aborted++;
        }
        if (!Boolean.TRUE.equals(page.isTruncated())) {
          return aborted;
        }
        keyMarker = page.nextKeyMarker();
        uploadIdMarker = page.nextUploadIdMarker();
      }
    }
  }

  /** Splits {@code s3://bucket/key} (the key may hold spaces and any character) into both. */
  public static String[] bucketAndKey(String url) {
    if (!url.startsWith("s3://")) {
      throw new IllegalArgumentException("not an s3:// URL: " + url);
    }
    String rest = url.substring("s3://".length());
    int slash = rest.indexOf('/');
    return slash < 0
        ? new String[] {rest, ""}
        : new String[] {rest.substring(0, slash), rest.substring(slash + 1)};
  }

  /** An S3 client built the way Beam's S3 filesystem builds its own, from the same options. */
  public static S3Client client(S3Options options) {
    return InstanceBuilder.ofType(org.apache.beam.sdk.io.aws2.options.S3ClientBuilderFactory.class)
        .fromClass(options.getS3ClientFactoryClass())
        .build()
        .createBuilder(options)
        .build();
  }
}
