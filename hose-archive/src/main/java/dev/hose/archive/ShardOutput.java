package dev.hose.archive;

import java.io.IOException;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * One temp shard being written from a range's cursor: JSON lines ({@link ShardWriter}) or Parquet
 * ({@link ParquetShardWriter}). Nothing is committed until {@link #finish}; {@link #discard} leaves
 * the channel unclosed, so a failed attempt never becomes an object.
 */
interface ShardOutput {
  /**
   * Writes the cursor's current row; returns its size in the shard's raw form (JSON bytes, or the
   * values' text bytes for Parquet), which sizes the next fetches.
   */
  long writeRow(ResultSet rs) throws SQLException, IOException;

  /** Ends the shard and closes the channel, which commits the upload. */
  void finish() throws IOException;

  /** Stops without committing anything and frees native compressors. */
  void discard();

  /** Bytes of the rows before compression: JSON, or for Parquet the values' text form. */
  long rawBytes();

  /** Bytes written to the channel. */
  long compressedBytes();

  /** The sha256 of the bytes written, in hex (once, after {@link #finish}). */
  String sha256Hex();
}
