package dev.hose.archive;

import dev.hose.support.ManifestSchema;
import dev.hose.support.TestServers;
import dev.hose.support.faults.Forked;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the archive fault tests share: the archive job jar forked against the test servers, and
 * waiting for a range's cursor to open. Each fault class holds one.
 */
final class ArchiveForks {
  /** A database to look at {@code pg_stat_activity} on (the primary, or a standby). */
  @FunctionalInterface
  interface Database {
    Connection connect() throws SQLException;
  }

  private final TestServers servers;
  private final Path dir;
  private final AtomicInteger runs = new AtomicInteger();

  ArchiveForks(TestServers servers, Path dir) {
    this.servers = servers;
    this.dir = dir;
  }

  /**
   * {@code archive} of {@code tables} to {@code output} on the test servers (password from the
   * environment, 5 MB upload parts); {@code extra} options replace the defaults of the same name,
   * since Beam refuses an option given twice.
   */
  List<String> args(String tables, String output, List<String> extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "archive",
                "--jdbcUrl=" + servers.jdbcUrl(),
                "--username=postgres",
                "--passwordEnv=HOSE_PG_PASSWORD",
                "--tables=" + tables,
                "--output=" + output,
                "--awsRegion=us-east-1",
                "--endpoint=" + servers.s3.endpoint(),
                "--maxRowsPerBundle=40000",
                "--s3UploadBufferSizeBytes=5242880"));
    for (String e : extra) {
      String name = e.contains("=") ? e.substring(0, e.indexOf('=') + 1) : e;
      a.removeIf(x -> x.startsWith(name));
      a.add(e);
    }
    return a;
  }

  /** Starts a run in its own JVM, with its own work directory for stdout and stderr. */
  Forked start(List<String> jvm, List<String> args) throws Exception {
    return Forked.start(
        jvm, args, servers.environment(), dir.resolve("run-" + runs.incrementAndGet()));
  }

  /** Runs to the end, in a 256 MB JVM. */
  Forked.Ended run(List<String> args) throws Exception {
    try (Forked f = start(List.of("-Xmx256m"), args)) {
      return f.await(300);
    }
  }

  /**
   * Waits until a range's cursor on {@code table} is open on {@code db}; returns {@code column} of
   * its {@code pg_stat_activity} row (e.g. {@code pid}, or {@code client_port}).
   */
  static int awaitRangeCursor(Forked hose, String table, Database db, String column)
      throws Exception {
    int[] value = {0};
    hose.awaitWhileRunning(
        "a range cursor on " + table,
        () -> {
          value[0] =
              queryInt(
                  db,
                  "SELECT "
                      + column
                      + " FROM pg_stat_activity WHERE application_name = 'hose-archive'"
                      + " AND query LIKE 'SELECT \"id\"%FROM \"public\".\""
                      + table
                      + "\"%' AND state <> 'idle' ORDER BY query_start LIMIT 1");
          return value[0] != 0;
        },
        180);
    return value[0];
  }

  /** The first column of the first row, or 0 when there is none or the server is away. */
  static int queryInt(Database db, String sql) {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getInt(1) : 0;
    } catch (SQLException e) {
      return 0; // e.g. while the server restarts
    }
  }

  /** Leftovers under the prefix, plus any canary secret in the run's output or its manifests. */
  List<String> leftoversAndSecrets(String prefix, Forked.Ended r) {
    List<String> left = new ArrayList<>(ArchiveOutput.leftovers(servers, prefix));
    StringBuilder seen = new StringBuilder(r.stdout()).append(r.stderr());
    for (String key : servers.keys(prefix)) {
      if (key.endsWith("_manifest.json")) {
        ManifestSchema.assertValid(key, ArchiveOutput.text(servers.object(key)));
        seen.append(ArchiveOutput.text(servers.object(key)));
      }
    }
    for (String s : ArchiveOutput.secretsIn(seen.toString())) {
      left.add(s + " in the log or manifest");
    }
    return left;
  }
}
