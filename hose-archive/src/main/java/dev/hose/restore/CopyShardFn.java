package dev.hose.restore;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.github.luben.zstd.ZstdIOException;
import dev.hose.archive.ArchiveManifest;
import dev.hose.archive.Column;
import dev.hose.archive.TableRef;
import dev.hose.common.BundleThreads;
import dev.hose.common.UserError;
import dev.hose.common.WorkerDoFn;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.zip.ZipException;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptions;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads one shard into its table's staging table: the shard streams from storage through sha256 and
 * gzip (or zstd), each JSON line becomes a COPY text row ({@link CopyText}), and that a binary one
 * when the table's types allow ({@link CopyBinary}), and the rows stream to the server in 64 KiB
 * pieces of one {@code COPY ... FROM STDIN}. Before the COPY ends, the shard's size, sha256 and
 * line count are checked against the manifest; any mismatch cancels the COPY, so a shard is in
 * staging whole or not at all. Memory: the buffers and one line, whatever the shard's size.
 *
 * <p>Each instance copies up to {@code connections} shards at once ({@link BundleThreads}), no more
 * than its JVM has cores ({@link #copiesAtOnce}), each over its own connection, so that the server
 * parses several COPY streams on several cores.
 */
final class CopyShardFn extends WorkerDoFn<ShardBatch, Void> {
  private static final Logger LOG = LoggerFactory.getLogger(CopyShardFn.class);
  private static final int FLUSH_BYTES = 1 << 16;

  private final RestoreSettings settings;
  private final Map<String, Staging> stagings;
  private final int connections;
  private final Counter rows = Metrics.counter(CopyShardFn.class, "rows");
  private final Counter shards = Metrics.counter(CopyShardFn.class, "shards");
  private transient BundleThreads<Long> threads;
  private transient Queue<Connection> idle;

  /**
   * Where one archived table's rows go: its staging table, and that table's columns with how each
   * one's values were written to JSON.
   */
  record Staging(TableRef table, List<Column> columns) implements Serializable {}

  /**
   * {@code stagings}: by archived table ({@link ShardTask#table}); {@code connections}: shards this
   * instance copies at once, each over its own connection.
   */
  CopyShardFn(RestoreSettings settings, Map<String, Staging> stagings, int connections) {
    this.settings = settings;
    this.stagings = Map.copyOf(stagings);
    this.connections = connections;
  }

  @Override
  protected void setUp(PipelineOptions options) {
    threads = new BundleThreads<>("hose-copy", copiesAtOnce(connections));
    idle = new ConcurrentLinkedQueue<>();
  }

  /**
   * Shards copied at once in this JVM: {@code connections}, but no more than its cores (two at
   * least). Each copy keeps a core busy in this JVM and one in the server; on 2 cores, 4 copies at
   * once restored 1M rows in 9.5-11.7 s, 2 in 8.9-9.1 s.
   */
  static int copiesAtOnce(int connections) {
    return Math.min(connections, Math.max(2, Runtime.getRuntime().availableProcessors()));
  }

  @Override
  protected void tearDown() throws SQLException {
    if (threads != null) {
      threads.close();
    }
    for (Connection c = idle == null ? null : idle.poll(); c != null; c = idle.poll()) {
      c.close();
    }
  }

  @ProcessElement
  public void process(@Element ShardBatch batch) throws Exception {
    for (ShardTask task : batch.shards()) {
      threads.submit(
          () -> {
            Connection c = idle.poll();
            if (c == null) {
              c = settings.connect(); // at most `connections` exist: one per running copy
            }
            try {
              return copy(task, c);
            } finally {
              idle.add(c);
            }
          });
    }
    threads.finish(
        lines -> {
          rows.inc(lines);
          shards.inc();
        });
  }

  /**
   * Copies one shard: in COPY's binary format when its table's columns all have a type {@link
   * CopyBinary} takes, else, or when a value is in a form it does not take, in the text format.
   */
  private long copy(ShardTask task, Connection connection) throws IOException, SQLException {
    Staging staging = stagings.get(task.table());
    CopyBinary binary = task.codec().parquet() ? null : CopyBinary.forColumns(staging.columns());
    if (binary != null) {
      try {
        return copy(task, connection, staging, binary);
      } catch (NotBinaryException e) {
        LOG.info(
            "shard {}: {}; copying the shard again in COPY's text format",
            task.location(),
            e.getMessage());
      }
    }
    return copy(task, connection, staging, null);
  }

  private long copy(ShardTask task, Connection connection, Staging staging, CopyBinary binary)
      throws IOException, SQLException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(FLUSH_BYTES + (FLUSH_BYTES >> 2));
    String format = binary == null ? "" : " (FORMAT binary)";
    CopyIn copy =
        connection
            .unwrap(PGConnection.class)
            .getCopyAPI()
            .copyIn("COPY " + staging.table().quoted() + " FROM STDIN" + format);
    try {
      return task.codec().parquet()
          ? copyParquet(task, copy, buffer)
          : copyLines(task, staging.columns(), binary, copy, buffer);
    } finally {
      if (copy.isActive()) {
        copy.cancelCopy();
      }
    }
  }

  /**
   * A Parquet shard: its size and sha256 are checked in a first pass over the object, its schema
   * and row count from its footer, before any row is sent; then its rows stream row group by row
   * group.
   */
  private static long copyParquet(ShardTask task, CopyIn copy, ByteArrayOutputStream buffer)
      throws IOException, SQLException {
    ShardStream.Digest digest = ShardStream.digest(task.location());
    checkAgainstManifest(task, digest.bytes(), digest.sha256(), task.shard().rows());
    ParquetShard shard;
    try {
      shard = ParquetShard.open(task.location());
    } catch (IOException | RuntimeException e) {
      throw bad(task, "is not a readable Parquet file (" + e.getMessage() + ")");
    }
    try (shard) {
      String schema = shard.schemaProblem(task.columns());
      if (schema != null) {
        throw bad(task, "does not match the manifest: " + schema);
      }
      checkAgainstManifest(task, digest.bytes(), digest.sha256(), shard.rows());
      long rows =
          shard.copyRows(
              row -> {
                buffer.write(row.getBytes(StandardCharsets.UTF_8));
                if (buffer.size() >= FLUSH_BYTES) {
                  send(copy, buffer);
                }
              });
      send(copy, buffer);
      copy.endCopy();
      return rows;
    } catch (SQLException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      if (e instanceof UserError) {
        throw e;
      }
      throw bad(task, "cannot be decoded (" + e.getMessage() + ")");
    }
  }

  private static void send(CopyIn copy, ByteArrayOutputStream buffer) throws IOException {
    try {
      copy.writeToCopy(buffer.toByteArray(), 0, buffer.size());
    } catch (SQLException e) {
      throw new IOException(e);
    }
    buffer.reset();
  }

  /**
   * A JSON lines shard, each line to a COPY text row ({@link CopyText}), and that row to a binary
   * one when {@code binary} is given.
   */
  private static long copyLines(
      ShardTask task,
      List<Column> columns,
      CopyBinary binary,
      CopyIn copy,
      ByteArrayOutputStream buffer)
      throws IOException, SQLException {
    CopyText copyText = new CopyText(columns);
    RowBuffer textRow = binary == null ? null : new RowBuffer();
    if (binary != null) {
      buffer.write(CopyBinary.HEADER);
    }
    try (ShardStream in = task.open()) {
      while (in.nextLine()) {
        if (textRow != null) {
          textRow.reset();
        }
        try {
          copyText.write(
              in.line(), in.lineStart(), in.lineLength(), textRow == null ? buffer : textRow);
        } catch (CopyText.BadLineException e) {
          throw bad(task, "line " + in.lines() + " " + e.getMessage());
        } catch (JsonProcessingException e) {
          throw bad(task, "line " + in.lines() + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (textRow != null) {
          if (!binary.convert(textRow.bytes(), 0, textRow.size())) {
            throw new NotBinaryException(
                "line "
                    + in.lines()
                    + " holds a value of "
                    + columns.get(binary.refusedColumn()).name()
                    + " in a form COPY's binary format is not written for");
          }
          buffer.write(binary.row(), 0, binary.size());
        }
        if (buffer.size() >= FLUSH_BYTES) {
          copy.writeToCopy(buffer.toByteArray(), 0, buffer.size());
          buffer.reset();
        }
      }
      in.drain();
      checkAgainstManifest(task, in.bytes(), in.sha256(), in.lines());
      if (binary != null) {
        buffer.write(CopyBinary.TRAILER);
      }
      copy.writeToCopy(buffer.toByteArray(), 0, buffer.size());
      copy.endCopy();
      return in.lines();
    } catch (ZipException | EOFException | ZstdIOException e) {
      throw bad(
          task, "is not a complete " + task.codec().label() + " stream (" + e.getMessage() + ")");
    } catch (CharacterCodingException e) {
      throw bad(task, "is not valid UTF-8 (" + e + ")");
    }
  }

  /** A row buffer whose bytes are read in place. */
  private static final class RowBuffer extends ByteArrayOutputStream {
    RowBuffer() {
      super(1 << 12);
    }

    byte[] bytes() {
      return buf;
    }
  }

  /** A shard holding a value that {@link CopyBinary} does not take: it goes in the text format. */
  private static final class NotBinaryException extends IOException {
    NotBinaryException(String message) {
      super(message);
    }
  }

  private static void checkAgainstManifest(ShardTask task, long bytes, String sha256, long rows) {
    ArchiveManifest.Shard s = task.shard();
    if (bytes != s.compressedBytes()) {
      throw bad(task, "has " + bytes + " bytes, the manifest says " + s.compressedBytes());
    }
    if (!sha256.equals(s.sha256())) {
      throw bad(task, "has sha256 " + sha256 + ", the manifest says " + s.sha256());
    }
    if (rows != s.rows()) {
      String unit = task.codec().parquet() ? " rows" : " lines";
      throw bad(task, "has " + rows + unit + ", the manifest says " + s.rows() + " rows");
    }
  }

  private static UserError bad(ShardTask task, String problem) {
    return new UserError("shard " + task.location() + " " + problem + "; nothing was restored");
  }
}
