package dev.hose.archive;

import dev.hose.common.Errors;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.stream.Collectors;
import org.slf4j.Logger;

/**
 * Whether the source is a hot standby, and what that means for a run that holds one snapshot open
 * for its whole length: WAL replay cancels a standby transaction whose snapshot still sees rows
 * that the primary has since removed (VACUUM), once it has waited {@code
 * max_standby_streaming_delay} ({@code max_standby_archive_delay} for WAL from an archive), unless
 * the standby sends {@code hot_standby_feedback} so that the primary keeps those rows.
 *
 * <p>Such a cancellation ends the launcher's idle transaction as well as the ranges' ones, so a
 * range sees it as the error itself (SQLSTATE 40001, "... due to conflict with recovery"), as a
 * lost connection, or, on its retry, as the run's snapshot being gone.
 *
 * @param inRecovery {@code pg_is_in_recovery()}: the source is a standby
 * @param feedback {@code hot_standby_feedback}
 * @param streamingDelay {@code max_standby_streaming_delay} as the server shows it, e.g. {@code
 *     30s}
 * @param archiveDelay {@code max_standby_archive_delay}
 */
record Standby(boolean inRecovery, boolean feedback, String streamingDelay, String archiveDelay)
    implements Serializable {

  /** A primary (or any server not in recovery). */
  static final Standby NONE = new Standby(false, false, null, null);

  private static final String ADVICE =
      "set hot_standby_feedback = on on the standby (or raise max_standby_streaming_delay, and"
          + " max_standby_archive_delay when it replays from an archive), then rerun the archive";

  /** Asks the server on {@code c}. */
  static Standby detect(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT pg_is_in_recovery(), current_setting('hot_standby_feedback'),"
                    + " current_setting('max_standby_streaming_delay'),"
                    + " current_setting('max_standby_archive_delay')")) {
      rs.next();
      return rs.getBoolean(1)
          ? new Standby(true, "on".equals(rs.getString(2)), rs.getString(3), rs.getString(4))
          : NONE;
    }
  }

  /** Says at the start of a run that it reads a standby: a warning when a conflict may end it. */
  void log(Logger log) {
    if (!inRecovery) {
      return;
    }
    if (feedback) {
      log.info(
          "reading a hot standby with hot_standby_feedback=on: the primary keeps the rows the run's"
              + " snapshot sees (and holds back their cleanup until the run ends)");
    } else {
      log.warn(
          "reading a hot standby with hot_standby_feedback=off: WAL replay may cancel the run's"
              + " snapshot after max_standby_streaming_delay={} (max_standby_archive_delay={});"
              + " set hot_standby_feedback = on on the standby",
          streamingDelay,
          archiveDelay);
    }
  }

  /**
   * {@code e} as one line naming the setting to change when a recovery conflict caused it: the
   * conflict error itself (on any source), or, on a standby, the run's snapshot being gone (the
   * launcher's transaction was ended by the same conflict, or its connection was lost). Any other
   * error unchanged.
   */
  static SQLException explain(SQLException e, boolean standby) {
    SQLException conflict = conflict(e, standby);
    if (conflict != null) {
      return new SQLException(
          "the standby cancelled the run's snapshot: WAL replay had to remove rows the snapshot"
              + " still sees (conflict with recovery); "
              + ADVICE
              + " ("
              + withoutHint(conflict.getMessage())
              + ")",
          conflict.getSQLState(),
          e);
    }
    if (standby && Errors.find(e, SourceSession.SnapshotGoneException.class) != null) {
      return new SQLException(
          "the run's snapshot is gone from the standby: most likely WAL replay ended the"
              + " launcher's transaction (conflict with recovery), else its connection was lost; "
              + ADVICE,
          "22023",
          e);
    }
    return e;
  }

  /**
   * The server's message on one line, without its hint ("In a moment you should be able to
   * reconnect ... and repeat your command"), which would lead into a different snapshot.
   */
  private static String withoutHint(String message) {
    return Errors.oneLine(
        String.valueOf(message)
            .lines()
            .filter(l -> !l.strip().startsWith("Hint:"))
            .collect(Collectors.joining("\n")));
  }

  /**
   * The recovery-conflict error in {@code e}'s cause chain, or null. The message is the sure sign;
   * on a standby SQLSTATE 40001 is too (a read-only transaction has no other serialization
   * failure), which covers servers that send translated messages.
   */
  private static SQLException conflict(SQLException e, boolean standby) {
    return Errors.causes(e)
        .filter(t -> t instanceof SQLException)
        .map(t -> (SQLException) t)
        .filter(
            sql ->
                String.valueOf(sql.getMessage()).contains("conflict with recovery")
                    || (standby && "40001".equals(sql.getSQLState())))
        .findFirst()
        .orElse(null);
  }
}
