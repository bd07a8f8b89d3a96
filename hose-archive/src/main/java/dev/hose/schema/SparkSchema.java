package dev.hose.schema;

import dev.hose.archive.PgType;
import dev.hose.restore.ArchivedTable;
import java.util.ArrayList;
import java.util.List;

/**
 * Spark SQL: a table over the shards' glob with Spark's JSON source, every column typed and
 * FAILFAST, so a value Spark cannot read fails the query instead of turning into NULL. DECIMAL(p,s)
 * for {@code numeric(p,s)} of p ≤ 38 (Spark reads the number's text); FLOAT and DOUBLE (Spark reads
 * the {@code "NaN"} and {@code "Infinity"} strings); DATE; TIMESTAMP_NTZ for {@code timestamp} and
 * TIMESTAMP for {@code timestamptz} ({@code infinity} and BC values fail); BINARY for {@code bytea}
 * (Spark decodes base64); json, arrays, other numerics and every other type as STRING.
 *
 * <p>Parquet shards carry their types: the table is {@code USING parquet} over the shards' glob.
 */
final class SparkSchema implements Dialect.Writer {
  @Override
  public String ddl(Dialect.QualifiedName name, ArchivedTable table) {
    if (Dialect.parquet(table)) {
      return Dialect.header(table)
          + Dialect.textColumnNotes(table)
          + "CREATE TABLE "
          + name.quoted(Dialect::backtick)
          + "\nUSING parquet\nOPTIONS (path "
          + Dialect.literal(Dialect.shardGlob(table))
          + ");\n";
    }
    List<String> columns = new ArrayList<>();
    for (Dialect.Typed c : Dialect.columns(table)) {
      columns.add(Dialect.backtick(c.name()) + " " + type(c.type()));
    }
    return Dialect.header(table)
        + "CREATE TABLE "
        + name.quoted(Dialect::backtick)
        + " (\n  "
        + String.join(",\n  ", columns)
        + "\n)\nUSING json\nOPTIONS (path "
        + Dialect.literal(Dialect.shardGlob(table))
        + ", mode 'FAILFAST');\n";
  }

  private static String type(PgType t) {
    if (t.array()) {
      return "STRING";
    }
    return switch (t.kind()) {
      case SMALLINT -> "SMALLINT";
      case INTEGER -> "INT";
      case BIGINT -> "BIGINT";
      case REAL -> "FLOAT";
      case DOUBLE -> "DOUBLE";
      case BOOLEAN -> "BOOLEAN";
      case NUMERIC ->
          t.boundedDecimal() ? "DECIMAL(" + t.precision() + "," + t.scale() + ")" : "STRING";
      case DATE -> "DATE";
      case TIMESTAMP -> "TIMESTAMP_NTZ";
      case TIMESTAMPTZ -> "TIMESTAMP";
      case BYTEA -> "BINARY";
      default -> "STRING";
    };
  }
}
