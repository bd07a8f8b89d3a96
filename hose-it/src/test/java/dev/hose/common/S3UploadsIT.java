package dev.hose.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hose.support.LocalS3;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** Sweeping multipart uploads against a real S3 API server, while their writer still runs. */
class S3UploadsIT {
  private static final String BUCKET = "uploads";

  @TempDir static Path dir;
  static LocalS3 s3;
  static HoseOptions options;
  static S3Client client;

  @BeforeAll
  static void start() throws Exception {
    s3 = LocalS3.start(dir.resolve("s3"), BUCKET, "AKIAUPLOADS", "uploads-secret");
    options = s3.options();
    client = s3.client();
  }

  @AfterAll
  static void stop() throws Exception {
    if (s3 != null) {
      s3.close();
    }
  }

  private static String begin(String key) {
    return client.createMultipartUpload(b -> b.bucket(BUCKET).key(key)).uploadId();
  }

  @Test
  void anUploadItsWriterEndsAfterTheListingIsNotAnError() {
    String completed = "temp/run-1/shard-00000.jsonl.gz";
    String aborted = "temp/run-1/shard-00001.jsonl.gz";
    String pending = "temp/run-1/shard-00002.jsonl.gz";
    String completedId = begin(completed);
    String abortedId = begin(aborted);
    begin(pending);
    List<S3Uploads.Upload> listed = S3Uploads.pendingUploads(options, BUCKET, "temp/");
    assertEquals(3, listed.size());

    // The old run's writer goes on after the listing: it completes one upload, aborts another.
    String etag =
        client
            .uploadPart(
                b -> b.bucket(BUCKET).key(completed).uploadId(completedId).partNumber(1),
                RequestBody.fromString("{}\n"))
            .eTag();
    client.completeMultipartUpload(
        b ->
            b.bucket(BUCKET)
                .key(completed)
                .uploadId(completedId)
                .multipartUpload(m -> m.parts(p -> p.partNumber(1).eTag(etag))));
    client.abortMultipartUpload(b -> b.bucket(BUCKET).key(aborted).uploadId(abortedId));

    assertEquals(1, S3Uploads.abort(options, BUCKET, listed), "only the pending one is aborted");
    assertEquals(List.of(), S3Uploads.pendingUploads(options, BUCKET, "temp/"));
  }
}
