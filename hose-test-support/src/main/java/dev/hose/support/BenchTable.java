package dev.hose.support;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The benchmark's table: about 1 KB of JSON per row over mixed types (bigint, timestamptz, numeric,
 * text, jsonb, text[]), generated inside PostgreSQL.
 */
public final class BenchTable {
  private BenchTable() {}

  public static void create(Connection c, String table, long rows) throws SQLException {
    insert(c, table, rows);
    try (Statement s = c.createStatement()) {
      s.execute("VACUUM (FREEZE, ANALYZE) " + table); // every tool then reads settled pages
      // ... and no tool shares the machine with the checkpointer writing the seed out.
      s.execute("CHECKPOINT");
    }
  }

  /**
   * Creates {@code table} with {@code rows} rows and leaves it unsettled: for many tables, seed
   * each with this and settle them once ({@link #settle}).
   */
  public static void insert(Connection c, String table, long rows) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + table);
      s.execute(
          "CREATE TABLE "
              + table
              + " (id bigint PRIMARY KEY, created_at timestamptz, amount numeric(14,4),"
              + " body text, attrs jsonb, tags text[])");
      s.execute(
          "INSERT INTO "
              + table
              + " SELECT g, timestamptz '2026-01-01' + g * interval '1 second',"
              + " (g * 31 % 1000000) / 100.0,"
              + " repeat('lorem ipsum dolor sit amet ', 16) || md5(g::text) || md5((g*7)::text)"
              + "   || ' ' || md5((g*13)::text) || ' ' || g,"
              + " jsonb_build_object('k', g, 'name', md5((g+1)::text),"
              + "   'flags', jsonb_build_array(g%2=0, g%3=0),"
              + "   'nested', jsonb_build_object('a', md5((g+2)::text), 'b', g % 97)),"
              + " ARRAY[md5((g+3)::text), 'tag' || (g%100), 'x', NULL, 'y']"
              + " FROM generate_series(1, "
              + rows
              + ") g");
    }
  }

  /** Freezes and analyzes every table of the connection's database, then checkpoints. */
  public static void settle(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("VACUUM (FREEZE, ANALYZE)");
      s.execute("CHECKPOINT");
    }
  }
}
