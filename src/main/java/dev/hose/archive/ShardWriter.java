package dev.hose.archive;

import java.io.BufferedWriter;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.GZIPOutputStream;

/**
 * The streaming half of a shard: text → UTF-8 → gzip → sha256 → the sink's channel. Memory is a
 * few fixed buffers whatever the shard's size; the channel (Beam's S3 or local filesystem) uploads
 * in chunks as bytes arrive.
 */
final class ShardWriter {
  private static final int BUFFER = 1 << 16;
  private final Counting json;
  private final Counting compressed;
  private final MessageDigest sha256;
  private final LeveledGzip gzip;
  private final Writer text;

  ShardWriter(WritableByteChannel channel, int gzipLevel) throws IOException {
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    compressed = new Counting(Channels.newOutputStream(channel), sha256);
    gzip = new LeveledGzip(compressed, gzipLevel);
    json = new Counting(gzip, null);
    text = new BufferedWriter(new OutputStreamWriter(json, StandardCharsets.UTF_8), BUFFER);
  }

  /** Where rows are written. */
  Writer text() {
    return text;
  }

  /** Flushes, writes the gzip trailer and closes the channel (which commits the upload). */
  void finish() throws IOException {
    text.flush();
    gzip.finish();
    compressed.close();
    gzip.release();
  }

  /** Releases the native deflater without committing anything. */
  void discard() {
    gzip.release();
  }

  long jsonBytes() {
    return json.count;
  }

  long compressedBytes() {
    return compressed.count;
  }

  String sha256Hex() {
    return HexFormat.of().formatHex(sha256.digest());
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

  /** Counts (and optionally digests) bytes on their way through. */
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
      if (digest != null) {
        digest.update((byte) b);
      }
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      if (digest != null) {
        digest.update(b, off, len);
      }
      count += len;
    }
  }
}
