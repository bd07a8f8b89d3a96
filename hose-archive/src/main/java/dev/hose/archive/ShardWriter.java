package dev.hose.archive;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The streaming half of a shard: JSON bytes → gzip or zstd ({@link ShardCodec}) → sha256 → the
 * sink's channel (Beam's S3 or local filesystem, which uploads in chunks as bytes arrive).
 *
 * <p>Compression runs on a thread of its own, fed through a queue of at most {@value #QUEUED}
 * chunks of 64 KiB, so reading and serializing overlap with compressing. Memory is those chunks
 * plus the compressor's window, whatever the shard's size.
 */
final class ShardWriter implements ShardOutput {
  private static final int QUEUED = 4;
  private static final byte[] END = new byte[0];
  private static final byte[] ABORT = new byte[0];

  private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(QUEUED);
  private final JsonSink json;
  private final RowJsonWriter rows;
  private final DigestingOutput compressed;
  private final OutputStream compressing;
  private final Thread compressor;
  private volatile Throwable failure;

  ShardWriter(
      WritableByteChannel channel, ShardCodec codec, int level, List<Column> columns, String name)
      throws IOException {
    compressed = new DigestingOutput(Channels.newOutputStream(channel));
    compressing = codec.compressing(compressed, level);
    json = new JsonSink(new Handoff());
    rows = new RowJsonWriter(columns);
    compressor = new Thread(this::compress, "hose-" + codec.label() + " " + name);
    compressor.setDaemon(true);
    compressor.start();
  }

  /** Where rows are written, as UTF-8 JSON bytes. */
  JsonSink sink() {
    return json;
  }

  @Override
  public long writeRow(ResultSet rs) throws SQLException, IOException {
    long before = json.written();
    rows.write(rs, json);
    json.maybeFlush();
    return json.written() - before;
  }

  /** Flushes, ends the compressed stream and closes the channel (which commits the upload). */
  @Override
  public void finish() throws IOException {
    json.flush();
    put(END);
    join();
    if (failure != null) {
      throw failure instanceof IOException io ? io : new IOException(failure);
    }
  }

  /** Stops compressing without committing anything and frees the native compressor. */
  @Override
  public void discard() {
    chunks.clear();
    chunks.offer(ABORT);
    try {
      join();
    } catch (IOException e) {
      // interrupted: the compressor is a daemon and ends on its own
    }
  }

  @Override
  public long rawBytes() {
    return json.written();
  }

  @Override
  public long compressedBytes() {
    return compressed.count();
  }

  @Override
  public String sha256Hex() {
    return compressed.sha256Hex();
  }

  private void compress() {
    boolean ended = false;
    try {
      while (true) {
        byte[] chunk = chunks.take();
        if (chunk == ABORT) {
          return;
        }
        if (chunk == END) {
          ended = true;
          compressing.close(); // the trailer, then the channel
          return;
        }
        compressing.write(chunk);
      }
    } catch (Throwable t) {
      failure = t;
    } finally {
      if (!ended) {
        release();
      }
    }
  }

  /** Frees the native compressor without writing or closing anything on the channel. */
  private void release() {
    compressed.abandon();
    try {
      compressing.close();
    } catch (IOException | RuntimeException e) {
      // nothing reaches the channel any more; the compressor is freed all the same
    }
  }

  private void put(byte[] chunk) throws IOException {
    try {
      while (!chunks.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
        if (failure != null || !compressor.isAlive()) {
          throw new IOException("compressing the shard failed", failure);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while writing the shard");
    }
  }

  private void join() throws IOException {
    try {
      compressor.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while finishing the shard");
    }
  }

  /** Hands each flushed buffer to the compressor thread. */
  private final class Handoff extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      put(new byte[] {(byte) b});
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (len > 0) {
        put(Arrays.copyOfRange(b, off, off + len));
      }
    }
  }
}
