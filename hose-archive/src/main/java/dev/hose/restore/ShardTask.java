package dev.hose.restore;

import dev.hose.archive.ArchiveManifest;
import dev.hose.archive.ShardCodec;
import java.io.Serializable;
import java.util.List;

/**
 * One shard to read, as a pipeline element: where it is, what its manifest says it holds, and the
 * columns it must have.
 *
 * @param table the table as {@code schema.table}, for messages and metrics
 * @param codec how the shard is compressed, as its manifest says
 */
record ShardTask(
    String table,
    String location,
    ShardCodec codec,
    ArchiveManifest.Shard shard,
    List<ArchiveManifest.Column> columns)
    implements Serializable {

  /** The columns' names, in order. */
  List<String> columnNames() {
    return columns.stream().map(ArchiveManifest.Column::name).toList();
  }

  /** The shard's file name. */
  String name() {
    return location.substring(location.lastIndexOf('/') + 1);
  }

  /** The shard's lines, as they stream in (JSON lines only). */
  ShardStream open() throws java.io.IOException {
    return ShardStream.open(location, codec);
  }

  static ShardTask of(ArchivedTable m, ArchiveManifest.Shard shard) {
    return new ShardTask(
        m.tableName(), m.location(shard), m.manifest().codec(), shard, m.columns());
  }
}
