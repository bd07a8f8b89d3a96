package dev.hose.restore;

import dev.hose.archive.ArchiveManifest;
import dev.hose.archive.Column;
import dev.hose.archive.TableRef;
import dev.hose.common.UserError;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The restore's SQL on the target database, run by the launcher: checks of the target against the
 * manifest, the staging table the workers load, and its move into the target.
 *
 * <p>Type names come from the manifest, a file: each one is first parsed by the server as a type
 * name ({@code to_regtype}), which refuses anything else, before it is used in DDL.
 */
final class TargetTable {
  private static final Logger LOG = LoggerFactory.getLogger(TargetTable.class);
  private static final String STAGING_PREFIX = "_hose_restore_";

  private final Connection c;
  private final TableRef target;
  private final TableRef staging;
  private final String runId;
  private final ArchivedTable manifest;

  /**
   * {@code index}: this table's place among the run's tables, which tells apart the staging tables
   * of one run in one schema.
   */
  TargetTable(Connection c, TableRef target, String runId, int index, ArchivedTable manifest) {
    this.c = c;
    this.target = target;
    this.staging = new TableRef(target.schema(), STAGING_PREFIX + runId + "_" + index);
    this.runId = runId;
    this.manifest = manifest;
  }

  TableRef target() {
    return target;
  }

  ArchivedTable manifest() {
    return manifest;
  }

  /**
   * Takes the target's restore lock: a session-level advisory lock, held by the launcher's
   * connection for the whole restore and released by the server when that connection ends, however
   * the restore ends (a SIGKILLed launcher included). A second restore into the same target is
   * refused while the first one runs.
   */
  void lockTarget() throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT pg_try_advisory_lock(hashtext('hose restore'), hashtext(?))")) {
      ps.setString(1, target.quoted());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          throw new UserError(
              "another hose restore into " + target + " is under way; wait for it to end");
        }
      }
    }
  }

  /**
   * Drops the staging tables of earlier restores into this target that never ended (their launcher
   * was killed before it could drop them). Each staging table says whose it is in its comment; with
   * the target's restore lock held (see {@link #lockTarget}), no restore that is still running owns
   * one. Returns how many it dropped.
   */
  int sweepStaging() throws SQLException {
    List<String> left = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " JOIN pg_description d ON d.objoid = c.oid"
                + " AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0"
                + " WHERE n.nspname = ? AND c.relkind = 'r' AND starts_with(c.relname, ?)"
                + " AND starts_with(d.description, ?)")) {
      ps.setString(1, target.schema());
      ps.setString(2, STAGING_PREFIX);
      ps.setString(3, stagingComment(""));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          left.add(rs.getString(1));
        }
      }
    }
    for (String name : left) {
      execute("DROP TABLE IF EXISTS " + new TableRef(target.schema(), name).quoted());
      LOG.info(
          "dropped {}.{}, staging of an earlier restore into {} that never ended",
          target.schema(),
          name,
          target);
    }
    return left.size();
  }

  /** The comment that marks a staging table as a restore's into this target. */
  private String stagingComment(String run) {
    return "hose restore staging of " + target.quoted() + ", run " + run;
  }

  TableRef staging() {
    return staging;
  }

  /** Whether the target exists. */
  boolean exists() throws SQLException {
    return oid(target) != 0;
  }

  /** Every manifest type must name a type the target database has. */
  void checkTypesExist() throws SQLException {
    for (ArchiveManifest.Column col : manifest.columns()) {
      if (!typeExists(col.type())) {
        throw new UserError(
            "type "
                + col.type()
                + " (column "
                + col.name()
                + ") does not exist in the target database; create it first (enum, domain and"
                + " composite types are not created by restore)");
      }
    }
  }

  /** The target's columns must be the manifest's: same names, same types, same order. */
  void checkColumnsMatch() throws SQLException {
    List<String[]> actual = new ArrayList<>();
    String sql =
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
            + " WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, oid(target));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          actual.add(new String[] {rs.getString(1), rs.getString(2)});
        }
      }
    }
    List<ArchiveManifest.Column> expected = manifest.columns();
    for (int i = 0; i < Math.max(actual.size(), expected.size()); i++) {
      String have = i < actual.size() ? actual.get(i)[0] + " " + actual.get(i)[1] : "nothing";
      String want =
          i < expected.size() ? expected.get(i).name() + " " + expected.get(i).type() : "nothing";
      if (!have.equals(want)) {
        throw new UserError(
            "table "
                + target
                + " does not match the archive: column "
                + (i + 1)
                + " is "
                + have
                + ", the manifest has "
                + want);
      }
    }
  }

  /** Without --truncate, the target must be empty. */
  void checkEmpty() throws SQLException {
    if (!isEmpty()) {
      throw new UserError(
          "table " + target + " already holds rows; pass --truncate to replace them");
    }
  }

  /**
   * A table with the manifest's columns, for the workers to COPY into: a regular one when it is to
   * become the target (so the swap is a rename), else unlogged (its rows are copied once more). Its
   * comment, written in the same transaction, names the target and the run, for {@link
   * #sweepStaging}.
   */
  void createStaging(boolean becomesTarget) throws SQLException {
    StringBuilder ddl =
        new StringBuilder(
            "CREATE " + (becomesTarget ? "" : "UNLOGGED ") + "TABLE " + staging.quoted() + " (");
    for (int i = 0; i < manifest.columns().size(); i++) {
      ArchiveManifest.Column col = manifest.columns().get(i);
      ddl.append(i == 0 ? "" : ", ").append(TableRef.quote(col.name())).append(' ');
      ddl.append(col.type()).append(col.nullable() ? "" : " NOT NULL");
    }
    // Autovacuum off while it is staging: a worker vacuuming a just-loaded staging table holds a
    // lock that the move's RENAME (or DROP) waits for until the server cancels the worker, one
    // deadlock_timeout (1 s) per table; a 20-table restore measured 14.3 s against 5.1 s so.
    ddl.append(") WITH (autovacuum_enabled = false, toast.autovacuum_enabled = false)");
    inTransaction(
        c,
        () -> {
          execute(ddl.toString());
          // The names in the comment are TableRef's (no quote character), the literal quoted
          // anyway.
          execute(
              "COMMENT ON TABLE "
                  + staging.quoted()
                  + " IS '"
                  + stagingComment(runId).replace("'", "''")
                  + "'");
        });
  }

  /** The staging table's columns, with how each one's values were written to JSON. */
  List<Column> stagingColumns() throws SQLException {
    return Column.ofTable(c, oid(staging));
  }

  /**
   * Checks that staging holds the manifest's row count, then either renames it to the new target
   * (--create of a missing table) or moves its rows into the target (after TRUNCATE with
   * --truncate, else only into an empty target) and drops it. Run inside {@link #inTransaction},
   * with every other table of the restore: anything failing rolls all of them back, and every
   * target is as it was.
   */
  void moveIn(boolean createTarget, boolean truncate) throws SQLException {
    long rows = count(staging);
    if (rows != manifest.rowCount()) {
      throw new IllegalStateException(
          staging
              + " holds "
              + rows
              + " rows, the manifest of "
              + target
              + " "
              + manifest.rowCount());
    }
    if (createTarget) {
      execute(
          "ALTER TABLE "
              + staging.quoted()
              + " RESET (autovacuum_enabled, toast.autovacuum_enabled)");
      execute("ALTER TABLE " + staging.quoted() + " RENAME TO " + TableRef.quote(target.table()));
      execute("COMMENT ON TABLE " + target.quoted() + " IS NULL");
    } else {
      execute("LOCK TABLE " + target.quoted() + " IN ACCESS EXCLUSIVE MODE");
      if (truncate) {
        execute("TRUNCATE " + target.quoted());
      } else {
        checkEmpty();
      }
      execute("INSERT INTO " + target.quoted() + " SELECT * FROM " + staging.quoted());
      execute("DROP TABLE " + staging.quoted());
    }
  }

  /** SQL work that throws SQLException. */
  interface SqlWork {
    void run() throws SQLException;
  }

  /** Runs {@code work} in one transaction on {@code c}: committed whole, or rolled back. */
  static void inTransaction(Connection c, SqlWork work) throws SQLException {
    c.setAutoCommit(false);
    try {
      work.run();
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  /** Best effort, after a failure. */
  void dropStaging() throws SQLException {
    execute("DROP TABLE IF EXISTS " + staging.quoted());
  }

  private boolean typeExists(String type) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regtype(?) IS NOT NULL")) {
      ps.setString(1, type);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    } catch (SQLException e) {
      if ("42601".equals(e.getSQLState()) || "42704".equals(e.getSQLState())) {
        return false; // a syntax error: not a type name
      }
      throw e;
    }
  }

  private boolean isEmpty() throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT NOT EXISTS (SELECT 1 FROM " + target.quoted() + ")")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  private long count(TableRef table) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table.quoted())) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private long oid(TableRef table) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?)::oid")) {
      ps.setString(1, table.quoted());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private void execute(String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
