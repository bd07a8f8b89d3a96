package dev.hose.archive;

import dev.hose.common.UserError;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Splits each table into ranges of at most {@code maxRowsPerBundle} rows, inside the launcher's
 * snapshot transaction. In order of preference it splits on: the column the user names, the first
 * primary-key column, or physical block ranges ({@code ctid}, PostgreSQL 14+). Key boundaries are
 * exact quantiles computed by the server; rows whose key is NULL get a range of their own. Nothing
 * but boundary values ever reaches this JVM.
 *
 * <p>This class checks the options and puts the questions to the {@link Catalog}; the range maths
 * is {@link RangePlanner}'s and the {@code --where} check {@link WhereCheck}'s.
 */
final class TablePlanner {
  /**
   * One table's plan and its ranges.
   *
   * @param rowBytes the table's average row size on disk from its statistics (0 when unknown: a
   *     view, or never analyzed), for the heap estimate
   */
  record Planned(TablePlan plan, List<ExportRange> ranges, long rowBytes) {}

  /** A table's ranges and its row count (estimated or exact). */
  private record Split(List<ExportRange> ranges, long rows) {}

  private final Catalog catalog;
  private final String since;
  private final String until;
  private final int serverVersion;
  private final boolean parquet;

  TablePlanner(Connection connection, ArchiveOptions options) throws SQLException {
    this.catalog = new Catalog(connection);
    this.parquet = ExportSettings.codec(options).parquet();
    this.since = options.getSince();
    this.until = options.getUntil();
    this.serverVersion = catalog.serverMajorVersion();
  }

  /**
   * Checks the run's options and each table's settings before any I/O: --since/--until need an
   * incremental column on at least one table (the tables without one are read whole).
   */
  static void check(ArchiveOptions options, Map<TableRef, TableSettings> settings) {
    boolean windowed = options.getSince() != null || options.getUntil() != null;
    if (windowed && settings.values().stream().allMatch(s -> s.incrementalColumn() == null)) {
      throw new UserError("--since/--until need --incrementalColumn");
    }
  }

  Planned plan(TableRef table, TableSettings settings) throws SQLException {
    Catalog.Relation rel = catalog.relation(table);
    List<Column> columns = catalog.columns(rel.oid());
    RangePlanner ranges = new RangePlanner(settings.maxRowsPerBundle());
    RangePlanner.Filter filter = filter(table, rel.oid(), settings);
    String key = keyColumn(table, rel.oid(), settings.partitionColumn());
    String strategy = RangePlanner.strategy(key != null, serverVersion, rel.kind());
    Split split =
        switch (strategy) {
          case RangePlanner.KEY -> keyRanges(ranges, table, rel.oid(), key, filter);
          case RangePlanner.CTID -> blockRanges(ranges, table, rel);
          default -> new Split(RangePlanner.whole(table), Math.max(0, rel.reltuples()));
        };
    TablePlan plan =
        new TablePlan(
            table,
            columns,
            strategy,
            RangePlanner.KEY.equals(strategy) ? key : null,
            filter.condition(),
            filter.parameters(),
            split.rows(),
            split.ranges().size(),
            parquet ? textFallbacks(table, columns) : Map.of());
    return new Planned(plan, split.ranges(), RangePlanner.rowBytes(rel.pages(), rel.reltuples()));
  }

  /**
   * The columns that Parquet must hold as their text form although their type has a Parquet type,
   * with the reason: asked of the snapshot in one scan of the table, and only when the table has a
   * column that could need it (a bounded numeric, which may hold NaN or infinity; an array, which
   * may have several dimensions or start elsewhere than 1).
   */
  private Map<String, String> textFallbacks(TableRef table, List<Column> columns)
      throws SQLException {
    Map<String, String> fallbacks = new java.util.LinkedHashMap<>();
    List<String> conditions = new ArrayList<>();
    List<String[]> reasons = new ArrayList<>();
    String infinite = serverVersion >= 14 ? ", 'Infinity', '-Infinity'" : "";
    for (Column c : columns) {
      PgType t = PgType.parse(c.type());
      String col = TableRef.quote(c.name());
      if (t.array() && c.elementDelimiter() != ',') {
        fallbacks.put(c.name(), "its elements are delimited by '" + c.elementDelimiter() + "'");
        continue;
      }
      if (t.array()) {
        conditions.add("array_ndims(" + col + ") > 1 OR array_lower(" + col + ", 1) <> 1");
        reasons.add(new String[] {c.name(), "holds arrays of several dimensions, or not from 1"});
      }
      if (t.kind() == PgType.Kind.NUMERIC && ParquetColumns.decimal(t)) {
        String special = "('NaN'" + infinite + ")";
        conditions.add(
            t.array()
                ? "EXISTS (SELECT 1 FROM unnest(" + col + ") e WHERE e IN " + special + ")"
                : col + " IN " + special);
        reasons.add(new String[] {c.name(), "holds NaN or infinity, which DECIMAL cannot"});
      }
    }
    if (!conditions.isEmpty()) {
      boolean[] any = catalog.anyRow(table, conditions);
      for (int i = 0; i < any.length; i++) {
        if (any[i]) {
          fallbacks.merge(reasons.get(i)[0], reasons.get(i)[1], (a, b) -> a + "; " + b);
        }
      }
    }
    return fallbacks;
  }

  /** The --partitionColumn, checked; else the first primary-key column if it can be ranged. */
  private String keyColumn(TableRef table, long oid, String partitionColumn) throws SQLException {
    if (partitionColumn == null) {
      String pk = catalog.primaryKeyColumn(oid);
      Catalog.ColumnType type = pk == null ? null : catalog.columnType(oid, pk);
      return type != null && RangePlanner.rangeable(type.baseOid()) ? pk : null;
    }
    Catalog.ColumnType type = catalog.columnType(oid, partitionColumn);
    if (type == null) {
      throw new UserError("--partitionColumn " + partitionColumn + " is not a column of " + table);
    }
    if (!RangePlanner.rangeable(type.baseOid())) {
      throw new UserError(
          "--partitionColumn "
              + partitionColumn
              + " of "
              + table
              + " has type "
              + type.name()
              + "; use an integer, numeric, date, timestamp, text, varchar or uuid column");
    }
    return partitionColumn;
  }

  /** The --where and --since/--until condition, with typed placeholders. */
  private RangePlanner.Filter filter(TableRef table, long oid, TableSettings settings)
      throws SQLException {
    String where = settings.where();
    String incrementalColumn = settings.incrementalColumn();
    if (incrementalColumn == null) {
      return RangePlanner.filter(where, null, null, null, null);
    }
    Catalog.ColumnType type = catalog.columnType(oid, incrementalColumn);
    if (type == null) {
      throw new UserError(
          "--incrementalColumn " + incrementalColumn + " is not a column of " + table);
    }
    checkBound("--since", since, type, table, incrementalColumn);
    checkBound("--until", until, type, table, incrementalColumn);
    return RangePlanner.filter(where, TableRef.quote(incrementalColumn), type.name(), since, until);
  }

  /**
   * A --since/--until value the column's type cannot read is bad input: one line and exit 2, not a
   * database error in the middle of planning. (The value is a bound parameter either way.)
   */
  private void checkBound(
      String option, String value, Catalog.ColumnType type, TableRef table, String column)
      throws SQLException {
    String error = value == null ? null : catalog.castError(value, type.name());
    if (error != null) {
      throw new UserError(
          option
              + " is not a valid "
              + type.name()
              + " for "
              + table
              + "."
              + column
              + " ("
              + error
              + ")");
    }
  }

  /** Exact quantile boundaries on {@code key}, asked for only when the table needs splitting. */
  private Split keyRanges(
      RangePlanner ranges, TableRef table, long oid, String key, RangePlanner.Filter filter)
      throws SQLException {
    String col = TableRef.quote(key);
    boolean filtered = filter.condition() != null;
    String from = " FROM " + table.quoted() + (filtered ? " WHERE " + filter.condition() : "");
    String type = catalog.columnType(oid, key).name();
    if (key.equals(catalog.primaryKeyColumn(oid))) {
      return primaryKeyRanges(ranges, table, col, type, from, filtered, filter.parameters());
    }
    Catalog.KeyCounts counts = catalog.keyCounts(col, from, filter.parameters());
    if (ranges.fitsOneRange(counts.total())) {
      return new Split(RangePlanner.whole(table), counts.total());
    }
    List<String> bounds =
        catalog.quantiles(col, from, filtered, filter.parameters(), ranges.step());
    return new Split(
        ranges.keyRanges(table, col, type, bounds, counts.total(), counts.nonNull()),
        counts.total());
  }

  /**
   * On the primary key (never NULL, always indexed) the bounds are stepped along its index, and
   * only the last range's rows are counted, never the whole table's: every range before it holds
   * one step (give or take the repeats of a composite key's first column), the last at most one. At
   * 4M rows that spares the launcher a count(*) of about 0.4 s before the first range query.
   */
  private Split primaryKeyRanges(
      RangePlanner ranges,
      TableRef table,
      String col,
      String type,
      String from,
      boolean filtered,
      List<String> params)
      throws SQLException {
    List<String> bounds =
        catalog.indexedQuantiles(col, type, from, filtered, params, ranges.step());
    if (bounds.isEmpty()) {
      return new Split(RangePlanner.whole(table), catalog.keyCounts(col, from, params).total());
    }
    List<String> lastParams = new ArrayList<>(params);
    lastParams.add(bounds.get(bounds.size() - 1));
    String last = from + (filtered ? " AND " : " WHERE ") + col + " >= CAST(? AS " + type + ")";
    long rows = bounds.size() * ranges.step() + catalog.keyCounts(col, last, lastParams).total();
    return new Split(ranges.keyRanges(table, col, type, bounds, rows, rows), rows);
  }

  /** Block ranges, counting the rows first when the statistics can't be trusted. */
  private Split blockRanges(RangePlanner ranges, TableRef table, Catalog.Relation rel)
      throws SQLException {
    long rows = rel.reltuples();
    if (RangePlanner.statsStale(rel.reltuples(), rel.relpages(), rel.pages()) && rel.pages() > 0) {
      rows = catalog.countRows(table);
    }
    rows = Math.max(rows, 0);
    return new Split(ranges.blockRanges(table, rel.pages(), rows), rows);
  }
}
