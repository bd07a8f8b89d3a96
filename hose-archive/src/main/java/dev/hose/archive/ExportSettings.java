package dev.hose.archive;

import java.io.Serializable;

/**
 * How each range is read and written: the archive options that an {@link ExportRangeFn} needs on
 * the workers, and nothing else (no password, no other option).
 *
 * @param snapshotId the snapshot every range imports
 * @param standby whether that snapshot is on a hot standby, which explains its loss
 * @param fetchSize at most this many rows per round trip from the cursor
 * @param fetchBufferBytes and at most about this many bytes
 * @param compressionLevel the level of the run's codec ({@code --gzipLevel} or {@code --zstdLevel})
 * @param rowGroupBytes Parquet row groups close at about this size
 * @param statementTimeoutSeconds per range query, 0 for none
 * @param lockTimeoutSeconds how long a range waits for a locked table, 0 for ever
 * @param readTimeoutSeconds how long a range waits for the server's next answer, 0 for ever
 * @param exportThreads ranges one DoFn instance exports at once
 */
record ExportSettings(
    String snapshotId,
    Standby standby,
    int fetchSize,
    long fetchBufferBytes,
    int compressionLevel,
    long rowGroupBytes,
    int statementTimeoutSeconds,
    int lockTimeoutSeconds,
    int readTimeoutSeconds,
    int exportThreads)
    implements Serializable {

  static ExportSettings of(ArchiveOptions options, String snapshotId, Standby standby) {
    ShardCodec codec = codec(options);
    return new ExportSettings(
        snapshotId,
        standby,
        options.getFetchSize(),
        options.getFetchBufferBytes(),
        codec == ShardCodec.GZIP ? options.getGzipLevel() : options.getZstdLevel(),
        options.getParquetRowGroupBytes(),
        options.getStatementTimeoutSeconds(),
        options.getLockTimeoutSeconds(),
        options.getDbReadTimeoutSeconds(),
        options.getExportThreads());
  }

  /** The run's shard format and compression, from {@code --format} and {@code --compression}. */
  static ShardCodec codec(ArchiveOptions options) {
    return ShardCodec.ofOptions(options.getFormat(), options.getCompression());
  }

  /**
   * Fails with one line when the format or codec is unknown, or a level or size out of range (no
   * I/O).
   */
  static void check(ArchiveOptions options) {
    ShardCodec codec = codec(options);
    if (codec == ShardCodec.GZIP) {
      codec.checkLevel("--gzipLevel", options.getGzipLevel());
    } else {
      codec.checkLevel("--zstdLevel", options.getZstdLevel());
    }
    if (codec.parquet() && options.getParquetRowGroupBytes() < (1 << 20)) {
      throw new dev.hose.common.UserError(
          "--parquetRowGroupBytes must be at least 1048576 (1 MiB)");
    }
  }

  /**
   * The socket read timeout of a range's connection, in milliseconds (0: none): a silent network
   * otherwise leaves a fetch waiting forever while the job looks alive. A fetch holds at most
   * {@code fetchBufferBytes}, so {@code readTimeoutSeconds} bounds the wait for one; a statement
   * timeout, which the server enforces and reports, gets 30 s to arrive first.
   */
  int networkTimeoutMillis() {
    return networkTimeoutMillis(readTimeoutSeconds, statementTimeoutSeconds);
  }

  /** How long a new connection waits for its login: 30 s, or the read timeout if that is less. */
  static int loginTimeoutSeconds(int readTimeoutSeconds) {
    return readTimeoutSeconds > 0 ? Math.min(30, readTimeoutSeconds) : 30;
  }

  static int networkTimeoutMillis(int readTimeoutSeconds, int statementTimeoutSeconds) {
    if (readTimeoutSeconds <= 0) {
      return 0;
    }
    int seconds =
        statementTimeoutSeconds > 0
            ? Math.max(readTimeoutSeconds, statementTimeoutSeconds + 30)
            : readTimeoutSeconds;
    return (int) Math.min(Integer.MAX_VALUE, seconds * 1000L);
  }
}
