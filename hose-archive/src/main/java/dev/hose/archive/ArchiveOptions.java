package dev.hose.archive;

import dev.hose.common.HoseOptions;
import dev.hose.common.JdbcOptions;
import dev.hose.common.OutputClaimOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Options of {@code hose archive}: PostgreSQL tables to compressed JSON-lines shards. */
public interface ArchiveOptions extends HoseOptions, JdbcOptions, OutputClaimOptions {
  @Description(
      "Comma-separated tables: schema.table as the catalog spells it, or quoted as in psql"
          + " (sales.\"Order Items\"); the schema defaults to public.")
  @Validation.Required
  String getTables();

  void setTables(String value);

  @Description(
      "Per-table settings over the run's own, as a JSON object keyed by tables as --tables spells"
          + " them: {\"public.orders\": {\"partitionColumn\": \"id\", \"incrementalColumn\":"
          + " \"created_at\", \"where\": \"...\", \"maxRowsPerBundle\": 50000}}. --since/--until"
          + " bound only the tables that have an incrementalColumn; the others are read whole.")
  String getTableOptions();

  void setTableOptions(String value);

  @Description(
      "Write a JSON summary of the committed run to this local file: the run id, the snapshot,"
          + " and for each table (in --tables order, with its spelling there) the directory,"
          + " manifest, rows and shards hose wrote. Written only when the run commits.")
  String getSummaryFile();

  void setSummaryFile(String value);

  @Description(
      "Output prefix: s3://bucket/prefix/ or a local directory; each table goes to"
          + " <output>/<schema>.<table>/. With {table} in it, that names each table's directory"
          + " instead, for layouts that query engines partition on:"
          + " s3://lake/raw/{table}/dt=2026-11-24/.")
  @Validation.Required
  String getOutput();

  void setOutput(String value);

  @Description(
      "Column to split tables on (integer, numeric, date, timestamp, text, varchar or uuid)."
          + " Default: the primary key, else physical block (ctid) ranges.")
  String getPartitionColumn();

  void setPartitionColumn(String value);

  @Description("Upper bound of rows in one bundle (one shard).")
  @Default.Long(100_000L)
  long getMaxRowsPerBundle();

  void setMaxRowsPerBundle(long value);

  @Description("Rows fetched per round trip from the server-side cursor.")
  @Default.Integer(2_000)
  int getFetchSize();

  void setFetchSize(int value);

  @Description("Extra SQL condition applied to every table (read-only transaction).")
  String getWhere();

  void setWhere(String value);

  @Description("Column for --since/--until (an incremental window, e.g. updated_at).")
  String getIncrementalColumn();

  void setIncrementalColumn(String value);

  @Description("Export rows with incrementalColumn >= this value.")
  String getSince();

  void setSince(String value);

  @Description("Export rows with incrementalColumn < this value.")
  String getUntil();

  void setUntil(String value);

  @Description("Replace a table's output that already holds a manifest.")
  @Default.Boolean(false)
  boolean getOverwrite();

  void setOverwrite(boolean value);

  @Description("Only remove temp objects and partial shards left by earlier runs, then exit.")
  @Default.Boolean(false)
  boolean getCleanup();

  void setCleanup(boolean value);

  @Description(
      "Shard format: jsonl (one JSON object per line, part-….jsonl.gz) or parquet (part-….parquet,"
          + " typed columns that query engines read without guessing; docs/reading.md).")
  @Default.String("jsonl")
  String getFormat();

  void setFormat(String value);

  @Description(
      "How shards are compressed. JSON lines: gzip (the default; every reader knows it) or zstd"
          + " (part-….jsonl.zst: faster, and smaller at its default level). Parquet: zstd (the"
          + " default) or snappy.")
  String getCompression();

  void setCompression(String value);

  @Description(
      "Parquet row groups close at about this many bytes, so memory stays flat whatever the"
          + " table's size or row width (each export thread holds one row group).")
  @Default.Long(16L << 20)
  long getParquetRowGroupBytes();

  void setParquetRowGroupBytes(long value);

  @Description("gzip level, 1 (fastest) to 9 (smallest), with --compression=gzip.")
  @Default.Integer(6)
  int getGzipLevel();

  void setGzipLevel(int value);

  @Description("zstd level, 1 (fastest) to 19 (smallest), for zstd JSON lines and Parquet.")
  @Default.Integer(3)
  int getZstdLevel();

  void setZstdLevel(int value);

  @Description("Statement timeout for each range query, in seconds (0: none).")
  @Default.Integer(0)
  int getStatementTimeoutSeconds();

  void setStatementTimeoutSeconds(int value);

  @Description(
      "Lock timeout in seconds for planning and each range query: a table locked by another"
          + " session (e.g. ALTER TABLE, VACUUM FULL) fails the run after this wait (0: wait"
          + " forever).")
  @Default.Integer(60)
  int getLockTimeoutSeconds();

  void setLockTimeoutSeconds(int value);

  @Description(
      "How long a range waits for the database's next answer (a fetch of at most"
          + " --fetchBufferBytes) before its connection counts as lost and the range is retried on"
          + " a new connection on the same snapshot; at least --statementTimeoutSeconds + 30 (0:"
          + " wait forever). Catches a network that drops packets without closing the"
          + " connection.")
  @Default.Integer(120)
  int getDbReadTimeoutSeconds();

  void setDbReadTimeoutSeconds(int value);

  @Description(
      "Bytes of rows per round trip from the server-side cursor: the fetch size shrinks below"
          + " --fetchSize so that this many bytes of the largest row seen so far fit.")
  @Default.Long(16L << 20)
  long getFetchBufferBytes();

  void setFetchBufferBytes(long value);

  @Description(
      "Ranges each worker exports at once (each holds a cursor, a gzip stream and an upload"
          + " buffer).")
  @Default.Integer(2)
  int getExportThreads();

  void setExportThreads(int value);
}
