package dev.hose.embedded;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The embedded default: a real PostgreSQL server and a real S3 server (bucket {@code hose}) on
 * loopback, with data under one directory.
 */
public final class Sandbox implements AutoCloseable {
  public static final String BUCKET = "hose";
  public static final String ACCESS_KEY = "hose-sandbox";
  public static final String SECRET_KEY = "hose-sandbox-secret";

  public final EmbeddedPostgresServer postgres;
  public final S3Server s3;
  public final Path passwordFile;
  public final Path dir;

  private Sandbox(Path dir, EmbeddedPostgresServer postgres, S3Server s3, Path passwordFile) {
    this.dir = dir;
    this.postgres = postgres;
    this.s3 = s3;
    this.passwordFile = passwordFile;
  }

  /** Starts both servers under {@code dir}, with a fresh random database password. */
  public static Sandbox start(Path dir, int s3Port) throws Exception {
    return start(dir, s3Port, java.util.UUID.randomUUID().toString(), ACCESS_KEY, SECRET_KEY);
  }

  /** Starts both servers with the given credentials; the password is also written to a file. */
  public static Sandbox start(
      Path dir, int s3Port, String password, String accessKey, String secretKey) throws Exception {
    Files.createDirectories(dir);
    Path passwordFile = dir.resolve("pgpass");
    Files.writeString(passwordFile, password + "\n");
    passwordFile.toFile().setReadable(false, false);
    passwordFile.toFile().setReadable(true, true);
    EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("postgres"), password);
    S3Server s3;
    try {
      s3 = S3Server.start(dir.resolve("s3"), s3Port, accessKey, secretKey);
      s3.createBucket(BUCKET);
    } catch (Exception e) {
      pg.close();
      throw e;
    }
    return new Sandbox(dir, pg, s3, passwordFile);
  }

  /** Where an object of the bucket lives on disk. */
  public Path objectPath(String key) {
    return s3.objectPath(BUCKET, key);
  }

  /** The facts a client needs (the password stays in its file). */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("jdbcUrl", postgres.jdbcUrl("postgres"));
    m.put("username", EmbeddedPostgresServer.USER);
    m.put("passwordFile", passwordFile.toString());
    m.put("s3Endpoint", s3.endpoint().toString());
    m.put("accessKey", s3.accessKey());
    m.put("secretKey", s3.secretKey());
    m.put("bucket", BUCKET);
    m.put("awsRegion", "us-east-1");
    m.put("s3Dir", dir.resolve("s3").toString());
    m.put("pid", ProcessHandle.current().pid());
    return m;
  }

  @Override
  public void close() throws Exception {
    try {
      s3.close();
    } finally {
      postgres.close();
    }
  }
}
