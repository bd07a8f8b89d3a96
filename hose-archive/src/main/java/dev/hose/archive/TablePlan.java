package dev.hose.archive;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * What the planner decided for one table: its columns, how it is split, the filter every range
 * applies, and the estimated row count (for progress).
 *
 * @param strategy {@code key} (ranges of a column), {@code ctid} (block ranges) or {@code whole}
 * @param partitionColumn the key column, or null
 * @param filter SQL condition with {@code ?} placeholders every range adds, or null
 * @param filterParameters values for the filter's placeholders
 * @param textFallbacks for Parquet: columns written as their text form although their type has a
 *     Parquet type, each with the reason (see {@link ArchiveManifest.Column#fallback})
 */
public record TablePlan(
    TableRef table,
    List<Column> columns,
    String strategy,
    String partitionColumn,
    String filter,
    List<String> filterParameters,
    long estimatedRows,
    int shardCount,
    Map<String, String> textFallbacks)
    implements Serializable {
  public TablePlan {
    columns = List.copyOf(columns);
    filterParameters = List.copyOf(filterParameters);
    textFallbacks = Map.copyOf(textFallbacks);
  }

  /** The columns as the manifest records them. */
  public List<ArchiveManifest.Column> archivedColumns() {
    return columns.stream()
        .map(
            c ->
                new ArchiveManifest.Column(
                    c.name(), c.type(), !c.notNull(), textFallbacks.get(c.name())))
        .toList();
  }

  /** The SELECT that reads one range (columns quoted, in table order). */
  public String selectSql(ExportRange range) {
    StringBuilder sql = new StringBuilder("SELECT ");
    if (columns.isEmpty()) {
      sql.append("1");
    }
    for (int i = 0; i < columns.size(); i++) {
      sql.append(i == 0 ? "" : ", ").append(TableRef.quote(columns.get(i).name()));
    }
    sql.append(" FROM ").append(table.quoted()).append(" WHERE (").append(range.predicate());
    sql.append(")");
    if (filter != null) {
      sql.append(" AND ").append(filter);
    }
    return sql.toString();
  }

  /** Parameters of {@link #selectSql}: the range's, then the filter's. */
  public List<String> selectParameters(ExportRange range) {
    List<String> all = new java.util.ArrayList<>(range.parameters());
    all.addAll(filterParameters);
    return all;
  }
}
