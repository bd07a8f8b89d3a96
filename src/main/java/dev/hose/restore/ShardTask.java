package dev.hose.restore;

import java.io.Serializable;
import java.util.List;

/**
 * One shard to read, as a pipeline element: where it is, what its manifest says it holds, and the
 * columns its lines must have.
 *
 * @param table the table as {@code schema.table}, for messages and metrics
 */
record ShardTask(String table, String location, Manifest.Shard shard, List<String> columns)
    implements Serializable {
  static ShardTask of(Manifest m, Manifest.Shard shard) {
    return new ShardTask(
        m.tableName(),
        m.location(shard),
        shard,
        m.columns().stream().map(Manifest.ManifestColumn::name).toList());
  }
}
