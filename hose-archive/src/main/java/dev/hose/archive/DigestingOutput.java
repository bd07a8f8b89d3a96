package dev.hose.archive;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Counts and digests (sha256) a shard's bytes on their way to its channel; once {@link #abandon}ed,
 * it passes nothing on and never closes the channel, so a discarded shard is never committed.
 */
final class DigestingOutput extends FilterOutputStream {
  private final MessageDigest digest;
  private volatile boolean abandoned;
  private long count;

  DigestingOutput(OutputStream out) {
    super(out);
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  void abandon() {
    abandoned = true;
  }

  /** Bytes passed on so far. */
  long count() {
    return count;
  }

  /** The sha256 of every byte passed on, in hex (call once, at the end). */
  String sha256Hex() {
    return HexFormat.of().formatHex(digest.digest());
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
