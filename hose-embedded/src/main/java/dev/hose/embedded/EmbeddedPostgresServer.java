package dev.hose.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A real PostgreSQL server (binaries shipped in a jar) on a free loopback port, with password
 * authentication switched on so that wrong credentials fail as they would in production.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
  public static final String USER = "postgres";
  private final EmbeddedPostgres postgres;
  private final String password;
  private final Path dir;

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

  /** The server's directory: its data under {@code data/}. */
  public Path directory() {
    return dir;
  }

  @Override
  public synchronized void close() throws IOException {
    postgres.close();
  }
}
