package dev.hose.restore;

import dev.hose.archive.ArchiveManifest;
import dev.hose.archive.ShardCodec;
import java.io.Serializable;
import java.util.List;

/**
 * One shard to read, as a pipeline element: where it is, what its manifest says it holds, and the
 * columns its lines must have.
 *
 * @param table the table as {@code schema.table}, for messages and metrics
 * @param codec how the shard is compressed, as its manifest says
 */
record ShardTask(
    String table,
    String location,
    ShardCodec codec,
    ArchiveManifest.Shard shard,
    List<String> columns)
    implements Serializable {

  /** The shard's lines, as they stream in. */
  ShardStream open() throws java.io.IOException {
    return ShardStream.open(location, codec);
  }

  static ShardTask of(ArchivedTable m, ArchiveManifest.Shard shard) {
    return new ShardTask(
        m.tableName(),
        m.location(shard),
        m.manifest().codec(),
        shard,
        m.columns().stream().map(ArchiveManifest.Column::name).toList());
  }
}
