package dev.hose.bench;

import dev.hose.common.FileTrees;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL server from Debian's packages ({@code /usr/lib/postgresql/MAJOR/bin}), for tools
 * that must match the server's major version ({@code pg_dump} refuses a newer server). Loopback
 * only, password authentication, the embedded server's settings (fsync off); started with {@code
 * pg_ctl} under the {@code postgres} user when this JVM runs as root, and stopped the same way.
 */
final class DebianPostgres implements AutoCloseable {
  static final String USER = "postgres";

  private final Path bin;
  private final Path data;
  private final int port;
  private final String password;

  private DebianPostgres(Path bin, Path data, int port, String password) {
    this.bin = bin;
    this.data = data;
    this.port = port;
    this.password = password;
  }

  /** The major version of the {@code pg_dump} on the PATH, e.g. 15. */
  static int pgDumpMajor() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("pg_dump", "--version").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).strip();
    p.waitFor();
    // pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)
    String version = out.replaceAll("^pg_dump \\(PostgreSQL\\) ", "");
    return Integer.parseInt(version.substring(0, version.indexOf('.')));
  }

  /** Starts a fresh server of {@code major} with its data under {@code dir}. */
  static DebianPostgres start(Path dir, int major, String password) throws Exception {
    Path bin = Path.of("/usr/lib/postgresql/" + major + "/bin");
    if (!Files.isExecutable(bin.resolve("pg_ctl"))) {
      throw new IllegalStateException(
          "no PostgreSQL "
              + major
              + " server for pg_dump "
              + major
              + ": run tools/bench-packages.sh (apt-get install postgresql)");
    }
    FileTrees.delete(dir);
    Files.createDirectories(dir);
    Path pwfile = dir.resolve("pw");
    Files.writeString(pwfile, password + "\n");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    DebianPostgres pg = new DebianPostgres(bin, dir.resolve("data"), port, password);
    if (isRoot()) {
      run(List.of("chown", "-R", "postgres:postgres", dir.toString()));
    }
    pg.asPostgres(
        bin.resolve("initdb").toString(),
        "-D",
        pg.data.toString(),
        "-U",
        USER,
        "--auth=scram-sha-256",
        "--pwfile=" + pwfile,
        "-E",
        "UTF8",
        "--locale=C.UTF-8");
    pg.asPostgres(
        bin.resolve("pg_ctl").toString(),
        "-D",
        pg.data.toString(),
        "-l",
        dir.resolve("server.log").toString(),
        "-w",
        "-o",
        "-p "
            + port
            + " -c listen_addresses=127.0.0.1 -k "
            + dir
            + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            + " -c shared_buffers=128MB -c max_connections=100",
        "start");
    return pg;
  }

  int port() {
    return port;
  }

  String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  Connection connect(String database) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", USER);
    p.setProperty("password", password);
    return DriverManager.getConnection(jdbcUrl(database), p);
  }

  @Override
  public void close() throws Exception {
    asPostgres(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop");
  }

  private void asPostgres(String... command) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (isRoot()) {
      cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    cmd.addAll(List.of(command));
    run(cmd);
  }

  private static void run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out.strip());
    }
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }
}
