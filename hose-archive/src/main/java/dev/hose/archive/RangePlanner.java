package dev.hose.archive;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.postgresql.core.Oid;

/**
 * The range maths of planning, without a database: given what the catalog said about a table (its
 * key's type and quantile boundaries, or its size in blocks and rows), the numbered {@link
 * ExportRange}s of at most {@code maxRowsPerBundle} rows each. {@link TablePlanner} asks the
 * catalog and calls this.
 */
final class RangePlanner {
  /** How a table is split, as {@link TablePlan#strategy()} records it. */
  static final String KEY = "key";

  static final String CTID = "ctid";
  static final String WHOLE = "whole";

  /**
   * Base types a key range can be computed on: integers, numeric, dates, timestamps, text, uuid.
   */
  private static final Set<Long> KEY_TYPES =
      Set.of(
              Oid.INT8,
              Oid.INT2,
              Oid.INT4,
              Oid.NUMERIC,
              Oid.DATE,
              Oid.TIMESTAMP,
              Oid.TIMESTAMPTZ,
              Oid.TEXT,
              Oid.VARCHAR,
              Oid.UUID)
          .stream()
          .map(Integer::longValue)
          .collect(Collectors.toUnmodifiableSet());

  private static final long BLOCK_BYTES = 8192;

  /** A range before it is numbered: its condition and bound values. */
  private record Draft(String predicate, List<String> parameters) {
    static final Draft ALL = new Draft("TRUE", List.of());
  }

  /**
   * A condition every range of a table adds, with the values of its {@code ?} placeholders.
   *
   * @param condition SQL, or null for none
   */
  record Filter(String condition, List<String> parameters) {
    Filter {
      parameters = List.copyOf(parameters);
    }
  }

  private final long maxRowsPerBundle;

  RangePlanner(long maxRowsPerBundle) {
    if (maxRowsPerBundle < 1) {
      throw new IllegalArgumentException("maxRowsPerBundle must be at least 1");
    }
    this.maxRowsPerBundle = maxRowsPerBundle;
  }

  /** Whether a key of base type {@code baseOid} can be split into ranges. */
  static boolean rangeable(long baseOid) {
    return KEY_TYPES.contains(baseOid);
  }

  /** The strategy: a key when there is one, else block ranges where PostgreSQL has them. */
  static String strategy(boolean hasKey, int serverMajorVersion, char relkind) {
    if (hasKey) {
      return KEY;
    }
    return serverMajorVersion >= 14 && (relkind == 'r' || relkind == 'm') ? CTID : WHOLE;
  }

  /** Whether {@code rows} rows fit one range, so no boundary need be asked for. */
  boolean fitsOneRange(long rows) {
    return rows <= maxRowsPerBundle;
  }

  /** The row step between quantile boundaries. */
  long step() {
    return maxRowsPerBundle;
  }

  /**
   * The {@code --where} condition (already checked) and the {@code --since}/{@code --until} bounds
   * on {@code column} of type {@code type}, ANDed; the bounds are typed placeholders.
   *
   * @param column the quoted incremental column, or null when there is none
   */
  static Filter filter(String where, String column, String type, String since, String until) {
    List<String> parts = new ArrayList<>();
    List<String> params = new ArrayList<>();
    if (where != null) {
      parts.add("(" + where + ")");
    }
    if (column != null && since != null) {
      parts.add(column + " >= CAST(? AS " + type + ")");
      params.add(since);
    }
    if (column != null && until != null) {
      parts.add(column + " < CAST(? AS " + type + ")");
      params.add(until);
    }
    return new Filter(parts.isEmpty() ? null : String.join(" AND ", parts), params);
  }

  /** One range that reads the whole table. */
  static List<ExportRange> whole(TableRef table) {
    return number(table, List.of(Draft.ALL));
  }

  /**
   * Ranges of quoted key column {@code column} of type {@code type}: below the first boundary,
   * between each pair, from the last on, and one for NULL keys when there are any.
   *
   * @param bounds quantile boundaries in key order, as text; repeats are dropped
   */
  List<ExportRange> keyRanges(
      TableRef table, String column, String type, List<String> bounds, long total, long nonNull) {
    if (fitsOneRange(total)) {
      return whole(table);
    }
    List<String> distinct = new ArrayList<>();
    for (String b : bounds) {
      if (distinct.isEmpty() || !distinct.get(distinct.size() - 1).equals(b)) {
        distinct.add(b);
      }
    }
    String cast = "CAST(? AS " + type + ")";
    List<Draft> drafts = new ArrayList<>();
    if (distinct.isEmpty()) {
      drafts.add(new Draft(column + " IS NOT NULL", List.of()));
    } else {
      drafts.add(new Draft(column + " < " + cast, List.of(distinct.get(0))));
      for (int i = 0; i + 1 < distinct.size(); i++) {
        drafts.add(
            new Draft(
                column + " >= " + cast + " AND " + column + " < " + cast,
                List.of(distinct.get(i), distinct.get(i + 1))));
      }
      drafts.add(new Draft(column + " >= " + cast, List.of(distinct.get(distinct.size() - 1))));
    }
    if (total > nonNull) {
      drafts.add(new Draft(column + " IS NULL", List.of()));
    }
    return number(table, drafts);
  }

  /**
   * Whether a table's statistics are too far off to size block ranges by: never analyzed, or its
   * size has moved by more than a fifth since.
   *
   * @param pages the relation's size in blocks now
   */
  static boolean statsStale(long reltuples, long relpages, long pages) {
    return reltuples < 0 || relpages == 0 || Math.abs(relpages - pages) > pages / 5;
  }

  /**
   * Block ranges ({@code ctid}) sized from the table's row density; the last range is open-ended,
   * so rows in blocks added since planning are still read.
   */
  List<ExportRange> blockRanges(TableRef table, long pages, long rows) {
    if (pages == 0 || fitsOneRange(rows)) {
      return whole(table);
    }
    double rowsPerPage = Math.max(1.0, (double) rows / pages);
    long blocks = Math.max(1, (long) Math.floor(maxRowsPerBundle / rowsPerPage));
    List<Draft> drafts = new ArrayList<>();
    for (long start = 0; start < pages; start += blocks) {
      String lo = "(" + start + ",0)";
      if (start + blocks >= pages) {
        drafts.add(new Draft("ctid >= CAST(? AS tid)", List.of(lo)));
      } else {
        String hi = "(" + (start + blocks) + ",0)";
        drafts.add(new Draft("ctid >= CAST(? AS tid) AND ctid < CAST(? AS tid)", List.of(lo, hi)));
      }
    }
    return number(table, drafts);
  }

  /** The average row size on disk, or 0 when the statistics don't say. */
  static long rowBytes(long pages, long reltuples) {
    return reltuples > 0 ? pages * BLOCK_BYTES / reltuples : 0;
  }

  private static List<ExportRange> number(TableRef table, List<Draft> drafts) {
    List<ExportRange> numbered = new ArrayList<>();
    for (Draft d : drafts) {
      numbered.add(
          new ExportRange(table, numbered.size(), drafts.size(), d.predicate(), d.parameters()));
    }
    return numbered;
  }
}
