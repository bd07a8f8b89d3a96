package dev.hose.archive;

import java.io.Serializable;

/**
 * What writing one range produced: a complete temp shard and its figures. Only this small record
 * travels downstream, never a row.
 */
public record ShardResult(
    TableRef table,
    int shard,
    int shardCount,
    String tempPath,
    long rows,
    long jsonBytes,
    long compressedBytes,
    String sha256,
    boolean snapshotImported,
    long millis,
    long queryStartedAtMillis,
    long writtenAtMillis)
    implements Serializable {}
