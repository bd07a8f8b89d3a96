package dev.hose.archive;

import java.io.Serializable;
import java.util.List;

/**
 * One bounded bundle: the rows of one table that one query reads into one shard. This, not a row,
 * is the pipeline element, so no runner ever holds more than a range's description in memory.
 *
 * @param predicate SQL condition with {@code ?} placeholders (identifiers already quoted)
 * @param parameters text values bound to the placeholders, in order
 */
public record ExportRange(
    TableRef table, int shard, int shardCount, String predicate, List<String> parameters)
    implements Serializable {
  public ExportRange {
    parameters = List.copyOf(parameters);
  }
}
