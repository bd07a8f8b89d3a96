package dev.hose.support;

import dev.hose.embedded.EmbeddedPostgresServer;
import dev.hose.embedded.S3Server;
import dev.hose.embedded.Sandbox;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;

/**
 * A real PostgreSQL server and a real S3 API server on loopback, for one test class. In-process
 * pipelines find the S3 credentials through the AWS SDK's system properties; forked JVMs get them
 * from {@link #environment()}.
 */
public final class TestServers implements AutoCloseable {
  public static final String PASSWORD = "canary-Pa55word-do-not-log";
  public static final String ACCESS_KEY = "AKIAHOSETEST";
  public static final String SECRET_KEY = "hose-secret-key-canary";
  public static final String BUCKET = "hose";

  public final EmbeddedPostgresServer postgres;

  /** Replaced by {@link #startS3Again()} after {@link #stopS3()}: same port, same objects. */
  public S3Server s3;

  public final Path passwordFile;
  private final Sandbox sandbox;
  private Process restartedPostgres;

  private TestServers(Sandbox sandbox) {
    this.sandbox = sandbox;
    this.postgres = sandbox.postgres;
    this.s3 = sandbox.s3;
    this.passwordFile = sandbox.passwordFile;
  }

  public static TestServers start(Path dir) throws Exception {
    Sandbox sandbox = Sandbox.start(dir, 0, PASSWORD, ACCESS_KEY, SECRET_KEY);
    System.setProperty("aws.accessKeyId", ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", SECRET_KEY);
    return new TestServers(sandbox);
  }

  public Path dir() {
    return sandbox.dir;
  }

  public String jdbcUrl() {
    return postgres.jdbcUrl("postgres");
  }

  public Connection connect() throws SQLException {
    return postgres.connect("postgres");
  }

  public void sql(String... statements) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  /** Options that point archive at these servers; add --tables and --output. */
  public List<String> archiveArgs() {
    List<String> args = new ArrayList<>();
    args.add("--jdbcUrl=" + jdbcUrl());
    args.add("--username=" + EmbeddedPostgresServer.USER);
    args.add("--passwordFile=" + passwordFile);
    args.add("--awsRegion=us-east-1");
    args.add("--endpoint=" + s3.endpoint());
    return args;
  }

  /** Environment for a forked hose JVM: S3 credentials, no instance-metadata probing. */
  public java.util.Map<String, String> environment() {
    return java.util.Map.of(
        "AWS_ACCESS_KEY_ID", ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY", SECRET_KEY,
        "AWS_EC2_METADATA_DISABLED", "true",
        "HOSE_PG_PASSWORD", PASSWORD);
  }

  /** An independent S3 client (not Beam's) for checking what landed. */
  public S3Client s3Client() {
    return S3Client.builder()
        .endpointOverride(s3.endpoint())
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .build();
  }

  /** Keys under {@code prefix} in the test bucket. */
  public List<String> keys(String prefix) {
    try (S3Client c = s3Client()) {
      List<String> keys = new ArrayList<>();
      c.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix))
          .contents()
          .forEach(o -> keys.add(o.key()));
      return keys;
    }
  }

  /** Pending multipart uploads in the test bucket. */
  public int pendingUploads() {
    try (S3Client c = s3Client()) {
      ListMultipartUploadsResponse r = c.listMultipartUploads(b -> b.bucket(BUCKET));
      return r.uploads().size();
    }
  }

  public byte[] object(String key) {
    try (S3Client c = s3Client()) {
      return c.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray();
    }
  }

  /**
   * Stops the S3 server (its port closes; stored objects and pending uploads stay on disk), as an
   * S3 endpoint that goes away for a while.
   */
  public synchronized void stopS3() throws Exception {
    s3.close();
  }

  /** Serves S3 again on the same port and data after {@link #stopS3()}. */
  public synchronized void startS3Again() throws Exception {
    s3 = S3Server.start(dir().resolve("s3"), s3.port(), ACCESS_KEY, SECRET_KEY);
  }

  /**
   * Restarts PostgreSQL in place (fast shutdown, then the same command line: same port, same data):
   * every connection and open transaction ends, as in a database restart. Returns once it accepts
   * connections again. Signals the postmaster and starts it as it was started, because pg_ctl
   * refuses root.
   */
  public synchronized void restartPostgres() throws IOException, InterruptedException {
    Path home = postgres.directory();
    Path data = home.resolve("data");
    long pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).strip());
    List<String> command = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name"))) {
      command.addAll(List.of("unshare", "-U")); // as the server was started: postgres refuses root
    }
    Matcher m =
        Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"|(\\S+)")
            .matcher(Files.readString(data.resolve("postmaster.opts")).strip());
    while (m.find()) {
      command.add(m.group(1) != null ? m.group(1) : m.group(2));
    }
    signal(pid, "INT"); // fast shutdown: ends every session, rolls back open transactions
    ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
    Path log = home.resolve("restart.log");
    restartedPostgres =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (true) {
      try (Connection c = connect()) {
        return;
      } catch (SQLException e) {
        if (!restartedPostgres.isAlive() || System.nanoTime() > deadline) {
          throw new IOException("PostgreSQL did not come back: " + Files.readString(log), e);
        }
        Thread.sleep(100);
      }
    }
  }

  private static void signal(long pid, String signal) throws IOException, InterruptedException {
    new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor();
  }

  @Override
  public void close() throws Exception {
    try {
      if (s3 != sandbox.s3) {
        s3.close(); // started again after an outage; the sandbox closes the first one
      }
      sandbox.close();
    } finally {
      Process restarted = restartedPostgres;
      if (restarted != null && restarted.isAlive()) {
        signal(restarted.pid(), "INT");
        if (!restarted.waitFor(30, TimeUnit.SECONDS)) {
          restarted.destroyForcibly();
        }
      }
    }
  }
}
