package dev.hose.archive;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hose.common.Errors;
import dev.hose.common.Json;
import dev.hose.common.UserError;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How one table is read: the options that may differ between the tables of one run. The run's
 * {@code --partitionColumn}, {@code --incrementalColumn}, {@code --where} and {@code
 * --maxRowsPerBundle} apply to every table; {@code --tableOptions} overrides them per table, so
 * that tables with different keys and windows share one run and one snapshot.
 *
 * @param partitionColumn the column to split on, or null for the primary key (else ctid ranges)
 * @param incrementalColumn the column {@code --since/--until} bound, or null for every row
 * @param where an extra condition, or null
 */
record TableSettings(
    String partitionColumn, String incrementalColumn, String where, long maxRowsPerBundle) {
  private static final Set<String> KEYS =
      Set.of("partitionColumn", "incrementalColumn", "where", "maxRowsPerBundle");

  TableSettings {
    if (maxRowsPerBundle < 1) {
      throw new UserError("--maxRowsPerBundle must be at least 1");
    }
    partitionColumn =
        partitionColumn == null ? null : TableRef.identifier(partitionColumn, "--partitionColumn");
    incrementalColumn =
        incrementalColumn == null
            ? null
            : TableRef.identifier(incrementalColumn, "--incrementalColumn");
    where = WhereCheck.check(where);
  }

  /** The run's own options, for every table that {@code --tableOptions} does not name. */
  static TableSettings defaults(ArchiveOptions options) {
    return new TableSettings(
        options.getPartitionColumn(),
        options.getIncrementalColumn(),
        options.getWhere(),
        options.getMaxRowsPerBundle());
  }

  /**
   * Each table's settings: {@code --tableOptions}, a JSON object keyed by tables as {@code
   * --tables} spells them ({@code {"sales.\"Order Items\"": {"partitionColumn": "id"}}}), over the
   * run's defaults. A key that is not a table of the run, or an unknown setting, is bad input.
   */
  static Map<TableRef, TableSettings> of(ArchiveOptions options, List<TableRef> tables) {
    TableSettings defaults = defaults(options);
    Map<TableRef, TableSettings> settings = new LinkedHashMap<>();
    tables.forEach(t -> settings.put(t, defaults));
    String json = options.getTableOptions();
    if (json == null || json.isBlank()) {
      return settings;
    }
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new UserError("--tableOptions is not JSON: " + Errors.oneLine(e.getMessage()));
    }
    if (root == null || !root.isObject()) {
      throw new UserError("--tableOptions must be a JSON object keyed by table");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      TableRef table = TableRef.parse(entry.getKey());
      if (!settings.containsKey(table)) {
        throw new UserError(
            "--tableOptions names " + entry.getKey() + ", which --tables does not list");
      }
      settings.put(table, defaults.with(entry.getKey(), entry.getValue()));
    }
    return settings;
  }

  private TableSettings with(String table, JsonNode overrides) {
    if (!overrides.isObject()) {
      throw new UserError("--tableOptions for " + table + " must be a JSON object");
    }
    overrides
        .fieldNames()
        .forEachRemaining(
            k -> {
              if (!KEYS.contains(k)) {
                throw new UserError(
                    "--tableOptions for "
                        + table
                        + ": unknown setting "
                        + k
                        + " (known: incrementalColumn, maxRowsPerBundle, partitionColumn, where)");
              }
            });
    String rows = text(overrides, "maxRowsPerBundle", String.valueOf(maxRowsPerBundle));
    if (rows == null || !rows.matches("\\d{1,18}")) {
      throw new UserError("--tableOptions for " + table + ": maxRowsPerBundle must be a number");
    }
    return new TableSettings(
        text(overrides, "partitionColumn", partitionColumn),
        text(overrides, "incrementalColumn", incrementalColumn),
        text(overrides, "where", where),
        Long.parseLong(rows));
  }

  private static String text(JsonNode node, String key, String fallback) {
    JsonNode value = node.get(key);
    return value == null ? fallback : value.isNull() ? null : value.asText();
  }
}
