package dev.hose.archive;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * One column of an archived table: its name, its PostgreSQL type as {@code format_type} spells it,
 * and how its values become JSON.
 *
 * @param elementKind for arrays, the kind of the elements; otherwise null
 * @param elementDelimiter for arrays, the element type's delimiter (',' for all but box)
 */
public record Column(
    String name,
    String type,
    boolean notNull,
    JsonKind kind,
    JsonKind elementKind,
    char elementDelimiter)
    implements Serializable {

  /** The columns of relation {@code oid} in table order, from the catalog. */
  public static List<Column> ofTable(Connection connection, long oid) throws SQLException {
    String sql =
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, bt.oid,"
            + " (bt.typcategory = 'A' AND bt.typelem <> 0),"
            + " COALESCE(NULLIF(et.typbasetype, 0), et.oid), et.typdelim"
            + " FROM pg_attribute a"
            + " JOIN pg_type t ON t.oid = a.atttypid"
            + " JOIN pg_type bt ON bt.oid = COALESCE(NULLIF(t.typbasetype, 0), t.oid)"
            + " LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'"
            + " WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
    List<Column> columns = new ArrayList<>();
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          boolean array = rs.getBoolean(5);
          String delim = rs.getString(7);
          columns.add(
              new Column(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getBoolean(3),
                  array ? JsonKind.ARRAY : JsonKind.ofTypeOid(rs.getLong(4)),
                  array ? JsonKind.ofTypeOid(rs.getLong(6)) : null,
                  delim == null || delim.isEmpty() ? ',' : delim.charAt(0)));
        }
      }
    }
    return columns;
  }
}
