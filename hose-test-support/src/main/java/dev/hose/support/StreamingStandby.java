package dev.hose.support;

import dev.hose.embedded.EmbeddedPostgresServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A hot standby that streams from an {@link EmbeddedPostgresServer} primary, both on loopback,
 * built from the primary's own embedded binaries (which have no pg_basebackup) the way {@code
 * pg_basebackup -R} builds one: a physical replication slot and a low-level base backup ({@code
 * pg_backup_start}, a copy of the data directory, {@code pg_backup_stop}'s backup label), then
 * {@code standby.signal} and {@code primary_conninfo}. The standby runs as a child process of this
 * JVM and is stopped by its pid.
 *
 * <p>Over 350 lines on purpose: it is test support that does by hand, in order, what pg_basebackup
 * does; each step needs the one before.
 */
public final class StreamingStandby implements AutoCloseable {
  /**
   * What a base backup leaves out: the primary's running state and WAL (the standby streams what it
   * needs from the slot), as the PostgreSQL docs list it.
   */
  private static final Set<String> EMPTY_DIRS =
      Set.of(
          "pg_wal",
          "pg_replslot",
          "pg_dynshmem",
          "pg_notify",
          "pg_serial",
          "pg_snapshots",
          "pg_stat_tmp",
          "pg_subtrans");

  private static final Set<String> SKIPPED_FILES =
      Set.of(
          "postmaster.pid",
          "postmaster.opts",
          "backup_label",
          "tablespace_map",
          "standby.signal",
          "recovery.signal",
          "epg-lock");

  private final EmbeddedPostgresServer primary;
  private final String slot;
  private final Path log;
  private final int port;
  private final Process process;

  private StreamingStandby(
      EmbeddedPostgresServer primary, String slot, Path log, int port, Process process) {
    this.primary = primary;
    this.slot = slot;
    this.log = log;
    this.port = port;
    this.process = process;
  }

  /**
   * Makes a standby of {@code primary} under {@code dir} with {@code hot_standby_feedback} on, and
   * returns once it has replayed everything the primary had written.
   */
  public static StreamingStandby start(EmbeddedPostgresServer primary, Path dir)
      throws IOException, SQLException, InterruptedException {
    Path data = dir.resolve("data");
    if (Files.exists(data)) {
      throw new IOException(data + " already exists");
    }
    String slot = "hose_standby_" + UUID.randomUUID().toString().substring(0, 8);
    String user = slot + "_replication";
    String replicationPassword = UUID.randomUUID().toString();
    try (Connection c = primary.connect("postgres");
        Statement s = c.createStatement()) {
      String walLevel = one(s, "SHOW wal_level");
      if (walLevel.equals("minimal")) {
        throw new IllegalStateException("the primary has wal_level=minimal: no standby possible");
      }
      s.execute(
          "CREATE ROLE " + user + " LOGIN REPLICATION PASSWORD '" + replicationPassword + "'");
      Files.writeString(
          primary.directory().resolve("data").resolve("pg_hba.conf"),
          "host replication " + user + " 127.0.0.1/32 scram-sha-256\n",
          StandardOpenOption.APPEND);
      s.execute("SELECT pg_reload_conf()");
      // Reserved now, so the primary keeps all WAL from before the backup's checkpoint on.
      s.execute("SELECT pg_create_physical_replication_slot('" + slot + "', true)");
      baseBackup(s, primary.directory().resolve("data"), data);
    }
    int port = freePort();
    configureStandby(data, port, slot, primary.port(), user, replicationPassword);
    Files.writeString(data.resolve("standby.signal"), "");
    Path log = dir.resolve("standby.log");
    List<String> command = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name"))) {
      command.addAll(List.of("unshare", "-U")); // postgres refuses root, as the primary is started
    }
    command.addAll(List.of(postgresBinary(primary).toString(), "-D", data.toString()));
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    StreamingStandby standby = new StreamingStandby(primary, slot, log, port, process);
    try {
      standby.await("the standby to accept connections in recovery", standby::inRecovery, 120);
      standby.awaitReplay();
    } catch (IOException | RuntimeException | InterruptedException e) {
      standby.close();
      throw e;
    }
    return standby;
  }

  /** The standby's settings: its port, and how it streams from the primary through the slot. */
  private static void configureStandby(
      Path data, int port, String slot, int primaryPort, String user, String replicationPassword)
      throws IOException {
    Files.writeString(
        data.resolve("postgresql.auto.conf"),
        String.join(
            "\n",
            "",
            "port = " + port,
            "listen_addresses = '127.0.0.1'",
            "unix_socket_directories = ''",
            "max_connections = 100",
            "fsync = off",
            "hot_standby = on",
            "hot_standby_feedback = on",
            "wal_receiver_status_interval = 1s",
            "log_min_messages = warning",
            "primary_slot_name = '" + slot + "'",
            "primary_conninfo = 'host=127.0.0.1 port="
                + primaryPort
                + " user="
                + user
                + " password="
                + replicationPassword
                + " application_name=hose_standby'",
            ""),
        StandardOpenOption.APPEND);
  }

  /**
   * The low-level base backup: the copy is taken between {@code pg_backup_start} and {@code
   * pg_backup_stop} on one session, and the label that {@code pg_backup_stop} returns makes the
   * standby start replay from the backup's checkpoint.
   */
  private static void baseBackup(Statement s, Path from, Path to) throws SQLException, IOException {
    s.execute("SELECT pg_backup_start('hose standby', true)");
    String label;
    try {
      copyDataDirectory(from, to);
    } finally {
      try (ResultSet rs = s.executeQuery("SELECT labelfile FROM pg_backup_stop(false)")) {
        rs.next();
        label = rs.getString(1);
      }
    }
    Files.writeString(to.resolve("backup_label"), label);
  }

  /** What pg_basebackup leaves out of a copy of the data directory {@code from}. */
  private static boolean skipped(Path from, Path file) {
    String name = file.getFileName().toString();
    return (file.getParent().equals(from) && SKIPPED_FILES.contains(name))
        || name.equals("pg_internal.init")
        || name.startsWith("pgsql_tmp");
  }

  private static void copyDataDirectory(Path from, Path to) throws IOException {
    Files.walkFileTree(
        from,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            Path target = to.resolve(from.relativize(dir).toString());
            Files.createDirectories(target);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
            if (!dir.equals(from) && EMPTY_DIRS.contains(from.relativize(dir).toString())) {
              if (dir.endsWith("pg_wal")) {
                Files.createDirectories(target.resolve("archive_status"));
              }
              return FileVisitResult.SKIP_SUBTREE;
            }
            return dir.getFileName().toString().startsWith("pgsql_tmp")
                ? FileVisitResult.SKIP_SUBTREE
                : FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (!skipped(from, file)) {
              try {
                Files.copy(
                    file,
                    to.resolve(from.relativize(file).toString()),
                    StandardCopyOption.COPY_ATTRIBUTES);
              } catch (NoSuchFileException e) {
                // removed while copying (a dropped relation, a temp file): replay recreates state
              }
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }
        });
  }

  /** The {@code postgres} binary the embedded primary was started from. */
  private static Path postgresBinary(EmbeddedPostgresServer primary) throws IOException {
    // The running postmaster's own executable: the embedded binaries are unpacked once per JVM,
    // under whichever server's directory asked first, so this server's directory may have none.
    Path pidFile = primary.directory().resolve("data").resolve("postmaster.pid");
    String pid = Files.readAllLines(pidFile).get(0).strip();
    return Path.of("/proc", pid, "exe").toRealPath();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  public int port() {
    return port;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  /** A new connection to the standby's {@code postgres} database as the primary's superuser. */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), EmbeddedPostgresServer.USER, primary.password());
  }

  /**
   * Sets {@code hot_standby_feedback} and {@code max_standby_streaming_delay} (e.g. {@code 1s}) on
   * the running standby, and returns once they are in force: the standby shows them, and the
   * primary's slot holds back cleanup (feedback on) or no longer does (feedback off).
   */
  public void configure(boolean feedback, String streamingDelay)
      throws SQLException, IOException, InterruptedException {
    String on = feedback ? "on" : "off";
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute("ALTER SYSTEM SET hot_standby_feedback = " + on);
      s.execute("ALTER SYSTEM SET max_standby_streaming_delay = '" + streamingDelay + "'");
      s.execute("SELECT pg_reload_conf()");
    }
    await(
        "hot_standby_feedback=" + on + " in force",
        () ->
            on.equals(standbyValue("SHOW hot_standby_feedback")) && slotHoldsCleanup() == feedback,
        60);
  }

  /** Waits until the standby has replayed everything the primary had written when called. */
  public void awaitReplay() throws SQLException, IOException, InterruptedException {
    String lsn;
    try (Connection c = primary.connect("postgres");
        Statement s = c.createStatement()) {
      lsn = one(s, "SELECT pg_current_wal_lsn()");
    }
    await(
        "the standby to replay up to " + lsn,
        () -> "t".equals(standbyValue("SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn")),
        120);
  }

  private boolean inRecovery() {
    return "t".equals(standbyValue("SELECT pg_is_in_recovery()"));
  }

  private boolean slotHoldsCleanup() {
    try (Connection c = primary.connect("postgres");
        Statement s = c.createStatement()) {
      return one(
              s,
              "SELECT xmin IS NOT NULL FROM pg_replication_slots WHERE slot_name = '" + slot + "'")
          .equals("t");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A one-value query on the standby, or null while it does not answer. */
  private String standbyValue(String sql) {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      return one(s, sql);
    } catch (SQLException e) {
      return null;
    }
  }

  private void await(String what, BooleanSupplier condition, long timeoutSeconds)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (!condition.getAsBoolean()) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "waited in vain for " + what + "; standby log: " + Files.readString(log));
      }
      Thread.sleep(50);
    }
  }

  private static String one(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /**
   * Stops the standby (fast shutdown: SIGINT to its postmaster, by pid), then drops its slot on the
   * primary so that the primary keeps no WAL for it.
   */
  @Override
  public void close() throws IOException, InterruptedException {
    if (process.isAlive()) {
      new ProcessBuilder("kill", "-INT", Long.toString(process.pid()))
          .inheritIO()
          .start()
          .waitFor();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor();
      }
    }
    // The walsender ends shortly after the standby; until then the slot is active.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try (Connection c = primary.connect("postgres");
          Statement s = c.createStatement()) {
        s.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                + " WHERE slot_name = '"
                + slot
                + "'");
        return;
      } catch (SQLException e) {
        if (System.nanoTime() > deadline) {
          throw new UncheckedIOException(new IOException("could not drop slot " + slot, e));
        }
        Thread.sleep(100);
      }
    }
  }
}
