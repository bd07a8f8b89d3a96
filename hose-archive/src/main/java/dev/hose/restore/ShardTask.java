package dev.hose.restore;

import dev.hose.archive.ArchiveManifest;
import java.io.Serializable;
import java.util.List;

/**
 * One shard to read, as a pipeline element: where it is, what its manifest says it holds, and the
 * columns its lines must have.
 *
 * @param table the table as {@code schema.table}, for messages and metrics
 */
record ShardTask(String table, String location, ArchiveManifest.Shard shard, List<String> columns)
    implements Serializable {
  static ShardTask of(ArchivedTable m, ArchiveManifest.Shard shard) {
    return new ShardTask(
        m.tableName(),
        m.location(shard),
        shard,
        m.columns().stream().map(ArchiveManifest.Column::name).toList());
  }
}
