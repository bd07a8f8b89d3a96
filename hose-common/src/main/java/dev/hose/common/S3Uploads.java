package dev.hose.common;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.util.InstanceBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Uri;
import software.amazon.awssdk.services.s3.S3Utilities;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;

/**
 * Aborts multipart uploads that Beam's S3 channel leaves behind when a write fails (it never aborts
 * them itself, so their parts stay billed and invisible to a listing).
 */
public final class S3Uploads {
  private static final Logger LOG = LoggerFactory.getLogger(S3Uploads.class);
  private static final String S3_SCHEME = "s3://";
  private static final String UNRESERVED =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
  private static final String HEX = "0123456789ABCDEF";

  /** Parses s3:// URIs only, which need no region; the builder asks for one all the same. */
  private static final S3Utilities PARSER = S3Utilities.builder().region(Region.US_EAST_1).build();

  private S3Uploads() {}

  /** A pending multipart upload. */
  public record Upload(String key, String uploadId) {}

  /** Aborts every pending multipart upload under {@code s3://bucket/prefix}; returns how many. */
  public static int abortUnder(S3Options options, String bucket, String prefix) {
    return abort(options, bucket, pendingUploads(options, bucket, prefix));
  }

  /** The pending multipart uploads under {@code s3://bucket/prefix}, every page of them. */
  public static List<Upload> pendingUploads(S3Options options, String bucket, String prefix) {
    List<Upload> uploads = new ArrayList<>();
    try (S3Client s3 = client(options)) {
      String keyMarker = null;
      String uploadIdMarker = null;
      while (true) {
        String km = keyMarker;
        String um = uploadIdMarker;
        ListMultipartUploadsResponse page =
            s3.listMultipartUploads(
                b -> b.bucket(bucket).prefix(prefix).keyMarker(km).uploadIdMarker(um));
        for (MultipartUpload u : page.uploads()) {
          uploads.add(new Upload(u.key(), u.uploadId()));
        }
        if (!Boolean.TRUE.equals(page.isTruncated())) {
          return uploads;
        }
        keyMarker = page.nextKeyMarker();
        uploadIdMarker = page.nextUploadIdMarker();
      }
    }
  }

  /**
   * Aborts {@code uploads} in {@code bucket}; returns how many it aborted. An upload that is gone
   * by the time it is aborted (its writer, still running, completed or aborted it after the
   * listing) is not an error: there is nothing left to sweep.
   */
  public static int abort(S3Options options, String bucket, List<Upload> uploads) {
    if (uploads.isEmpty()) {
      return 0;
    }
    int aborted = 0;
    try (S3Client s3 = client(options)) {
      for (Upload u : uploads) {
        try {
          s3.abortMultipartUpload(b -> b.bucket(bucket).key(u.key()).uploadId(u.uploadId()));
          aborted++;
        } catch (NoSuchUploadException gone) {
          LOG.debug("upload {} of {} was already gone", u.uploadId(), u.key());
        }
      }
      return aborted;
    }
  }

  /** A bucket and a key in it; the key is empty for the bucket's root. */
  public record Location(String bucket, String key) {}

  /**
   * The bucket and key of an {@code s3://bucket/key} path as Beam spells it, read by the SDK's
   * {@link S3Utilities#parseUri}. Beam's paths are not encoded URIs (a key may hold spaces, '%',
   * '?' or '#'), so every byte a URI path can't hold as itself is percent-encoded first, and the
   * parser decodes it back.
   */
  public static Location location(String path) {
    if (!path.startsWith(S3_SCHEME)) {
      throw new IllegalArgumentException("not an s3:// URL: " + path);
    }
    S3Uri uri = PARSER.parseUri(URI.create(S3_SCHEME + encodePath(path.substring(5))));
    return new Location(uri.bucket().orElseThrow(), uri.key().orElse(""));
  }

  private static String encodePath(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c == '/' || UNRESERVED.indexOf(c) >= 0) {
        out.append((char) c);
      } else {
        out.append('%').append(HEX.charAt(c >> 4)).append(HEX.charAt(c & 0xf));
      }
    }
    return out.toString();
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
