package dev.hose.schema;

import dev.hose.archive.PgType;
import dev.hose.restore.ArchivedTable;
import java.util.ArrayList;
import java.util.List;

/**
 * Athena (and Trino over a Hive catalog): an external table over the table's directory that reads
 * each JSON value as Athena's JSON SerDe can, and a view over it with the exact types. Athena skips
 * objects whose names start with {@code _}, so the manifest, the claim and {@code _hose_temp/} are
 * never read as rows. DECIMAL(p,s) for {@code numeric(p,s)} of p ≤ 38 (other numerics stay text);
 * floats read from text, so that {@code "NaN"} and {@code "Infinity"} cast; dates and timestamps
 * from ISO-8601 text, to microseconds ({@code infinity} and BC values fail the query, loudly);
 * {@code bytea} from base64; uuid as uuid; json and arrays as their JSON text.
 *
 * <p>Parquet shards: one external table {@code STORED AS PARQUET} with each column's Hive type.
 */
final class AthenaSchema implements Dialect.Writer {
  @Override
  public String ddl(Dialect.QualifiedName name, ArchivedTable table) {
    if (Dialect.parquet(table)) {
      List<String> columns = new ArrayList<>();
      for (Dialect.Typed c : Dialect.columns(table)) {
        columns.add(Dialect.backtick(c.name()) + " " + parquetType(c));
      }
      return Dialect.header(table)
          + Dialect.textColumnNotes(table)
          + "CREATE EXTERNAL TABLE "
          + name.quoted(Dialect::backtick)
          + " (\n  "
          + String.join(",\n  ", columns)
          + "\n)\nSTORED AS PARQUET\nLOCATION "
          + Dialect.literal(table.dir())
          + ";\n";
    }
    String raw = name.name() + "_jsonl";
    List<String> columns = new ArrayList<>();
    List<String> select = new ArrayList<>();
    for (Dialect.Typed c : Dialect.columns(table)) {
      columns.add(Dialect.backtick(c.name()) + " " + rawType(c.type()));
      String id = Dialect.quote(c.name());
      String value = value(id, c.type());
      select.add(value.equals(id) ? id : value + " AS " + id);
    }
    return Dialect.header(table)
        + "CREATE EXTERNAL TABLE "
        + new Dialect.QualifiedName(name.schema(), raw).quoted(Dialect::backtick)
        + " (\n  "
        + String.join(",\n  ", columns)
        + "\n)\nROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n"
        + "WITH SERDEPROPERTIES ('ignore.malformed.json' = 'false')\n"
        + "LOCATION "
        + Dialect.literal(table.dir())
        + ";\n\nCREATE OR REPLACE VIEW "
        + name.quoted(Dialect::quote)
        + " AS\nSELECT\n  "
        + String.join(",\n  ", select)
        + "\nFROM "
        + new Dialect.QualifiedName(name.schema(), raw).quoted(Dialect::quote)
        + ";\n";
  }

  /** The Hive type of a Parquet column (uuid: its 16 bytes, as Athena's reader has no uuid). */
  private static String parquetType(Dialect.Typed c) {
    if (dev.hose.archive.ParquetColumns.asText(c.column())) {
      return "string";
    }
    String element =
        switch (c.type().kind()) {
          case SMALLINT -> "smallint";
          case INTEGER -> "int";
          case BIGINT -> "bigint";
          case REAL -> "float";
          case DOUBLE -> "double";
          case BOOLEAN -> "boolean";
          case NUMERIC ->
              dev.hose.archive.ParquetColumns.decimal(c.type())
                  ? "decimal(" + c.type().precision() + "," + c.type().scale() + ")"
                  : "string";
          case DATE -> "date";
          case TIMESTAMP, TIMESTAMPTZ -> "timestamp";
          case UUID, BYTEA -> "binary";
          default -> "string";
        };
    return c.type().array() ? "array<" + element + ">" : element;
  }

  private static String rawType(PgType t) {
    if (t.array()) {
      return "string";
    }
    return switch (t.kind()) {
      case SMALLINT -> "smallint";
      case INTEGER -> "int";
      case BIGINT -> "bigint";
      case BOOLEAN -> "boolean";
      case NUMERIC ->
          t.boundedDecimal() ? "decimal(" + t.precision() + "," + t.scale() + ")" : "string";
      default -> "string";
    };
  }

  private static String value(String id, PgType t) {
    if (t.array()) {
      return id;
    }
    return switch (t.kind()) {
      case REAL -> "CAST(" + id + " AS real)";
      case DOUBLE -> "CAST(" + id + " AS double)";
      case DATE -> "CAST(" + id + " AS date)";
      case TIMESTAMP -> "CAST(replace(" + id + ", 'T', ' ') AS timestamp(6))";
      case TIMESTAMPTZ ->
          "CAST(from_iso8601_timestamp_nanos(" + id + ") AS timestamp(6) with time zone)";
      case UUID -> "CAST(" + id + " AS uuid)";
      case BYTEA -> "from_base64(" + id + ")";
      default -> id;
    };
  }
}
