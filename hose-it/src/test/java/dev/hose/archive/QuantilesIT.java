package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.support.TestServers;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Range bounds found along the primary key's index are the ones numbering every row finds, on a
 * real PostgreSQL: keys with gaps, a --where filter, and a composite key whose first column
 * repeats; and the rows a plan on the primary key gives without counting the whole table.
 */
class QuantilesIT {
  private static TestServers servers;

  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    servers = TestServers.start(dir);
    try (Connection c = servers.connect();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE gaps (id bigint PRIMARY KEY, v int)");
      s.execute("INSERT INTO gaps SELECT g * 3 + (g % 7), g % 10 FROM generate_series(1, 25000) g");
      s.execute("CREATE TABLE lines (order_id int, line int, PRIMARY KEY (order_id, line))");
      s.execute(
          "INSERT INTO lines SELECT o, l FROM generate_series(1, 3000) o,"
              + " generate_series(1, 1 + o % 9) l");
      s.execute("ANALYZE");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    servers.close();
  }

  @Test
  void onAUniqueKeyTheIndexFindsTheBoundsThatNumberingEveryRowFinds() throws Exception {
    try (Connection c = servers.connect()) {
      Catalog catalog = new Catalog(c);
      for (long step : List.of(1_000L, 4_999L, 25_000L, 30_000L)) {
        assertEquals(
            catalog.quantiles("id", " FROM gaps", false, List.of(), step),
            catalog.indexedQuantiles("id", "bigint", " FROM gaps", false, List.of(), step),
            "step " + step);
      }
      String filtered = " FROM gaps WHERE v < CAST(? AS int)";
      assertEquals(
          catalog.quantiles("id", filtered, true, List.of("4"), 700),
          catalog.indexedQuantiles("id", "bigint", filtered, true, List.of("4"), 700));
      assertEquals(
          24,
          catalog.indexedQuantiles("id", "bigint", " FROM gaps", false, List.of(), 1_000).size());
    }
  }

  /**
   * A plan on the primary key counts only its last range's rows, never the whole table's; on a
   * unique key the rows it gives are the table's, with and without a --where filter, and on a
   * composite key within a step's repeats of them.
   */
  @Test
  void aPlanOnThePrimaryKeyGivesTheRowsItWillRead() throws Exception {
    try (Connection c = servers.connect()) {
      TablePlanner planner = new TablePlanner(c, options());
      TableRef gaps = TableRef.parse("public.gaps");
      TablePlanner.Planned all = planner.plan(gaps, new TableSettings(null, null, null, 1_000));
      assertEquals(25_000, all.plan().estimatedRows());
      assertEquals(25, all.ranges().size());
      TablePlanner.Planned some = planner.plan(gaps, new TableSettings(null, null, "v < 4", 700));
      assertEquals(count(c, "SELECT count(*) FROM gaps WHERE v < 4"), some.plan().estimatedRows());
      TablePlanner.Planned one = planner.plan(gaps, new TableSettings(null, null, null, 25_000));
      assertEquals(25_000, one.plan().estimatedRows());
      assertEquals(1, one.ranges().size());
      TablePlanner.Planned lines =
          planner.plan(TableRef.parse("public.lines"), new TableSettings(null, null, null, 1_000));
      long exact = count(c, "SELECT count(*) FROM lines");
      long slack = 9L * lines.ranges().size();
      assertTrue(
          Math.abs(lines.plan().estimatedRows() - exact) <= slack,
          lines.plan().estimatedRows() + " rows planned, " + exact + " in the table");
    }
  }

  private static ArchiveOptions options() {
    return org.apache.beam.sdk.options.PipelineOptionsFactory.as(ArchiveOptions.class);
  }

  private static long count(Connection c, String sql) throws Exception {
    try (Statement s = c.createStatement();
        var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void aRepeatedKeyGivesBoundsThatRiseAndRangesOfAStepGiveOrTakeItsRepeats() throws Exception {
    try (Connection c = servers.connect();
        Statement s = c.createStatement()) {
      Catalog catalog = new Catalog(c);
      List<String> bounds =
          catalog.indexedQuantiles("order_id", "integer", " FROM lines", false, List.of(), 1_000);
      assertTrue(bounds.size() >= 10, "bounds " + bounds);
      String below = "0";
      for (String bound : bounds) {
        assertTrue(Integer.parseInt(bound) > Integer.parseInt(below), bounds.toString());
        var rs =
            s.executeQuery(
                "SELECT count(*) FROM lines WHERE order_id >= "
                    + below
                    + " AND order_id < "
                    + bound);
        rs.next();
        long rows = rs.getLong(1); // a step, give or take one order's lines (at most 9)
        assertTrue(Math.abs(rows - 1_000) <= 9, "rows below " + bound + ": " + rows);
        below = bound;
      }
    }
  }
}
