package dev.hose.archive;

import dev.hose.common.UserError;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.postgresql.core.Oid;

/**
 * Splits each table into ranges of at most {@code maxRowsPerBundle} rows, inside the launcher's
 * snapshot transaction. In order of preference it splits on: the column the user names, the first
 * primary-key column, or physical block ranges ({@code ctid}, PostgreSQL 14+). Key boundaries are
 * exact quantiles computed by the server; rows whose key is NULL get a range of their own. Nothing
 * but boundary values ever reaches this JVM.
 */
final class TablePlanner {
  /**
   * Base types a key range can be computed on: integers, numeric, dates, timestamps, text, uuid.
   */
  private static final Set<Long> KEY_TYPES =
      Set.of(
              Oid.INT8,
              Oid.INT2,
              Oid.INT4,
              Oid.NUMERIC,
              Oid.DATE,
              Oid.TIMESTAMP,
              Oid.TIMESTAMPTZ,
              Oid.TEXT,
              Oid.VARCHAR,
              Oid.UUID)
          .stream()
          .map(Integer::longValue)
          .collect(java.util.stream.Collectors.toUnmodifiableSet());

  /** One table's plan and its ranges. */
  /**
   * @param rowBytes the table's average row size on disk from its statistics (0 when unknown: a
   *     view, or never analyzed), for the heap estimate
   */
  record Planned(TablePlan plan, List<ExportRange> ranges, long rowBytes) {}

  private static final long BLOCK_BYTES = 8192;

  private final Connection connection;
  private final long maxRowsPerBundle;
  private final String partitionColumn;
  private final String where;
  private final String incrementalColumn;
  private final String since;
  private final String until;
  private final int serverVersion;

  TablePlanner(Connection connection, ArchiveOptions options) throws SQLException {
    this.connection = connection;
    this.maxRowsPerBundle = options.getMaxRowsPerBundle();
    if (maxRowsPerBundle < 1) {
      throw new UserError("--maxRowsPerBundle must be at least 1");
    }
    this.partitionColumn =
        options.getPartitionColumn() == null
            ? null
            : TableRef.identifier(options.getPartitionColumn(), "--partitionColumn");
    this.where = checkWhere(options.getWhere());
    this.incrementalColumn =
        options.getIncrementalColumn() == null
            ? null
            : TableRef.identifier(options.getIncrementalColumn(), "--incrementalColumn");
    this.since = options.getSince();
    this.until = options.getUntil();
    if ((since != null || until != null) && incrementalColumn == null) {
      throw new UserError("--since/--until need --incrementalColumn");
    }
    this.serverVersion = connection.getMetaData().getDatabaseMajorVersion();
  }

  /**
   * Rejects a --where that would end the statement, comment out the rest of it, or close the
   * parentheses it is wrapped in (e.g. {@code true) OR (true}, which would make every range read
   * every row). Quoted strings, quoted identifiers and dollar-quoted strings are skipped as
   * PostgreSQL reads them. The condition also runs in a read-only transaction, so it cannot write.
   */
  static String checkWhere(String where) {
    if (where == null || where.isBlank()) {
      return null;
    }
    int depth = 0;
    int n = where.length();
    for (int i = 0; i < n; i++) {
      char c = where.charAt(i);
      if (c == '\'' || c == '"') {
        boolean backslashes =
            c == '\''
                && i > 0
                && (where.charAt(i - 1) == 'E' || where.charAt(i - 1) == 'e')
                && (i < 2 || !Character.isLetterOrDigit(where.charAt(i - 2)));
        i = closingQuote(where, i, c, backslashes);
      } else if (c == '$' && (i == 0 || !isIdentifierChar(where.charAt(i - 1)))) {
        int tagEnd = where.indexOf('$', i + 1);
        String tag = tagEnd < 0 ? null : where.substring(i, tagEnd + 1);
        if (tag != null
            && tag.substring(1, tag.length() - 1)
                .chars()
                .allMatch(ch -> isIdentifierChar((char) ch))
            && (tag.length() == 2 || !Character.isDigit(tag.charAt(1)))) {
          int close = where.indexOf(tag, tagEnd + 1);
          if (close < 0) {
            throw new UserError("--where has an unterminated " + tag + " string");
          }
          i = close + tag.length() - 1;
        }
      } else if (c == ';') {
        throw new UserError("--where must be one SQL condition (no ';')");
      } else if ((c == '-' || c == '/')
          && i + 1 < n
          && where.charAt(i + 1) == (c == '-' ? '-' : '*')) {
        throw new UserError("--where must not hold SQL comments ('--' or '/*')");
      } else if (c == '(') {
        depth++;
      } else if (c == ')' && --depth < 0) {
        throw new UserError("--where closes a parenthesis it did not open");
      }
    }
    if (depth != 0) {
      throw new UserError("--where leaves a parenthesis open");
    }
    return where;
  }

  private static int closingQuote(String s, int open, char quote, boolean backslashes) {
    for (int i = open + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (backslashes && c == '\\') {
        i++;
      } else if (c == quote) {
        if (i + 1 < s.length() && s.charAt(i + 1) == quote) {
          i++;
        } else {
          return i;
        }
      }
    }
    throw new UserError("--where has an unterminated " + quote + " quote");
  }

  private static boolean isIdentifierChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '$';
  }

  Planned plan(TableRef table) throws SQLException {
    Relation rel = describe(table);
    List<Column> columns = columns(rel.oid);
    List<String> filterParams = new ArrayList<>();
    String filter = filter(table, rel.oid, filterParams);

    String key = partitionColumn;
    if (key != null) {
      ColumnType type = columnType(rel.oid, key);
      if (type == null) {
        throw new UserError("--partitionColumn " + key + " is not a column of " + table);
      }
      if (!KEY_TYPES.contains(type.baseOid)) {
        throw new UserError(
            "--partitionColumn "
                + key
                + " of "
                + table
                + " has type "
                + type.name
                + "; use an integer, numeric, date, timestamp, text, varchar or uuid column");
      }
    } else {
      key = primaryKeyColumn(rel.oid);
    }
    List<Draft> ranges = new ArrayList<>();
    String strategy;
    long estimatedRows;
    if (key != null) {
      strategy = "key";
      estimatedRows = keyRanges(table, rel.oid, key, filter, filterParams, ranges);
    } else if (serverVersion >= 14 && (rel.kind == 'r' || rel.kind == 'm')) {
      strategy = "ctid";
      estimatedRows = blockRanges(table, rel, ranges);
    } else {
      strategy = "whole";
      estimatedRows = Math.max(0, rel.reltuples);
      ranges.add(Draft.ALL);
    }
    List<ExportRange> numbered = new ArrayList<>();
    for (Draft d : ranges) {
      numbered.add(
          new ExportRange(table, numbered.size(), ranges.size(), d.predicate, d.parameters));
    }
    TablePlan plan =
        new TablePlan(
            table,
            columns,
            strategy,
            "key".equals(strategy) ? key : null,
            filter,
            filterParams,
            estimatedRows,
            numbered.size());
    long rowBytes = rel.reltuples > 0 ? rel.pages * BLOCK_BYTES / rel.reltuples : 0;
    return new Planned(plan, numbered, rowBytes);
  }

  private record Relation(long oid, char kind, long reltuples, long relpages, long pages) {}

  private record ColumnType(String name, long baseOid, boolean notNull) {}

  /** A range before it is numbered: its condition and bound values. */
  private record Draft(String predicate, List<String> parameters) {
    static final Draft ALL = new Draft("TRUE", List.of());
  }

  private Relation describe(TableRef table) throws SQLException {
    String sql =
        "SELECT c.oid, c.relkind, c.reltuples::bigint, c.relpages,"
            + " CASE WHEN c.relkind IN ('r','m') THEN pg_relation_size(c.oid)"
            + " / current_setting('block_size')::bigint ELSE 0 END"
            + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r','p','v','m','f')";
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      ps.setString(1, table.schema());
      ps.setString(2, table.table());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          if (!canSelect(rs.getLong(1))) {
            throw new UserError("no SELECT privilege on table " + table);
          }
          return new Relation(
              rs.getLong(1),
              rs.getString(2).charAt(0),
              rs.getLong(3),
              rs.getLong(4),
              rs.getLong(5));
        }
      }
    }
    throw new UserError("table " + table + " does not exist" + suggestion(table));
  }

  private boolean canSelect(long oid) throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement("SELECT has_table_privilege(?::oid, 'SELECT')")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  private String suggestion(TableRef table) throws SQLException {
    String sql =
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE lower(n.nspname) = lower(?) AND lower(c.relname) = lower(?)"
            + " AND c.relkind IN ('r','p','v','m','f') LIMIT 1";
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      ps.setString(1, table.schema());
      ps.setString(2, table.table());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? " (did you mean " + rs.getString(1) + "." + rs.getString(2) + "?)" : "";
      }
    }
  }

  private List<Column> columns(long oid) throws SQLException {
    return Column.ofTable(connection, oid);
  }

  private ColumnType columnType(long oid, String column) throws SQLException {
    String sql =
        "SELECT format_type(a.atttypid, a.atttypmod), COALESCE(NULLIF(t.typbasetype, 0), t.oid),"
            + " a.attnotnull FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
            + " WHERE a.attrelid = ? AND a.attname = ? AND a.attnum > 0 AND NOT a.attisdropped";
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      ps.setLong(1, oid);
      ps.setString(2, column);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new ColumnType(rs.getString(1), rs.getLong(2), rs.getBoolean(3)) : null;
      }
    }
  }

  /** The first primary-key column, if its type can be ranged. */
  private String primaryKeyColumn(long oid) throws SQLException {
    String sql =
        "SELECT a.attname FROM pg_index i"
            + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
            + " WHERE i.indrelid = ? AND i.indisprimary";
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        String name = rs.getString(1);
        ColumnType type = columnType(oid, name);
        return type != null && KEY_TYPES.contains(type.baseOid) ? name : null;
      }
    }
  }

  /** The --where and --since/--until condition, with typed placeholders. */
  private String filter(TableRef table, long oid, List<String> params) throws SQLException {
    List<String> parts = new ArrayList<>();
    if (where != null) {
      parts.add("(" + where + ")");
    }
    if (incrementalColumn != null) {
      ColumnType type = columnType(oid, incrementalColumn);
      if (type == null) {
        throw new UserError(
            "--incrementalColumn " + incrementalColumn + " is not a column of " + table);
      }
      String col = TableRef.quote(incrementalColumn);
      checkBound("--since", since, type, table);
      checkBound("--until", until, type, table);
      if (since != null) {
        parts.add(col + " >= CAST(? AS " + type.name + ")");
        params.add(since);
      }
      if (until != null) {
        parts.add(col + " < CAST(? AS " + type.name + ")");
        params.add(until);
      }
    }
    return parts.isEmpty() ? null : String.join(" AND ", parts);
  }

  /**
   * A --since/--until value the column's type cannot read is bad input: one line and exit 2, not a
   * database error in the middle of planning. (The value is a bound parameter either way.)
   */
  private void checkBound(String option, String value, ColumnType type, TableRef table)
      throws SQLException {
    if (value == null) {
      return;
    }
    try (PreparedStatement ps =
        connection.prepareStatement("SELECT CAST(? AS " + type.name + ")")) {
      ps.setString(1, value);
      ps.executeQuery().close();
    } catch (SQLException e) {
      if (e.getSQLState() == null || !e.getSQLState().startsWith("22")) {
        throw e;
      }
      String reason = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      throw new UserError(
          option
              + " is not a valid "
              + type.name
              + " for "
              + table
              + "."
              + incrementalColumn
              + " ("
              + reason.replaceFirst("^ERROR: ", "")
              + ")");
    }
  }

  /** Exact quantile boundaries on {@code key}; returns the row count. */
  private long keyRanges(
      TableRef table,
      long oid,
      String key,
      String filter,
      List<String> filterParams,
      List<Draft> out)
      throws SQLException {
    String col = TableRef.quote(key);
    String from = " FROM " + table.quoted() + (filter == null ? "" : " WHERE " + filter);
    long total;
    long nonNull;
    try (PreparedStatement ps =
            prepare("SELECT count(*), count(" + col + ")" + from, filterParams);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      total = rs.getLong(1);
      nonNull = rs.getLong(2);
    }
    String type = columnType(oid, key).name;
    if (total <= maxRowsPerBundle) {
      out.add(Draft.ALL);
      return total;
    }
    List<String> bounds = new ArrayList<>();
    String sql =
        "SELECT b::text FROM (SELECT "
            + col
            + " AS b, row_number() OVER (ORDER BY "
            + col
            + ") AS rn"
            + from
            + (filter == null ? " WHERE " : " AND ")
            + col
            + " IS NOT NULL) s WHERE rn > 1 AND rn % ? = 1 ORDER BY rn";
    List<String> params = new ArrayList<>(filterParams);
    try (PreparedStatement ps = prepare(sql, params)) {
      ps.setLong(params.size() + 1, maxRowsPerBundle);
      ps.setFetchSize(10_000);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String b = rs.getString(1);
          if (bounds.isEmpty() || !bounds.get(bounds.size() - 1).equals(b)) {
            bounds.add(b);
          }
        }
      }
    }
    String cast = "CAST(? AS " + type + ")";
    if (bounds.isEmpty()) {
      out.add(new Draft(col + " IS NOT NULL", List.of()));
    } else {
      out.add(new Draft(col + " < " + cast, List.of(bounds.get(0))));
      for (int i = 0; i + 1 < bounds.size(); i++) {
        out.add(
            new Draft(
                col + " >= " + cast + " AND " + col + " < " + cast,
                List.of(bounds.get(i), bounds.get(i + 1))));
      }
      out.add(new Draft(col + " >= " + cast, List.of(bounds.get(bounds.size() - 1))));
    }
    if (total > nonNull) {
      out.add(new Draft(col + " IS NULL", List.of()));
    }
    return total;
  }

  /** Block ranges sized from the table's row density; the last range is open-ended. */
  private long blockRanges(TableRef table, Relation rel, List<Draft> out) throws SQLException {
    long pages = rel.pages;
    long rows = rel.reltuples;
    boolean statsStale =
        rows < 0 || rel.relpages == 0 || Math.abs(rel.relpages - pages) > pages / 5;
    if (statsStale && pages > 0) {
      try (PreparedStatement ps =
              connection.prepareStatement("SELECT count(*) FROM " + table.quoted());
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        rows = rs.getLong(1);
      }
    }
    rows = Math.max(rows, 0);
    if (pages == 0 || rows <= maxRowsPerBundle) {
      out.add(Draft.ALL);
      return rows;
    }
    double rowsPerPage = Math.max(1.0, (double) rows / pages);
    long blocks = Math.max(1, (long) Math.floor(maxRowsPerBundle / rowsPerPage));
    for (long start = 0; start < pages; start += blocks) {
      boolean last = start + blocks >= pages;
      String lo = "(" + start + ",0)";
      if (last) {
        out.add(new Draft("ctid >= CAST(? AS tid)", List.of(lo)));
      } else {
        String hi = "(" + (start + blocks) + ",0)";
        out.add(new Draft("ctid >= CAST(? AS tid) AND ctid < CAST(? AS tid)", List.of(lo, hi)));
      }
    }
    return rows;
  }

  private PreparedStatement prepare(String sql, List<String> params) throws SQLException {
    PreparedStatement ps = connection.prepareStatement(sql);
    for (int i = 0; i < params.size(); i++) {
      ps.setString(i + 1, params.get(i));
    }
    return ps;
  }
}
