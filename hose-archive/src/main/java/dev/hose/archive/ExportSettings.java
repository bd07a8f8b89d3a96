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
    int statementTimeoutSeconds,
    int lockTimeoutSeconds,
    int readTimeoutSeconds,
    int exportThreads)
    implements Serializable {

  static ExportSettings of(ArchiveOptions options, String snapshotId, Standby standby) {
    ShardCodec codec = ShardCodec.ofOption(options.getCompression());
    return new ExportSettings(
        snapshotId,
        standby,
        options.getFetchSize(),
        options.getFetchBufferBytes(),
        codec == ShardCodec.ZSTD ? options.getZstdLevel() : options.getGzipLevel(),
        options.getStatementTimeoutSeconds(),
        options.getLockTimeoutSeconds(),
        options.getDbReadTimeoutSeconds(),
        options.getExportThreads());
  }

  /** Fails with one line when the codec is unknown or its level out of range (no I/O). */
  static void check(ArchiveOptions options) {
    ShardCodec codec = ShardCodec.ofOption(options.getCompression());
    if (codec == ShardCodec.ZSTD) {
      codec.checkLevel("--zstdLevel", options.getZstdLevel());
    } else {
      codec.checkLevel("--gzipLevel", options.getGzipLevel());
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
