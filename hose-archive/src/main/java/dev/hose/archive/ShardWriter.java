package dev.hose.archive;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

/**
 * The streaming half of a shard: JSON bytes → gzip → sha256 → the sink's channel (Beam's S3 or
 * local filesystem, which uploads in chunks as bytes arrive).
 *
 * <p>Compression runs on a thread of its own, fed through a queue of at most {@value #QUEUED}
 * chunks of 64 KiB, so reading and serializing overlap with gzip. Memory is those chunks plus the
 * deflater, whatever the shard's size.
 */
final class ShardWriter {
  private static final int BUFFER = 1 << 16;
  private static final int QUEUED = 4;
  private static final byte[] END = new byte[0];
  private static final byte[] ABORT = new byte[0];

  private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(QUEUED);
  private final JsonSink json;
  private final Counting compressed;
  private final MessageDigest sha256;
  private final LeveledGzip gzip;
  private final Thread compressor;
  private volatile Throwable failure;

  ShardWriter(WritableByteChannel channel, int gzipLevel, String name) throws IOException {
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    compressed = new Counting(Channels.newOutputStream(channel), sha256);
    gzip = new LeveledGzip(compressed, gzipLevel);
    json = new JsonSink(new Handoff());
    compressor = new Thread(this::compress, "hose-gzip " + name);
    compressor.setDaemon(true);
    compressor.start();
  }

  /** Where rows are written, as UTF-8 JSON bytes. */
  JsonSink sink() {
    return json;
  }

  /** Flushes, writes the gzip trailer and closes the channel (which commits the upload). */
  void finish() throws IOException {
    json.flush();
    put(END);
    join();
    if (failure != null) {
      throw failure instanceof IOException io ? io : new IOException(failure);
    }
  }

  /** Stops compressing without committing anything and frees the native deflater. */
  void discard() {
    chunks.clear();
    chunks.offer(ABORT);
    try {
      join();
    } catch (IOException e) {
      // interrupted: the compressor is a daemon and ends on its own
    }
  }

  long jsonBytes() {
    return json.written();
  }

  long compressedBytes() {
    return compressed.count;
  }

  String sha256Hex() {
    return HexFormat.of().formatHex(sha256.digest());
  }

  private void compress() {
    try {
      while (true) {
        byte[] chunk = chunks.take();
        if (chunk == ABORT) {
          return;
        }
        if (chunk == END) {
          gzip.finish();
          compressed.close();
          return;
        }
        gzip.write(chunk);
      }
    } catch (Throwable t) {
      failure = t;
    } finally {
      gzip.release();
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

  /** java.util.zip's gzip with a chosen level; {@link #release} frees the native deflater. */
  private static final class LeveledGzip extends GZIPOutputStream {
    LeveledGzip(OutputStream out, int level) throws IOException {
      super(out, BUFFER);
      def.setLevel(level);
    }

    void release() {
      def.end();
    }
  }

  /** Counts and digests bytes on their way to the channel. */
  private static final class Counting extends FilterOutputStream {
    private final MessageDigest digest;
    long count;

    Counting(OutputStream out, MessageDigest digest) {
      super(out);
      this.digest = digest;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      digest.update((byte) b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      digest.update(b, off, len);
      count += len;
    }
  }
}
