package dev.hose.archive;

import dev.hose.common.BundleThreads;
import dev.hose.common.Errors;
import dev.hose.common.Retry;
import dev.hose.common.S3Uploads;
import dev.hose.common.WorkerDoFn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.nio.channels.WritableByteChannel;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.fs.CreateOptions.StandardCreateOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one range from a server-side cursor, through the serializer and gzip, into a temp shard,
 * and outputs only the shard's figures. At most {@code settings.fetchSize()} rows, and about {@code
 * settings.fetchBufferBytes()} of them, per range are in memory. A failure removes the partial temp
 * object (aborting its multipart upload) before it propagates, so the runner's retry starts clean.
 *
 * <p>Up to {@code settings.exportThreads()} ranges of a bundle are exported at once on this
 * instance's own threads; results are emitted when the bundle finishes. This lets DirectRunner run
 * with one worker thread, whose driver otherwise spins on a core for the whole run.
 *
 * <p>Over 350 lines on purpose: the cursor, the retry of a lost connection and the removal of a
 * failed attempt's temp shard share one range's state; split, the cleanup on every exit is no
 * longer visible in one place.
 */
final class ExportRangeFn extends WorkerDoFn<ExportRange, ShardResult> {
  private static final Logger LOG = LoggerFactory.getLogger(ExportRangeFn.class);
  private static final int PROGRESS_EVERY_ROWS = 10_000;
  private static final int MAX_ATTEMPTS = 3;
  private static final int DISCARD_ATTEMPTS = 8;
  private static final long RETRY_PAUSE_MS = 1_000;

  private final JdbcIO.DataSourceConfiguration source;
  private final Map<TableRef, TablePlan> plans;
  private final ArchiveFiles files;
  private final ExportSettings settings;

  private final Counter rowsCounter = Metrics.counter(ExportRangeFn.class, "rows");
  private final Counter jsonBytesCounter = Metrics.counter(ExportRangeFn.class, "jsonBytes");
  private final Counter gzipBytesCounter = Metrics.counter(ExportRangeFn.class, "gzipBytes");
  private final Counter rangesCounter = Metrics.counter(ExportRangeFn.class, "ranges");

  /**
   * Wall-clock milliseconds when range queries start and shards end, for the run's fixed costs
   * (updated on the bundle's thread, as Beam's metrics must be).
   */
  static final String QUERY_STARTED_MILLIS = "rangeQueryStartedMillis";

  static final String SHARD_WRITTEN_MILLIS = "shardWrittenMillis";

  private final Distribution queryStarted =
      Metrics.distribution(ExportRangeFn.class, QUERY_STARTED_MILLIS);
  private final Distribution shardWritten =
      Metrics.distribution(ExportRangeFn.class, SHARD_WRITTEN_MILLIS);

  private transient DataSource dataSource;
  private transient BundleThreads<ShardResult> threads;

  ExportRangeFn(
      JdbcIO.DataSourceConfiguration source,
      Map<TableRef, TablePlan> plans,
      ArchiveFiles files,
      ExportSettings settings) {
    this.source = source;
    this.plans = plans;
    this.files = files;
    this.settings = settings;
  }

  @Override
  protected void setUp(PipelineOptions options) {
    // One pool per worker JVM for the job's ranges, as JdbcIO's cache had it, but closed with
    // the last of them (JdbcIO's is never closed, and its connections outlive the job).
    dataSource =
        resources().shared("archive source", () -> new Pool(source.buildDatasource())).dataSource();
    threads = new BundleThreads<>("hose-export", settings.exportThreads());
  }

  @ProcessElement
  public void process(@Element ExportRange range, PipelineOptions options) throws Exception {
    threads.submit(
        () -> {
          try {
            return export(range, options);
          } catch (SQLException e) {
            throw Standby.explain(e, settings.standby().inRecovery());
          }
        });
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext context) throws Exception {
    threads.finish(
        r -> {
          rowsCounter.inc(r.rows());
          jsonBytesCounter.inc(r.jsonBytes());
          gzipBytesCounter.inc(r.compressedBytes());
          rangesCounter.inc();
          queryStarted.update(r.queryStartedAtMillis());
          shardWritten.update(r.writtenAtMillis());
          context.output(r, BoundedWindow.TIMESTAMP_MIN_VALUE, GlobalWindow.INSTANCE);
        });
  }

  @Override
  protected void tearDown() {
    if (threads != null) {
      threads.close();
    }
  }

  /** A worker JVM's connection pool; closing it closes its connections. */
  private record Pool(DataSource dataSource) implements AutoCloseable {
    @Override
    public void close() throws Exception {
      if (dataSource instanceof AutoCloseable closeable) {
        closeable.close();
      }
    }
  }

  /**
   * Exports a range, retrying it from the start on a new connection when the connection was lost
   * (killed backend, network, database restart) or a fetch outgrew {@code maxResultBuffer}. Every
   * attempt re-imports the run's snapshot, so a retry reads the same rows or fails. Not {@link
   * dev.hose.common.Retry}: which failures are retried, how the next attempt fetches and how the
   * last failure reads all depend on the failure.
   */
  private ShardResult export(ExportRange range, PipelineOptions options) throws Exception {
    boolean oneRowFetches = false;
    for (int attempt = 1; ; attempt++) {
      try {
        return exportOnce(range, options, oneRowFetches);
      } catch (SQLException | UncheckedIOException | IOException e) {
        SQLException sql = Errors.find(e, SQLException.class);
        boolean tooLarge =
            sql != null && String.valueOf(sql.getMessage()).contains("maxResultBuffer");
        boolean silent = silent(e, sql);
        if (attempt >= MAX_ATTEMPTS || !(tooLarge || connectionLost(sql))) {
          if (sql == null) {
            throw storageFailure(range, e);
          }
          throw silent
              ? silentDatabase(range, attempt, sql)
              : SourceSession.explain(
                  sql,
                  range.table(),
                  settings.statementTimeoutSeconds(),
                  settings.lockTimeoutSeconds());
        }
        oneRowFetches |= tooLarge;
        LOG.warn(
            "{} {}: attempt {} of {} failed ({}); retrying on a new connection{}",
            range.table(),
            files.shardName(range),
            attempt,
            MAX_ATTEMPTS,
            silent
                ? "the database did not answer for " + settings.networkTimeoutMillis() / 1000 + " s"
                : String.valueOf(sql.getMessage()).lines().findFirst().orElse(""),
            tooLarge ? ", one row per round trip" : "");
        Thread.sleep(RETRY_PAUSE_MS * attempt);
      }
    }
  }

  /**
   * A failure to write the shard as one line that says where (the root cause alone reads e.g.
   * "ConnectException: Connection refused"); the original stays attached as suppressed.
   */
  private IOException storageFailure(ExportRange range, Exception e) {
    IOException io =
        new IOException(
            range.table()
                + " "
                + files.shardName(range)
                + ": writing the shard under "
                + files.output()
                + " failed: "
                + Errors.rootMessage(e));
    io.addSuppressed(e);
    return io;
  }

  /**
   * Bounds every wait for the server on this connection: without it, a network that drops packets
   * without a reset leaves the read waiting forever (TCP keepalive takes hours to notice).
   */
  private java.sql.Connection withNetworkTimeout(java.sql.Connection c) throws SQLException {
    c.setNetworkTimeout(Runnable::run, settings.networkTimeoutMillis());
    return c;
  }

  /** A read that timed out, or a connection whose login got no answer. */
  private static boolean silent(Exception e, SQLException sql) {
    return Errors.find(e, SocketTimeoutException.class) != null
        || (sql != null
            && "08001".equals(sql.getSQLState())
            && String.valueOf(sql.getMessage()).contains("timed out"));
  }

  /** Every attempt's connection went silent: one line that names the bound and what to check. */
  private SQLException silentDatabase(ExportRange range, int attempts, SQLException cause) {
    return new SQLException(
        range.table()
            + " "
            + files.shardName(range)
            + ": the database stopped answering (no reply for "
            + settings.networkTimeoutMillis() / 1000
            + " s, --dbReadTimeoutSeconds) on "
            + attempts
            + (attempts == 1 ? " connection" : " connections in a row")
            + "; check the network to the database, or raise --dbReadTimeoutSeconds for slow"
            + " fetches",
        "08006",
        cause);
  }

  /**
   * SQLState class 08 (connection exception) and 57P01-57P03 (server shutting down or starting).
   */
  static boolean connectionLost(SQLException e) {
    if (e == null || e instanceof SourceSession.SnapshotGoneException) {
      return false;
    }
    String state = e.getSQLState();
    return state != null
        && (state.startsWith("08")
            || state.equals("57P01")
            || state.equals("57P02")
            || state.equals("57P03"));
  }

  private ShardResult exportOnce(ExportRange range, PipelineOptions options, boolean oneRowFetches)
      throws Exception {
    TablePlan plan = plans.get(range.table());
    RangeProgress progress = new RangeProgress(ArchiveProgress.of(files.runId(), plan));
    ResourceId temp = files.tempShard(range, UUID.randomUUID().toString().substring(0, 8));
    long start = System.nanoTime();
    ShardOutput shard = null;
    boolean committed = false;
    try (SourceSession session =
            SourceSession.begin(
                dataSource,
                settings.snapshotId(),
                settings.statementTimeoutSeconds(),
                settings.lockTimeoutSeconds());
        PreparedStatement query = rangeQuery(session, plan, range)) {
      shard = openShard(temp, range, plan);
      long queryStartedAt = System.currentTimeMillis();
      long rows;
      try (ResultSet rs = query.executeQuery()) {
        rows = copyRows(rs, shard, oneRowFetches, progress);
      }
      shard.finish();
      long writtenAt = System.currentTimeMillis();
      committed = true;
      progress.rangeDone(rows, shard.rawBytes());
      return new ShardResult(
          range.table(),
          range.shard(),
          range.shardCount(),
          temp.toString(),
          rows,
          shard.rawBytes(),
          shard.compressedBytes(),
          shard.sha256Hex(),
          session.snapshotImported(),
          (System.nanoTime() - start) / 1_000_000,
          queryStartedAt,
          writtenAt);
    } catch (Throwable t) {
      if (!committed) {
        progress.forget(); // the retry counts this attempt's rows again
        if (shard != null) {
          shard.discard();
        }
      }
      discardTemp(temp, options);
      throw t;
    }
  }

  /** The range's temp shard, compressed as it is written: JSON lines or Parquet. */
  private ShardOutput openShard(ResourceId temp, ExportRange range, TablePlan plan)
      throws IOException {
    ShardCodec codec = files.codec();
    WritableByteChannel channel =
        FileSystems.create(
            temp, StandardCreateOptions.builder().setMimeType(codec.mimeType()).build());
    try {
      return codec.parquet()
          ? new ParquetShardWriter(
              channel,
              codec,
              settings.compressionLevel(),
              settings.rowGroupBytes(),
              plan.archivedColumns())
          : new ShardWriter(
              channel,
              codec,
              settings.compressionLevel(),
              plan.columns(),
              range.table() + " " + files.shardName(range));
    } catch (IOException | RuntimeException e) {
      channel.close(); // nothing was written: the temp object is removed with the attempt
      throw e;
    }
  }

  /** The range's query on a forward-only cursor, with its parameters bound. */
  private PreparedStatement rangeQuery(SourceSession session, TablePlan plan, ExportRange range)
      throws SQLException {
    PreparedStatement ps =
        withNetworkTimeout(session.connection())
            .prepareStatement(
                plan.selectSql(range), ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
    try {
      List<String> params = plan.selectParameters(range);
      for (int i = 0; i < params.size(); i++) {
        ps.setString(i + 1, params.get(i));
      }
      ps.setFetchSize(1); // the first round trip: one row, to learn a row's size
      return ps;
    } catch (SQLException | RuntimeException e) {
      ps.close();
      throw e;
    }
  }

  /** Streams the cursor's rows into the shard; returns how many. */
  private long copyRows(
      ResultSet rs, ShardOutput shard, boolean oneRowFetches, RangeProgress progress)
      throws Exception {
    FetchSizer fetch = new FetchSizer(oneRowFetches);
    long rows = 0;
    while (rs.next()) {
      long rowBytes;
      try {
        rowBytes = shard.writeRow(rs);
      } catch (ParquetShardWriter.ReadFailed e) {
        throw (SQLException) e.getCause();
      }
      fetch.sawRow(rs, rowBytes);
      if (++rows % PROGRESS_EVERY_ROWS == 0) {
        progress.report(rows, shard.rawBytes());
      }
    }
    return rows;
  }

  /**
   * After the first row, each round trip fetches as many rows as {@code fetchBufferBytes} holds of
   * the largest row seen so far (at most {@code fetchSize}), so huge values are never fetched in
   * thousands.
   */
  private final class FetchSizer {
    private final boolean oneRow;
    private long largestRow = 1;
    private int current = 1;
    private boolean first = true;

    FetchSizer(boolean oneRow) {
      this.oneRow = oneRow;
    }

    void sawRow(ResultSet rs, long rowBytes) throws SQLException {
      if (!first && rowBytes <= largestRow) {
        return;
      }
      first = false;
      largestRow = Math.max(largestRow, rowBytes);
      int fetch =
          oneRow
              ? 1
              : (int)
                  Math.max(
                      1, Math.min(settings.fetchSize(), settings.fetchBufferBytes() / largestRow));
      if (fetch != current) {
        rs.setFetchSize(fetch);
        current = fetch;
      }
    }
  }

  /** One attempt's share of the table's progress: reported as it goes, taken back if it fails. */
  private static final class RangeProgress {
    private final ArchiveProgress table;
    private long reportedRows;
    private long reportedBytes;

    RangeProgress(ArchiveProgress table) {
      this.table = table;
    }

    void report(long rows, long jsonBytes) {
      table.addRows(rows - reportedRows, jsonBytes - reportedBytes);
      reportedRows = rows;
      reportedBytes = jsonBytes;
    }

    void rangeDone(long rows, long jsonBytes) {
      report(rows, jsonBytes);
      table.rangeDone();
    }

    void forget() {
      table.addRows(-reportedRows, -reportedBytes);
      reportedRows = 0;
      reportedBytes = 0;
    }
  }

  /**
   * Removes a partial temp shard: the object if it got committed, the upload if it did not. Tries
   * for about half a minute, so an S3 endpoint that comes back soon gets its upload aborted; the
   * launcher's cleanup after a failed run (and the next run) catch what is left.
   */
  private void discardTemp(ResourceId temp, PipelineOptions options) {
    Retry.bestEffort(
            DISCARD_ATTEMPTS,
            RETRY_PAUSE_MS,
            () -> {
              ArchiveFiles.delete(List.of(temp));
              if (files.isS3()) {
                S3Uploads.Location at = S3Uploads.location(temp.toString());
                S3Uploads.abortUnder(options.as(S3Options.class), at.bucket(), at.key());
              }
            })
        .ifPresent(e -> LOG.warn("could not remove temp shard {}: {}", temp, e.toString()));
  }
}
