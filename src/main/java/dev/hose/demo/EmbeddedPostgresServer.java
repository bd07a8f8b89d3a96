package dev.hose.demo;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real PostgreSQL server (binaries shipped in a jar) on a free loopback port, with password
 * authentication switched on so that wrong credentials fail as they would in production.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
  public static final String USER = "postgres";
  private final EmbeddedPostgres postgres;
  private final String password;
  private final Path dir;
  private Process restarted;

  private EmbeddedPostgresServer(EmbeddedPostgres postgres, String password, Path dir) {
    this.postgres = postgres;
    this.password = password;
    this.dir = dir;
  }

  /** Starts a server with its data under {@code dataDir}, superuser {@code postgres}. */
  public static EmbeddedPostgresServer start(Path dataDir, String password) throws IOException {
    Files.createDirectories(dataDir);
    EmbeddedPostgres pg =
        EmbeddedPostgres.builder()
            .setDataDirectory(dataDir.resolve("data"))
            .setOverrideWorkingDirectory(dataDir.resolve("work").toFile())
            .setCleanDataDirectory(true)
            .setServerConfig("max_connections", "100")
            .setServerConfig("listen_addresses", "127.0.0.1")
            .setServerConfig("shared_buffers", "128MB")
            .setServerConfig("fsync", "off")
            .setServerConfig("synchronous_commit", "off")
            .setServerConfig("full_page_writes", "off")
            .setServerConfig("log_min_messages", "warning")
            .start();
    EmbeddedPostgresServer server = new EmbeddedPostgresServer(pg, password, dataDir);
    try {
      server.requirePasswords(dataDir.resolve("data"));
    } catch (SQLException e) {
      pg.close();
      throw new IOException("could not switch on password authentication", e);
    }
    return server;
  }

  private void requirePasswords(Path dataDir) throws SQLException, IOException {
    try (Connection c = postgres.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("SET password_encryption = 'scram-sha-256'");
      s.execute("ALTER USER " + USER + " PASSWORD '" + password.replace("'", "''") + "'");
      Files.writeString(
          dataDir.resolve("pg_hba.conf"),
          "local all all scram-sha-256\n"
              + "host all all 127.0.0.1/32 scram-sha-256\n"
              + "host all all ::1/128 scram-sha-256\n");
      s.execute("SELECT pg_reload_conf()");
    }
  }

  public int port() {
    return postgres.getPort();
  }

  public String password() {
    return password;
  }

  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
  }

  /** A new connection to {@code database} as the superuser. */
  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), USER, password);
  }

  /** Creates a database if it does not exist. */
  public void createDatabase(String name) throws SQLException {
    try (Connection c = connect("postgres");
        Statement s = c.createStatement()) {
      var rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'");
      if (!rs.next()) {
        s.execute("CREATE DATABASE \"" + name + "\"");
      }
    }
  }

  /**
   * Restarts the server in place (fast shutdown, then the same command line: same port, same
   * data): every connection and open transaction ends, as in a database restart. Returns once it
   * accepts connections again. (Signals the postmaster and starts it as it was started; pg_ctl refuses root.)
   */
  public synchronized void restart() throws IOException, InterruptedException {
    Path data = dir.resolve("data");
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
    restarted =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("restart.log").toFile()))
            .start();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (true) {
      try (Connection c = connect("postgres")) {
        return;
      } catch (SQLException e) {
        if (!restarted.isAlive() || System.nanoTime() > deadline) {
          throw new IOException("PostgreSQL did not come back: " + Files.readString(dir.resolve("restart.log")), e);
        }
        Thread.sleep(100);
      }
    }
  }

  private static void signal(long pid, String signal) throws IOException, InterruptedException {
    new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor();
  }

  @Override
  public synchronized void close() throws IOException {
    try {
      postgres.close();
    } finally {
      if (restarted != null && restarted.isAlive()) {
        try {
          signal(restarted.pid(), "INT");
          if (!restarted.waitFor(30, TimeUnit.SECONDS)) {
            restarted.destroyForcibly();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          restarted.destroyForcibly();
        }
      }
    }
  }
}
