package dev.hose.schema;

import dev.hose.archive.PgType;
import dev.hose.restore.ArchivedTable;
import java.util.ArrayList;
import java.util.List;

/**
 * DuckDB: a view over {@code read_json} with every column's type given, so nothing is guessed and
 * the glob takes only shards. Exact where DuckDB is: a {@code numeric(p,s)} of p ≤ 38 is read from
 * the number's text as DECIMAL(p,s) (a NaN then fails the query, loudly); BC dates and timestamps
 * are turned into DuckDB's year numbering (44 BC is -0043); {@code bytea} is decoded from base64;
 * arrays are JSON (they may have several dimensions). Not exact, and said in the DDL: a numeric
 * without precision, or over 38 digits, which DuckDB's JSON reader takes only as DOUBLE.
 *
 * <p>Parquet shards carry their types: the view is {@code read_parquet} over the shards, and a
 * comment names each column held as its text form.
 */
final class DuckDbSchema implements Dialect.Writer {
  @Override
  public String ddl(Dialect.QualifiedName name, ArchivedTable table) {
    if (Dialect.parquet(table)) {
      return Dialect.header(table)
          + Dialect.textColumnNotes(table)
          + "CREATE OR REPLACE VIEW "
          + name.quoted(Dialect::quote)
          + " AS\nSELECT * FROM read_parquet("
          + Dialect.literal(Dialect.shardGlob(table))
          + ");\n";
    }
    StringBuilder sql = new StringBuilder(Dialect.header(table));
    List<String> select = new ArrayList<>();
    List<String> read = new ArrayList<>();
    for (Dialect.Typed c : Dialect.columns(table)) {
      String id = Dialect.quote(c.name());
      read.add(Dialect.literal(c.name()) + ": " + Dialect.literal(readType(c.type())));
      String value = value(id, c.type());
      select.add(value.equals(id) ? id : value + " AS " + id);
      if (c.type().kind() == PgType.Kind.NUMERIC
          && !c.type().array()
          && !c.type().boundedDecimal()) {
        sql.append(
            String.format(
                "-- %s is %s: DuckDB's JSON reader takes it only as DOUBLE (about 17 digits)%n",
                c.name(), c.column().type()));
      }
    }
    String view = name.quoted(Dialect::quote);
    sql.append("CREATE OR REPLACE VIEW ").append(view).append(" AS\nSELECT\n  ");
    sql.append(String.join(",\n  ", select));
    sql.append("\nFROM read_json(\n  ")
        .append(Dialect.literal(Dialect.shardGlob(table)))
        .append(",\n  format = 'newline_delimited',\n  columns = {\n    ")
        .append(String.join(",\n    ", read))
        .append("\n  }\n);\n");
    return sql.toString();
  }

  /** The type read_json reads the JSON value as. */
  private static String readType(PgType t) {
    if (t.array() || t.kind() == PgType.Kind.JSON) {
      return "JSON";
    }
    return switch (t.kind()) {
      case SMALLINT -> "SMALLINT";
      case INTEGER -> "INTEGER";
      case BIGINT -> "BIGINT";
      case BOOLEAN -> "BOOLEAN";
      case UUID -> "UUID";
      case NUMERIC ->
          t.boundedDecimal() ? "DECIMAL(" + t.precision() + "," + t.scale() + ")" : "VARCHAR";
      default -> "VARCHAR"; // converted in the SELECT, or text as it is
    };
  }

  /** The SELECT's expression for a column read as {@link #readType}. */
  private static String value(String id, PgType t) {
    if (t.array()) {
      return id;
    }
    return switch (t.kind()) {
      case REAL -> "CAST(" + id + " AS FLOAT)"; // "NaN", "Infinity" are strings in the JSON
      case DOUBLE -> "CAST(" + id + " AS DOUBLE)";
      case NUMERIC -> t.boundedDecimal() ? id : "CAST(" + id + " AS DOUBLE)";
      case DATE -> temporal(id, "DATE");
      case TIMESTAMP -> temporal(id, "TIMESTAMP");
      case TIMESTAMPTZ -> temporal(id, "TIMESTAMPTZ");
      case BYTEA -> "from_base64(" + id + ")";
      default -> id;
    };
  }

  /**
   * PostgreSQL writes a BC date as {@code 0044-03-15 BC}; DuckDB counts years astronomically and
   * reads {@code -0043-03-15}. Infinity reads as DuckDB's infinity.
   */
  private static String temporal(String id, String type) {
    return "CASE WHEN "
        + id
        + " LIKE '% BC' THEN CAST(printf('-%04d', CAST(left("
        + id
        + ", 4) AS INTEGER) - 1) || substr("
        + id
        + ", 5, length("
        + id
        + ") - 7) AS "
        + type
        + ") ELSE CAST("
        + id
        + " AS "
        + type
        + ") END";
  }
}
