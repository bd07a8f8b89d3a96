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

  /** JDBC connection properties: text transfer, timeouts and an application name. */
  static final String CONNECTION_PROPERTIES =
      "binaryTransfer=false;connectTimeout=15;tcpKeepAlive=true;ApplicationName=hose-archive";

  /**
   * Opens a transaction on {@code snapshotId} (or on its own snapshot when null). If the shared
   * snapshot is gone (its exporting transaction ended), falls back to a fresh snapshot and says so
   * through {@link #snapshotImported()}.
   */
  static SourceSession begin(DataSource dataSource, String snapshotId, int statementTimeoutSeconds)
      throws SQLException {
    if (snapshotId != null && !SNAPSHOT_ID.matcher(snapshotId).matches()) {
      throw new UserError("not a snapshot id: " + snapshotId);
    }
    Connection c = dataSource.getConnection();
    try {
      c.setAutoCommit(false);
      configure(c, statementTimeoutSeconds);
      boolean imported = false;
      if (snapshotId != null) {
        try (Statement s = c.createStatement()) {
          s.execute("SET TRANSACTION SNAPSHOT '" + snapshotId + "'");
          imported = true;
        } catch (SQLException e) {
          if (!"22023".equals(e.getSQLState())) { // invalid_parameter_value: snapshot gone
            throw e;
          }
          c.rollback();
          configure(c, statementTimeoutSeconds);
        }
      }
      return new SourceSession(c, imported);
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  private static void configure(Connection c, int statementTimeoutSeconds) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      s.execute("SET LOCAL TimeZone = 'UTC'");
      s.execute("SET LOCAL DateStyle = 'ISO, YMD'");
      s.execute("SET LOCAL IntervalStyle = 'postgres'");
      s.execute("SET LOCAL bytea_output = 'hex'");
      s.execute("SET LOCAL extra_float_digits = 1");
      s.execute("SET LOCAL statement_timeout = " + Math.max(0, statementTimeoutSeconds) * 1000L);
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
