package dev.hose.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.common.Cli;
import dev.hose.support.ArchiveRun;
import dev.hose.support.FidelityTables;
import dev.hose.support.Readers;
import dev.hose.support.TestServers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hose schema} run for real: the PostgreSQL DDL creates each archived table again with the
 * same column types, and the DuckDB DDL reads each archive (JSON lines with gzip and zstd, and
 * Parquet) in DuckDB with the manifest's row count and, column by column, the same values as
 * PostgreSQL: numerics exact, timestamps the same instants, dates the same days (BC and infinity
 * included), bytes the same bytes.
 */
class SchemaDdlIT {
  private static final List<String> TABLES =
      List.of(
          "public.type_zoo",
          "public.fidelity",
          "public.orders",
          "sales.Order Items",
          "public.edges");

  @TempDir static Path dir;
  static TestServers servers;

  @BeforeAll
  static void start() throws Exception {
    servers = TestServers.start(dir);
    FidelityTables.create(servers);
    servers.sql(
        "CREATE TABLE edges (k int, n numeric(38,10), big numeric, d date, ts timestamp,"
            + " tstz timestamptz, f4 real, ba bytea)",
        "INSERT INTO edges VALUES (1, 1234567890123456789012345678.0123456789,"
            + " 123456789012345678901234567890.123456789, '0044-03-15 BC',"
            + " '0044-03-15 12:00:00.000001 BC', '2026-11-24 01:02:03.123456+05:30', 'NaN',"
            + " '\\x00ff')",
        "INSERT INTO edges VALUES (2, -0.0000000001, 0.1, 'infinity', '-infinity', 'infinity',"
            + " '-Infinity', '')",
        "INSERT INTO edges (k) VALUES (3)");
    for (String compression : List.of("gzip", "zstd")) {
      ArchiveRun.archive(
          servers,
          "--tables=" + String.join(",", TABLES),
          "--output=" + dir.resolve(compression) + "/",
          "--compression=" + compression,
          "--maxRowsPerBundle=40");
    }
    ArchiveRun.archive(
        servers,
        "--tables=" + String.join(",", TABLES),
        "--output=" + dir.resolve(PARQUET) + "/",
        "--format=parquet",
        "--maxRowsPerBundle=40");
  }

  /** The archive directory of the Parquet shards (zstd). */
  private static final String PARQUET = "parquet";

  @AfterAll
  static void stop() throws Exception {
    servers.close();
  }

  @Test
  void thePostgresDdlCreatesEachTableWithTheSameColumns() throws Exception {
    servers.sql("CREATE SCHEMA from_ddl");
    for (String table : TABLES) {
      String name = table.substring(table.indexOf('.') + 1);
      String ddl = schema("gzip", table, "postgres", "--name=from_ddl.\"" + name + "\"");
      servers.sql(ddl);
      assertEquals(columns(table), columns("from_ddl." + name), table);
    }
  }

  @Test
  void theDuckDbDdlReadsEveryRowWithExactValues() throws Exception {
    for (String compression : List.of("gzip", "zstd", PARQUET)) {
      boolean parquet = compression.equals(PARQUET);
      for (String table : TABLES) {
        String where = compression + " " + table;
        Map<String, String> columns = columns(table);
        List<String> queries = new ArrayList<>(List.of("SELECT count(*) FROM t"));
        List<String> compared = new ArrayList<>();
        for (Map.Entry<String, String> c : columns.entrySet()) {
          String expr = expression(quote(c.getKey()), c.getValue(), true, parquet);
          if (expr != null) {
            queries.add("SELECT " + expr + " FROM t");
            compared.add(c.getKey());
          }
        }
        Readers.DuckDbResult duck =
            Readers.duckdb(schema(compression, table, "duckdb", "--name=t"), queries, dir);
        assertEquals("2.0.1", duck.version(), "the venv's pinned DuckDB");
        assertEquals(
            List.of(String.valueOf(rowCount(table))),
            duck.results().get(0),
            where + ": the manifest's rows");
        for (int i = 0; i < compared.size(); i++) {
          String column = compared.get(i);
          assertEquals(
              values(table, column, columns.get(column), parquet),
              sorted(duck.results().get(i + 1)),
              where + "." + column);
        }
      }
    }
  }

  @Test
  void badInputIsOneLineBeforeAnythingIsRead() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        new Cli(List.of(new SchemaCommand()), new PrintStream(err, true, StandardCharsets.UTF_8))
            .execute(new String[] {"schema", "--input=/nowhere/", "--dialect=hive"});
    assertEquals(2, code);
    assertEquals(
        "hose schema: error: --dialect must be one of duckdb, athena, spark, postgres, not 'hive'",
        err.toString(StandardCharsets.UTF_8).strip());
  }

  /** What {@code hose schema} prints for one archived table. */
  private static String schema(String compression, String table, String dialect, String... extra)
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<String> args =
        new ArrayList<>(
            List.of("--input=" + dir.resolve(compression).resolve(table), "--dialect=" + dialect));
    args.addAll(List.of(extra));
    int code =
        new SchemaCommand(new PrintStream(out, true, StandardCharsets.UTF_8))
            .run(args.toArray(new String[0]));
    assertEquals(0, code);
    String ddl = out.toString(StandardCharsets.UTF_8);
    assertTrue(ddl.startsWith("-- " + table + ", archived by run "), ddl);
    return ddl;
  }

  /** Each column's name and type ({@code format_type}, with NOT NULL), in order. */
  private static Map<String, String> columns(String table) throws Exception {
    Map<String, String> columns = new LinkedHashMap<>();
    try (Connection c = servers.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT attname, format_type(atttypid, atttypmod)"
                    + " || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END FROM pg_attribute"
                    + " WHERE attrelid = "
                    + regclass(table)
                    + " AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
      while (rs.next()) {
        columns.put(rs.getString(1), rs.getString(2));
      }
    }
    return columns;
  }

  /**
   * One column's values in PostgreSQL, sorted, in a form both engines print alike: numbers as plain
   * decimals, dates as days and timestamps as microseconds since 1970 (infinity as text), bytes in
   * hex; null for a type whose DuckDB reading this test does not compare.
   */
  private static List<String> values(String table, String column, String type, boolean parquet)
      throws Exception {
    String expr = expression(quote(column), type, false, parquet);
    if (expr == null) {
      return null;
    }
    List<String> values = new ArrayList<>();
    try (Connection c = servers.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + expr + " FROM " + qualified(table))) {
      while (rs.next()) {
        values.add(normalize(rs.getString(1)));
      }
    }
    values.sort(null);
    return values;
  }

  private static List<String> sorted(List<String> values) {
    List<String> normalized = new ArrayList<>();
    for (String v : values) {
      normalized.add(normalize(v));
    }
    normalized.sort(null);
    return normalized;
  }

  /**
   * The comparable form of a column of {@code type} in PostgreSQL or DuckDB SQL. From Parquet,
   * every numeric is compared: a numeric without a DECIMAL is its exact text there.
   */
  private static String expression(String id, String columnType, boolean duck, boolean parquet) {
    String type = columnType.replace(" NOT NULL", "");
    if (type.endsWith("]")) {
      return null; // arrays are JSON text in DuckDB (and LISTs from Parquet: restore compares them)
    }
    boolean bounded = type.matches("numeric\\((\\d|[12]\\d|3[0-8])(,\\d+)?\\)");
    boolean numeric = bounded || (parquet && type.startsWith("numeric"));
    if (type.equals("smallint") || type.equals("integer") || type.equals("bigint") || numeric) {
      return id + "::text";
    }
    if (type.equals("real") || type.equals("double precision")) {
      return duck ? "CAST(" + id + " AS DOUBLE)::VARCHAR" : id + "::float8::text";
    }
    if (type.equals("date")) {
      return duck
          ? "CASE WHEN isinf("
              + id
              + ") THEN "
              + id
              + "::VARCHAR ELSE ("
              + id
              + " - DATE '1970-01-01')::VARCHAR END"
          : "CASE WHEN isfinite("
              + id
              + ") THEN ("
              + id
              + " - date '1970-01-01')::text ELSE "
              + id
              + "::text END";
    }
    if (type.startsWith("timestamp")) {
      return duck
          ? "CASE WHEN isinf("
              + id
              + ") THEN "
              + id
              + "::VARCHAR ELSE epoch_us("
              + id
              + ")::VARCHAR END"
          : "CASE WHEN isfinite("
              + id
              + ") THEN (extract(epoch from "
              + id
              + ") * 1000000)::bigint::text ELSE "
              + id
              + "::text END";
    }
    if (type.equals("bytea")) {
      return duck ? "lower(hex(" + id + "))" : "encode(" + id + ", 'hex')";
    }
    if (type.equals("text") || type.startsWith("character") || type.equals("uuid")) {
      // format() keeps a character(n)'s padding, which a cast to text drops
      return duck
          ? id + "::VARCHAR"
          : "CASE WHEN " + id + " IS NOT NULL THEN format('%s', " + id + ") END";
    }
    return null;
  }

  /** Plain decimals and one spelling of infinity and NaN, whichever engine printed them. */
  private static String normalize(String v) {
    if (v == null) {
      return "null";
    }
    String lower = v.toLowerCase(java.util.Locale.ROOT);
    if (lower.equals("nan") || lower.contains("inf")) {
      return lower.replace("infinity", "inf");
    }
    try {
      BigDecimal n = new BigDecimal(v);
      return n.signum() == 0 ? "0" : n.stripTrailingZeros().toPlainString();
    } catch (NumberFormatException notANumber) {
      return v;
    }
  }

  private static long rowCount(String table) throws Exception {
    try (Connection c = servers.connect();
        Statement s = c.createStatement()) {
      return longOf(s, "SELECT count(*) FROM " + qualified(table));
    }
  }

  private static long longOf(Statement s, String sql) throws Exception {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String qualified(String table) {
    int dot = table.indexOf('.');
    return quote(table.substring(0, dot)) + "." + quote(table.substring(dot + 1));
  }

  private static String regclass(String table) {
    return "'" + qualified(table).replace("'", "''") + "'::regclass";
  }

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }
}
