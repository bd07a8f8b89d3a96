package dev.hose.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hose.embedded.EmbeddedPostgresServer;
import dev.hose.embedded.S3Server;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

class SandboxServersIT {
  @TempDir Path dir;

  @Test
  void postgresRequiresThePassword() throws Exception {
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("pg"), "s3cret")) {
      try (Connection c = pg.connect("postgres");
          ResultSet rs = c.createStatement().executeQuery("select 41 + 1")) {
        rs.next();
        assertEquals(42, rs.getInt(1));
      }
      assertThrows(
          SQLException.class,
          () -> DriverManager.getConnection(pg.jdbcUrl("postgres"), "postgres", "wrong"));
    }
  }

  @Test
  void s3ServerStoresObjectsWithPathStyleClients() throws Exception {
    try (S3Server s3 = S3Server.start(dir.resolve("s3"), 0, "AKIDTEST", "secretTEST")) {
      s3.createBucket("bucket");
      try (S3Client client =
          S3Client.builder()
              .endpointOverride(s3.endpoint())
              .region(Region.US_EAST_1)
              .forcePathStyle(true)
              .credentialsProvider(
                  StaticCredentialsProvider.create(
                      AwsBasicCredentials.create("AKIDTEST", "secretTEST")))
              .build()) {
        byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
        client.putObject(b -> b.bucket("bucket").key("a/b.txt"), RequestBody.fromBytes(body));
        assertArrayEquals(
            body, client.getObjectAsBytes(b -> b.bucket("bucket").key("a/b.txt")).asByteArray());
        assertArrayEquals(body, Files.readAllBytes(s3.objectPath("bucket", "a/b.txt")));
      }
    }
  }
}
