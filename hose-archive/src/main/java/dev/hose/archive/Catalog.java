package dev.hose.archive;

import dev.hose.common.UserError;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the planner asks PostgreSQL, on the launcher's snapshot connection: relations, columns and
 * their types, the primary key, and the counts and quantile boundaries a table splits on. Every
 * value reaches SQL as a bound parameter; identifiers only through {@link TableRef#quote}.
 */
final class Catalog {
  /** A relation as {@code pg_class} describes it; {@code pages} is its size in blocks now. */
  record Relation(long oid, char kind, long reltuples, long relpages, long pages) {}

  /**
   * A column's type.
   *
   * @param name as {@code format_type} spells it, usable in a CAST
   * @param baseOid the type's OID, or for a domain its base type's
   */
  record ColumnType(String name, long baseOid, boolean notNull) {}

  /** How many rows a (filtered) table has, and how many of them have a non-NULL key. */
  record KeyCounts(long total, long nonNull) {}

  /** Reads a query's result; the result set is closed after it. */
  @FunctionalInterface
  private interface Reader<T> {
    T read(ResultSet rs) throws SQLException;
  }

  private static final String RELATION_KINDS = "('r','p','v','m','f')";

  private final Connection connection;

  Catalog(Connection connection) {
    this.connection = connection;
  }

  int serverMajorVersion() throws SQLException {
    return connection.getMetaData().getDatabaseMajorVersion();
  }

  /** The table's relation; a missing or unreadable table is a {@link UserError}. */
  Relation relation(TableRef table) throws SQLException {
    String sql =
        "SELECT c.oid, c.relkind, c.reltuples::bigint, c.relpages,"
            + " CASE WHEN c.relkind IN ('r','m') THEN pg_relation_size(c.oid)"
            + " / current_setting('block_size')::bigint ELSE 0 END"
            + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN "
            + RELATION_KINDS;
    Relation rel =
        query(
            sql,
            List.of(table.schema(), table.table()),
            rs ->
                rs.next()
                    ? new Relation(
                        rs.getLong(1),
                        rs.getString(2).charAt(0),
                        rs.getLong(3),
                        rs.getLong(4),
                        rs.getLong(5))
                    : null);
    if (rel == null) {
      throw new UserError("table " + table + " does not exist" + suggestion(table));
    }
    if (!canSelect(rel.oid())) {
      throw new UserError("no SELECT privilege on table " + table);
    }
    return rel;
  }

  private boolean canSelect(long oid) throws SQLException {
    return query(
        "SELECT has_table_privilege(?::oid, 'SELECT')",
        List.of(oid),
        rs -> rs.next() && rs.getBoolean(1));
  }

  /** " (did you mean s.t?)" for a table that differs only in case, or "". */
  private String suggestion(TableRef table) throws SQLException {
    String sql =
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE lower(n.nspname) = lower(?) AND lower(c.relname) = lower(?)"
            + " AND c.relkind IN "
            + RELATION_KINDS
            + " LIMIT 1";
    return query(
        sql,
        List.of(table.schema(), table.table()),
        rs -> rs.next() ? " (did you mean " + rs.getString(1) + "." + rs.getString(2) + "?)" : "");
  }

  List<Column> columns(long oid) throws SQLException {
    return Column.ofTable(connection, oid);
  }

  /** The type of column {@code column} of relation {@code oid}, or null if it has none. */
  ColumnType columnType(long oid, String column) throws SQLException {
    String sql =
        "SELECT format_type(a.atttypid, a.atttypmod), COALESCE(NULLIF(t.typbasetype, 0), t.oid),"
            + " a.attnotnull FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
            + " WHERE a.attrelid = ? AND a.attname = ? AND a.attnum > 0 AND NOT a.attisdropped";
    return query(
        sql,
        List.of(oid, column),
        rs -> rs.next() ? new ColumnType(rs.getString(1), rs.getLong(2), rs.getBoolean(3)) : null);
  }

  /** The first column of the relation's primary key, or null if it has none. */
  String primaryKeyColumn(long oid) throws SQLException {
    String sql =
        "SELECT a.attname FROM pg_index i"
            + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
            + " WHERE i.indrelid = ? AND i.indisprimary";
    return query(sql, List.of(oid), rs -> rs.next() ? rs.getString(1) : null);
  }

  /**
   * Why {@code value} is not a valid {@code type} (the server's first line), or null when it is.
   * Only a data error (SQLSTATE class 22) counts as "not valid"; any other error is thrown.
   */
  String castError(String value, String type) throws SQLException {
    try {
      query("SELECT CAST(? AS " + type + ")", List.of(value), rs -> null);
      return null;
    } catch (SQLException e) {
      if (e.getSQLState() == null || !e.getSQLState().startsWith("22")) {
        throw e;
      }
      String reason = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      return reason.replaceFirst("^ERROR: ", "");
    }
  }

  /** All rows of the table and of {@code from}'s filter, and those whose {@code key} is set. */
  KeyCounts keyCounts(String column, String from, List<String> params) throws SQLException {
    return query(
        "SELECT count(*), count(" + column + ")" + from,
        params,
        rs -> {
          rs.next();
          return new KeyCounts(rs.getLong(1), rs.getLong(2));
        });
  }

  /**
   * Every {@code step}-th non-NULL value of {@code column} in key order, as text, leaving out the
   * first: the exact lower bounds of ranges of {@code step} rows after the first range. Only these
   * values, never rows, reach this JVM.
   *
   * @param from {@code " FROM table"}, with {@code " WHERE filter"} when there is one
   */
  List<String> quantiles(
      String column, String from, boolean filtered, List<String> params, long step)
      throws SQLException {
    String sql =
        "SELECT b::text FROM (SELECT "
            + column
            + " AS b, row_number() OVER (ORDER BY "
            + column
            + ") AS rn"
            + from
            + (filtered ? " AND " : " WHERE ")
            + column
            + " IS NOT NULL) s WHERE rn > 1 AND rn % ? = 1 ORDER BY rn";
    List<Object> all = new ArrayList<>(params);
    all.add(step);
    return query(
        sql,
        all,
        rs -> {
          List<String> bounds = new ArrayList<>();
          while (rs.next()) {
            bounds.add(rs.getString(1));
          }
          return bounds;
        });
  }

  /**
   * The bounds {@link #quantiles} finds, found along the key's index instead: each is the {@code
   * step}-th value past the one before ({@code OFFSET} on an index scan that starts at it), one
   * short query per range rather than a number for every row (about 6 ms against 28 ms per 100,000
   * rows). Only for a key a btree index leads (the primary key's first column): without one, each
   * step would sort the table. Repeated values are stepped over, so bounds never repeat.
   *
   * @param type the key's type, to compare it with the bound before, given as text
   */
  List<String> indexedQuantiles(
      String column, String type, String from, boolean filtered, List<String> params, long step)
      throws SQLException {
    // The value as text outside: inside, ORDER BY must sort the column, not its text.
    String select = "SELECT b::text FROM (SELECT " + column + " AS b" + from;
    String where = filtered ? " AND " : " WHERE ";
    String order = " ORDER BY " + column + " OFFSET ? LIMIT 1) s";
    String first = select + where + column + " IS NOT NULL" + order;
    String next = select + where + column + " > CAST(? AS " + type + ")" + order;
    List<String> bounds = new ArrayList<>();
    List<Object> args = new ArrayList<>(params);
    args.add(step);
    String bound = query(first, args, Catalog::firstText);
    while (bound != null) {
      bounds.add(bound);
      args = new ArrayList<>(params);
      args.add(bound);
      args.add(step - 1);
      bound = query(next, args, Catalog::firstText);
    }
    return bounds;
  }

  private static String firstText(ResultSet rs) throws SQLException {
    return rs.next() ? rs.getString(1) : null;
  }

  /** The table's exact row count. */
  long countRows(TableRef table) throws SQLException {
    return query(
        "SELECT count(*) FROM " + table.quoted(),
        List.of(),
        rs -> {
          rs.next();
          return rs.getLong(1);
        });
  }

  /**
   * Which of {@code conditions} hold for at least one row of the table, in one scan (for Parquet's
   * text fallbacks).
   */
  boolean[] anyRow(TableRef table, List<String> conditions) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT ");
    for (int i = 0; i < conditions.size(); i++) {
      sql.append(i == 0 ? "" : ", ").append("COALESCE(bool_or(").append(conditions.get(i));
      sql.append("), false)");
    }
    sql.append(" FROM ").append(table.quoted());
    return query(
        sql.toString(),
        List.of(),
        rs -> {
          rs.next();
          boolean[] any = new boolean[conditions.size()];
          for (int i = 0; i < any.length; i++) {
            any[i] = rs.getBoolean(i + 1);
          }
          return any;
        });
  }

  /**
   * Prepares {@code sql}, binds {@code params} in order (a {@link Long} as bigint, anything else as
   * text), runs it and reads its result. Results stream in batches, so the quantile list of a large
   * table never sits in the driver whole.
   */
  private <T> T query(String sql, List<?> params, Reader<T> reader) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      for (int i = 0; i < params.size(); i++) {
        Object p = params.get(i);
        if (p instanceof Long l) {
          ps.setLong(i + 1, l);
        } else {
          ps.setString(i + 1, (String) p);
        }
      }
      ps.setFetchSize(10_000);
      try (ResultSet rs = ps.executeQuery()) {
        return reader.read(rs);
      }
    }
  }
}
