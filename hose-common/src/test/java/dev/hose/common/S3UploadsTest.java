package dev.hose.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Beam's s3:// paths are not encoded URIs: keys come back exactly as written. */
class S3UploadsTest {
  @Test
  void bucketAndKeyAsWritten() {
    assertEquals(
        new S3Uploads.Location("hose", "out/_hose_temp/"),
        S3Uploads.location("s3://hose/out/_hose_temp/"));
    assertEquals(
        new S3Uploads.Location("hose", "a b/50% ?x#y/é.jsonl.gz"),
        S3Uploads.location("s3://hose/a b/50% ?x#y/é.jsonl.gz"));
    assertEquals(new S3Uploads.Location("hose", ""), S3Uploads.location("s3://hose"));
    assertEquals(new S3Uploads.Location("hose", "/x"), S3Uploads.location("s3://hose//x"));
  }

  @Test
  void onlyS3Paths() {
    assertThrows(IllegalArgumentException.class, () -> S3Uploads.location("/tmp/out"));
  }
}
