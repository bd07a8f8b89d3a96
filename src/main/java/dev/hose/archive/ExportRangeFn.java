package dev.hose.archive;

import dev.hose.common.S3Uploads;
import java.io.IOException;
import java.io.Writer;
import java.nio.channels.WritableByteChannel;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one range from a server-side cursor, through the serializer and gzip, into a temp shard,
 * and outputs only the shard's figures. At most {@code fetchSize} rows are in memory at once. A
 * failure removes the partial temp object (aborting its multipart upload) before it propagates, so
 * the runner's retry starts clean.
 */
final class ExportRangeFn extends DoFn<ExportRange, ShardResult> {
  private static final Logger LOG = LoggerFactory.getLogger(ExportRangeFn.class);
  private static final int PROGRESS_EVERY_ROWS = 10_000;

  private final JdbcIO.DataSourceConfiguration source;
  private final Map<TableRef, TablePlan> plans;
  private final ArchiveFiles files;
  private final String snapshotId;
  private final int fetchSize;
  private final int gzipLevel;
  private final int statementTimeoutSeconds;

  private final Counter rowsCounter = Metrics.counter(ExportRangeFn.class, "rows");
  private final Counter jsonBytesCounter = Metrics.counter(ExportRangeFn.class, "jsonBytes");
  private final Counter gzipBytesCounter = Metrics.counter(ExportRangeFn.class, "gzipBytes");
  private final Counter rangesCounter = Metrics.counter(ExportRangeFn.class, "ranges");

  private transient DataSource dataSource;

  ExportRangeFn(
      JdbcIO.DataSourceConfiguration source,
      Map<TableRef, TablePlan> plans,
      ArchiveFiles files,
      String snapshotId,
      int fetchSize,
      int gzipLevel,
      int statementTimeoutSeconds) {
    this.source = source;
    this.plans = plans;
    this.files = files;
    this.snapshotId = snapshotId;
    this.fetchSize = fetchSize;
    this.gzipLevel = gzipLevel;
    this.statementTimeoutSeconds = statementTimeoutSeconds;
  }

  @Setup
  public void setup() {
    dataSource = JdbcIO.DataSourceProviderFromDataSourceConfiguration.of(source).apply(null);
  }

  @ProcessElement
  public void process(
      @Element ExportRange range, OutputReceiver<ShardResult> out, PipelineOptions options)
      throws Exception {
    TablePlan plan = plans.get(range.table());
    ArchiveProgress progress = ArchiveProgress.of(plan);
    RowJsonWriter json = new RowJsonWriter(plan.columns());
    ResourceId temp = files.tempShard(range, UUID.randomUUID().toString().substring(0, 8));
    long start = System.nanoTime();
    ShardWriter shard = null;
    boolean committed = false;
    try (SourceSession session =
            SourceSession.begin(dataSource, snapshotId, statementTimeoutSeconds);
        PreparedStatement ps =
            session
                .connection()
                .prepareStatement(
                    plan.selectSql(range), ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
      if (snapshotId != null && !session.snapshotImported()) {
        LOG.warn(
            "{} {}: the launcher's snapshot {} is gone; this range reads its own snapshot",
            range.table(),
            range.shardName(),
            snapshotId);
      }
      List<String> params = plan.selectParameters(range);
      for (int i = 0; i < params.size(); i++) {
        ps.setString(i + 1, params.get(i));
      }
      ps.setFetchSize(fetchSize);
      WritableByteChannel channel =
          FileSystems.create(
              temp, StandardCreateOptions.builder().setMimeType("application/gzip").build());
      shard = new ShardWriter(channel, gzipLevel);
      Writer text = shard.text();
      long rows = 0;
      long reportedRows = 0;
      long reportedBytes = 0;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          json.write(rs, text);
          if (++rows % PROGRESS_EVERY_ROWS == 0) {
            text.flush();
            progress.addRows(rows - reportedRows, shard.jsonBytes() - reportedBytes);
            reportedRows = rows;
            reportedBytes = shard.jsonBytes();
          }
        }
      }
      shard.finish();
      committed = true;
      progress.addRows(rows - reportedRows, shard.jsonBytes() - reportedBytes);
      progress.rangeDone();
      rowsCounter.inc(rows);
      jsonBytesCounter.inc(shard.jsonBytes());
      gzipBytesCounter.inc(shard.compressedBytes());
      rangesCounter.inc();
      out.output(
          new ShardResult(
              range.table(),
              range.shard(),
              range.shardCount(),
              temp.toString(),
              rows,
              shard.jsonBytes(),
              shard.compressedBytes(),
              shard.sha256Hex(),
              snapshotId != null && session.snapshotImported(),
              (System.nanoTime() - start) / 1_000_000));
    } catch (Throwable t) {
      if (shard != null && !committed) {
        shard.discard();
      }
      discardTemp(temp, options);
      throw t;
    }
  }

  /** Removes a partial temp shard: the object if it got committed, the upload if it did not. */
  private void discardTemp(ResourceId temp, PipelineOptions options) {
    try {
      ArchiveFiles.delete(List.of(temp));
      if (files.isS3()) {
        String[] bk = S3Uploads.bucketAndKey(temp.toString());
        S3Uploads.abortUnder(options.as(S3Options.class), bk[0], bk[1]);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not remove temp shard {}: {}", temp, e.toString());
    }
  }
}
