package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.postgresql.core.Oid;

/** Range maths without a database: what the catalog would say in, ranges out. */
class RangePlannerTest {
  private static final TableRef T = new TableRef("public", "t");

  @Test
  void aTableThatFitsOneRangeIsReadWhole() {
    List<ExportRange> ranges =
        new RangePlanner(100).keyRanges(T, "\"id\"", "bigint", List.of("50"), 100, 100);
    assertEquals(List.of(new ExportRange(T, 0, 1, "TRUE", List.of())), ranges);
  }

  @Test
  void keyRangesRunBelowBetweenAndFromTheBoundsThenNulls() {
    List<ExportRange> ranges =
        new RangePlanner(10).keyRanges(T, "\"id\"", "bigint", List.of("11", "21"), 35, 30);
    String cast = "CAST(? AS bigint)";
    assertEquals(
        List.of(
            new ExportRange(T, 0, 4, "\"id\" < " + cast, List.of("11")),
            new ExportRange(
                T, 1, 4, "\"id\" >= " + cast + " AND \"id\" < " + cast, List.of("11", "21")),
            new ExportRange(T, 2, 4, "\"id\" >= " + cast, List.of("21")),
            new ExportRange(T, 3, 4, "\"id\" IS NULL", List.of())),
        ranges);
  }

  @Test
  void repeatedBoundsMakeNoEmptyRanges() {
    List<ExportRange> ranges =
        new RangePlanner(2).keyRanges(T, "k", "text", List.of("a", "a", "a", "b"), 9, 9);
    assertEquals(3, ranges.size());
    assertEquals(List.of("a", "b"), ranges.get(1).parameters());
  }

  @Test
  void manyNullsAndNoBoundsSplitIntoSetAndNull() {
    List<ExportRange> ranges = new RangePlanner(10).keyRanges(T, "k", "int", List.of(), 50, 3);
    assertEquals(
        List.of("k IS NOT NULL", "k IS NULL"),
        ranges.stream().map(ExportRange::predicate).toList());
  }

  @Test
  void blockRangesCoverEveryPageAndTheLastIsOpen() {
    // 100 rows a page, 250 rows a range: 2 pages a range over 5 pages.
    List<ExportRange> ranges = new RangePlanner(250).blockRanges(T, 5, 500);
    assertEquals(3, ranges.size());
    assertEquals(List.of("(0,0)", "(2,0)"), ranges.get(0).parameters());
    assertEquals(List.of("(2,0)", "(4,0)"), ranges.get(1).parameters());
    assertEquals("ctid >= CAST(? AS tid)", ranges.get(2).predicate());
    assertEquals(List.of("(4,0)"), ranges.get(2).parameters());
    ranges.forEach(r -> assertEquals(3, r.shardCount()));
  }

  @Test
  void blockRangesTakeAtLeastOnePage() {
    List<ExportRange> ranges = new RangePlanner(1).blockRanges(T, 3, 3000);
    assertEquals(3, ranges.size());
  }

  @Test
  void anEmptyOrSmallRelationIsOneRange() {
    assertEquals(1, new RangePlanner(10).blockRanges(T, 0, 1000).size());
    assertEquals(1, new RangePlanner(10).blockRanges(T, 8, 10).size());
  }

  @Test
  void statisticsAreStaleWhenMissingOrFarFromTheSize() {
    assertTrue(RangePlanner.statsStale(-1, 10, 10));
    assertTrue(RangePlanner.statsStale(100, 0, 10));
    assertTrue(RangePlanner.statsStale(100, 10, 100));
    assertFalse(RangePlanner.statsStale(100, 90, 100));
  }

  @Test
  void strategyPrefersAKeyThenBlocksOnTablesThenWhole() {
    assertEquals(RangePlanner.KEY, RangePlanner.strategy(true, 12, 'v'));
    assertEquals(RangePlanner.CTID, RangePlanner.strategy(false, 14, 'r'));
    assertEquals(RangePlanner.CTID, RangePlanner.strategy(false, 16, 'm'));
    assertEquals(RangePlanner.WHOLE, RangePlanner.strategy(false, 13, 'r'));
    assertEquals(RangePlanner.WHOLE, RangePlanner.strategy(false, 16, 'v'));
  }

  @Test
  void onlyOrderableScalarTypesAreRangeable() {
    assertTrue(RangePlanner.rangeable(Oid.INT8));
    assertTrue(RangePlanner.rangeable(Oid.UUID));
    assertFalse(RangePlanner.rangeable(Oid.JSONB));
    assertFalse(RangePlanner.rangeable(Oid.BOOL));
  }

  @Test
  void filterAndsTheConditionAndTypedBounds() {
    RangePlanner.Filter f =
        RangePlanner.filter("a = 1", "\"ts\"", "timestamp", "2026-01-01", "2026-02-01");
    assertEquals(
        "(a = 1) AND \"ts\" >= CAST(? AS timestamp) AND \"ts\" < CAST(? AS timestamp)",
        f.condition());
    assertEquals(List.of("2026-01-01", "2026-02-01"), f.parameters());
    RangePlanner.Filter none = RangePlanner.filter(null, null, null, null, null);
    assertNull(none.condition());
    assertEquals(List.of(), none.parameters());
  }

  @Test
  void rowBytesAreUnknownWithoutStatistics() {
    assertEquals(0, RangePlanner.rowBytes(10, 0));
    assertEquals(8192, RangePlanner.rowBytes(10, 10));
  }
}
