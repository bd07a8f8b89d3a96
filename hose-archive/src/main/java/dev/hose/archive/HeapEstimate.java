package dev.hose.archive;

/**
 * The heap an archive worker needs, by the formula in the README: a fixed part (JVM, Beam, the JDBC
 * and S3 clients) plus, per open writer, its fetched rows about three times over (the driver's
 * bytes, their decoding, the JSON on its way out), its S3 upload buffer and the compressor's queued
 * chunks, or for Parquet the row group it buffers. It is an estimate to warn by, on the safe side:
 * the tests measure the live heap well below it.
 *
 * @param writers ranges exported at once in one JVM
 * @param fetchBytes bytes of rows one round trip fetches
 * @param uploadBufferBytes the S3 upload buffer per writer (0 for a local output)
 * @param rowGroupBytes the Parquet row group per writer (0 for JSON lines)
 */
record HeapEstimate(int writers, long fetchBytes, long uploadBufferBytes, long rowGroupBytes) {
  static final long FIXED_BYTES = 60L << 20;

  /** The compressor's queued chunks, and libdeflate's compressed copy of a 1 MiB block. */
  static final long CHUNK_BYTES = (512L << 10) + (1L << 20);

  /** Assumed when the table's statistics give no row size (a view, or never analyzed). */
  static final long DEFAULT_ROW_BYTES = 1024;

  /**
   * @param rowBytes the largest average row size of the tables (0: unknown)
   */
  static HeapEstimate of(
      int writers, int fetchSize, long fetchBufferBytes, long rowBytes, long uploadBufferBytes) {
    return of(writers, fetchSize, fetchBufferBytes, rowBytes, uploadBufferBytes, 0);
  }

  static HeapEstimate of(
      int writers,
      int fetchSize,
      long fetchBufferBytes,
      long rowBytes,
      long uploadBufferBytes,
      long rowGroupBytes) {
    long row = rowBytes > 0 ? rowBytes : DEFAULT_ROW_BYTES;
    long fetch = Math.min((long) fetchSize * row, Math.max(fetchBufferBytes, row));
    return new HeapEstimate(writers, fetch, uploadBufferBytes, rowGroupBytes);
  }

  long perWriterBytes() {
    return 3 * fetchBytes + uploadBufferBytes + (rowGroupBytes > 0 ? rowGroupBytes : CHUNK_BYTES);
  }

  long totalBytes() {
    return FIXED_BYTES + writers * perWriterBytes();
  }

  /** One line for the log, against this JVM's maximum heap. */
  String describe(long maxHeapBytes) {
    String parts =
        String.format(
            "%d MB fixed + %d writers x %.1f MB (%.1f MB of rows per fetch x 3, %.1f MB upload"
                + " buffer%s)",
            FIXED_BYTES >> 20,
            writers,
            mb(perWriterBytes()),
            mb(fetchBytes),
            mb(uploadBufferBytes),
            rowGroupBytes > 0
                ? String.format(", %.1f MB Parquet row group", mb(rowGroupBytes))
                : "");
    if (fitsIn(maxHeapBytes)) {
      return String.format(
          "memory: ~%d MB of heap estimated (%s); this JVM has %d MB",
          neededMb(), parts, maxHeapBytes >> 20);
    }
    return String.format(
        "memory: this JVM's heap (%d MB) is below the ~%d MB estimated for these options (%s):"
            + " raise -Xmx, or lower --exportThreads, --fetchSize, --fetchBufferBytes or"
            + " --s3UploadBufferSizeBytes (or --parquetRowGroupBytes)",
        maxHeapBytes >> 20, neededMb(), parts);
  }

  /** The estimate in whole MB, rounded up. */
  long neededMb() {
    return mbRoundedUp(totalBytes());
  }

  /** What the writers alone need, in whole MB rounded up (a Flink task slot's share). */
  long writersMb() {
    return mbRoundedUp(writers * perWriterBytes());
  }

  private static long mbRoundedUp(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }

  boolean fitsIn(long maxHeapBytes) {
    return maxHeapBytes >= totalBytes();
  }

  private static double mb(long bytes) {
    return bytes / (double) (1 << 20);
  }
}
