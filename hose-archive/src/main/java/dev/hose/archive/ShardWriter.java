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

/**
 * The streaming half of a shard: JSON bytes → gzip or zstd ({@link ShardCodec}) → sha256 → the
 * sink's channel (Beam's S3 or local filesystem, which uploads in chunks as bytes arrive).
 *
 * <p>Compression runs on a thread of its own, fed through a queue of at most {@value #QUEUED}
 * chunks of 64 KiB, so reading and serializing overlap with compressing. Memory is those chunks
 * plus the compressor's window, whatever the shard's size.
 */
final class ShardWriter {
  private static final int QUEUED = 4;
  private static final byte[] END = new byte[0];
  private static final byte[] ABORT = new byte[0];

  private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(QUEUED);
  private final JsonSink json;
  private final Counting compressed;
  private final MessageDigest sha256;
  private final OutputStream compressing;
  private final Thread compressor;
  private volatile Throwable failure;

  ShardWriter(WritableByteChannel channel, ShardCodec codec, int level, String name)
      throws IOException {
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    compressed = new Counting(Channels.newOutputStream(channel), sha256);
    compressing = codec.compressing(compressed, level);
    json = new JsonSink(new Handoff());
    compressor = new Thread(this::compress, "hose-" + codec.label() + " " + name);
    compressor.setDaemon(true);
    compressor.start();
  }

  /** Where rows are written, as UTF-8 JSON bytes. */
  JsonSink sink() {
    return json;
  }

  /** Flushes, ends the compressed stream and closes the channel (which commits the upload). */
  void finish() throws IOException {
    json.flush();
    put(END);
    join();
    if (failure != null) {
      throw failure instanceof IOException io ? io : new IOException(failure);
    }
  }

  /** Stops compressing without committing anything and frees the native compressor. */
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

  /**
   * Counts and digests bytes on their way to the channel; once {@link #abandon}ed, it passes
   * nothing on and never closes the channel, so a discarded shard is never committed.
   */
  private static final class Counting extends FilterOutputStream {
    private final MessageDigest digest;
    private volatile boolean abandoned;
    long count;

    Counting(OutputStream out, MessageDigest digest) {
      super(out);
      this.digest = digest;
    }

    void abandon() {
      abandoned = true;
    }

    @Override
    public void write(int b) throws IOException {
      if (!abandoned) {
        out.write(b);
        digest.update((byte) b);
        count++;
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (!abandoned) {
        out.write(b, off, len);
        digest.update(b, off, len);
        count += len;
      }
    }

    @Override
    public void flush() throws IOException {
      if (!abandoned) {
        out.flush();
      }
    }

    @Override
    public void close() throws IOException {
      if (!abandoned) {
        out.close();
      }
    }
  }
}
