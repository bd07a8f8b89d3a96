package dev.hose.archive;

import dev.hose.common.UserError;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * A read-only repeatable-read transaction with the session settings the serializer relies on (ISO
 * dates in UTC, hex bytea), optionally on a snapshot exported by the launcher.
 *
 * @param snapshotImported whether the transaction sees the shared snapshot
 */
record SourceSession(Connection connection, boolean snapshotImported) implements AutoCloseable {
  /** What {@code pg_export_snapshot()} returns, e.g. {@code 00000003-0000001B-1}. */
  private static final Pattern SNAPSHOT_ID = Pattern.compile("[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+");

  /**
   * JDBC connection properties: text transfer, timeouts and an application name. No socket timeout
   * here: the launcher's planning queries may scan a whole table; ranges set theirs with {@link
   * Connection#setNetworkTimeout}. A login that gets no answer gives up after {@code
   * loginTimeoutSeconds}. {@code maxResultBuffer} is a backstop under the byte-bounded fetch of
   * {@link ExportRangeFn}: a fetch that would hold more than this share of the heap fails (and the
   * range is retried one row per round trip) instead of running the JVM out of memory.
   */
  static String connectionProperties(int loginTimeoutSeconds) {
    return "binaryTransfer=false;connectTimeout=15;loginTimeout="
        + loginTimeoutSeconds
        + ";tcpKeepAlive=true;ApplicationName=hose-archive;maxResultBuffer=40percent";
  }

  /**
   * Opens a transaction on {@code snapshotId} (or on its own snapshot when null). If the shared
   * snapshot is gone (its exporting transaction ended: the launcher died, or its connection was
   * killed, or the database restarted), fails with {@link SnapshotGoneException} rather than read a
   * different snapshot.
   */
  static SourceSession begin(
      DataSource dataSource, String snapshotId, int statementTimeoutSeconds, int lockTimeoutSeconds)
      throws SQLException {
    if (snapshotId != null && !SNAPSHOT_ID.matcher(snapshotId).matches()) {
      throw new UserError("not a snapshot id: " + snapshotId);
    }
    Connection c = dataSource.getConnection();
    try {
      c.setAutoCommit(false);
      configure(c, statementTimeoutSeconds, lockTimeoutSeconds);
      if (snapshotId != null) {
        try (Statement s = c.createStatement()) {
          s.execute("SET TRANSACTION SNAPSHOT '" + snapshotId + "'");
        } catch (SQLException e) {
          if ("22023".equals(e.getSQLState())) { // invalid_parameter_value: snapshot gone
            throw new SnapshotGoneException(snapshotId, e);
          }
          throw e;
        }
      }
      return new SourceSession(c, snapshotId != null);
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  private static void configure(Connection c, int statementTimeoutSeconds, int lockTimeoutSeconds)
      throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      s.execute("SET LOCAL TimeZone = 'UTC'");
      s.execute("SET LOCAL DateStyle = 'ISO, YMD'");
      s.execute("SET LOCAL IntervalStyle = 'postgres'");
      s.execute("SET LOCAL bytea_output = 'hex'");
      s.execute("SET LOCAL extra_float_digits = 1");
      s.execute("SET LOCAL statement_timeout = " + Math.max(0, statementTimeoutSeconds) * 1000L);
      s.execute("SET LOCAL lock_timeout = " + Math.max(0, lockTimeoutSeconds) * 1000L);
    }
  }

  /**
   * A lock or statement timeout as one line that names the table and the option that bounds the
   * wait; any other error unchanged.
   */
  static SQLException explain(
      SQLException e, Object table, int statementTimeoutSeconds, int lockTimeoutSeconds) {
    String first = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    if ("55P03".equals(e.getSQLState())) {
      return new SQLException(
          table
              + ": another session holds a conflicting lock on the table; gave up after"
              + " --lockTimeoutSeconds="
              + lockTimeoutSeconds
              + " ("
              + first
              + ")",
          e.getSQLState(),
          e);
    }
    if ("57014".equals(e.getSQLState()) && first.contains("statement timeout")) {
      return new SQLException(
          table
              + ": a range query ran longer than --statementTimeoutSeconds="
              + statementTimeoutSeconds
              + " ("
              + first
              + ")",
          e.getSQLState(),
          e);
    }
    return e;
  }

  /** The run's exported snapshot no longer exists, so no reader can see the same data. */
  static final class SnapshotGoneException extends SQLException {
    SnapshotGoneException(String snapshotId, SQLException cause) {
      super(
          "the run's snapshot "
              + snapshotId
              + " is gone (the launcher's transaction ended: its connection was lost or the"
              + " database restarted); not exporting a different snapshot, rerun the archive",
          "22023",
          cause);
    }
  }

  /**
   * Ends the connection at once, from another thread (a stop from outside): whatever runs on it
   * fails, and the launcher's failure path cleans up.
   */
  void abort() {
    try {
      connection.abort(Runnable::run);
    } catch (SQLException | RuntimeException e) {
      // already closed, or the driver refused: the stop's wait for cleanup still ends the run
    }
  }

  @Override
  public void close() throws SQLException {
    try {
      connection.rollback();
    } finally {
      connection.close();
    }
  }
}
