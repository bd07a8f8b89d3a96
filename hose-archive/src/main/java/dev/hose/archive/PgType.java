package dev.hose.archive;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A column's PostgreSQL type as the manifest spells it ({@code format_type}), sorted into what the
 * JSON lines hold for it: {@code numeric(12,2)}, {@code timestamp(3) with time zone}, {@code
 * text[]}, {@code order_status}.
 *
 * @param kind what a value is in the JSON lines
 * @param precision a numeric's precision, 0 when it has none
 * @param scale a numeric's scale
 * @param array whether the column is an array (of any dimensions): a JSON array in each line
 */
public record PgType(Kind kind, int precision, int scale, boolean array) {
  /** What a JSON-lines value of the type is, as far as a reader's type goes. */
  public enum Kind {
    SMALLINT,
    INTEGER,
    BIGINT,
    REAL,
    DOUBLE,
    NUMERIC,
    BOOLEAN,
    TEXT,
    DATE,
    TIMESTAMP,
    TIMESTAMPTZ,
    UUID,
    JSON,
    BYTEA,
    /** time, timetz, interval, enums, domains, and every other type: its text form. */
    OTHER
  }

  private static final Pattern TYPE =
      Pattern.compile("([a-z0-9_ ]+?)(?:\\((\\d+)(?:,(\\d+))?\\))?( with(?:out)? time zone)?");

  /** The widest DECIMAL that the engines hold (DuckDB, Athena, Spark and Parquet agree on 38). */
  public static final int MAX_DECIMAL = 38;

  public static PgType parse(String formatType) {
    String t = formatType.strip();
    boolean array = t.endsWith("[]");
    while (t.endsWith("[]")) {
      t = t.substring(0, t.length() - 2);
    }
    Matcher m = TYPE.matcher(t.toLowerCase(Locale.ROOT));
    if (t.contains("\"") || t.contains(".") || !m.matches()) {
      return new PgType(Kind.OTHER, 0, 0, array); // a quoted or qualified user type
    }
    String base = m.group(1).strip();
    boolean zoned = " with time zone".equals(m.group(4));
    int precision = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
    int scale = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
    Kind kind =
        switch (base) {
          case "smallint" -> Kind.SMALLINT;
          case "integer" -> Kind.INTEGER;
          case "bigint" -> Kind.BIGINT;
          case "real" -> Kind.REAL;
          case "double precision" -> Kind.DOUBLE;
          case "numeric" -> Kind.NUMERIC;
          case "boolean" -> Kind.BOOLEAN;
          case "text", "character varying", "character", "name", "\"char\"", "citext" -> Kind.TEXT;
          case "date" -> Kind.DATE;
          case "timestamp" -> zoned ? Kind.TIMESTAMPTZ : Kind.TIMESTAMP;
          case "uuid" -> Kind.UUID;
          case "json", "jsonb" -> Kind.JSON;
          case "bytea" -> Kind.BYTEA;
          default -> Kind.OTHER;
        };
    return kind == Kind.NUMERIC
        ? new PgType(kind, precision, scale, array)
        : new PgType(kind, 0, 0, array);
  }

  /** A numeric that a 38-digit DECIMAL holds exactly: declared, with precision ≤ 38. */
  public boolean boundedDecimal() {
    return kind == Kind.NUMERIC && precision > 0 && precision <= MAX_DECIMAL;
  }
}
