package dev.hose.archive;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * A small reusable byte buffer in front of an output stream, for writing JSON as UTF-8 bytes
 * without going through {@code String}s. Counts every byte written. With a stream, a value larger
 * than the buffer is passed on in pieces as it is written (so a 30 MB text value never sits here
 * whole); without one, the buffer grows.
 */
final class JsonSink {
  private static final int FLUSH_AT = 1 << 16;
  private final OutputStream out;
  private byte[] buf = new byte[FLUSH_AT + 1024];
  private int pos;
  private long written;

  JsonSink(OutputStream out) {
    this.out = out;
  }

  void write(byte b) {
    if (pos == buf.length) {
      makeRoom(1);
    }
    buf[pos++] = b;
  }

  void write(byte[] b) {
    write(b, 0, b.length);
  }

  void write(byte[] b, int off, int len) {
    if (out != null && len > FLUSH_AT) {
      for (int done = 0; done < len; done += FLUSH_AT) {
        write(b, off + done, Math.min(FLUSH_AT, len - done));
      }
      return;
    }
    if (pos + len > buf.length) {
      makeRoom(len);
    }
    System.arraycopy(b, off, buf, pos, len);
    pos += len;
  }

  void writeAscii(String s) {
    int n = s.length();
    if (pos + n > buf.length) {
      makeRoom(n);
    }
    for (int i = 0; i < n; i++) {
      buf[pos++] = (byte) s.charAt(i);
    }
  }

  /** Hands buffered bytes to the stream once enough have gathered (call between rows). */
  void maybeFlush() throws IOException {
    if (pos >= FLUSH_AT) {
      flush();
    }
  }

  void flush() throws IOException {
    if (pos > 0) {
      out.write(buf, 0, pos);
      written += pos;
      pos = 0;
    }
    if (buf.length > 4 * FLUSH_AT) {
      buf = new byte[FLUSH_AT + 1024]; // one huge value does not keep a huge buffer
    }
  }

  /** What is buffered (for sinks with no stream). */
  byte[] toByteArray() {
    return java.util.Arrays.copyOf(buf, pos);
  }

  long written() {
    return written + pos;
  }

  /** Passes the buffer on when there is a stream (and {@code more} then fits), else grows it. */
  private void makeRoom(int more) {
    if (out != null && more <= buf.length) {
      try {
        flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return;
    }
    grow(more);
  }

  private void grow(int more) {
    byte[] bigger = new byte[Math.max(buf.length * 2, pos + more + 1024)];
    System.arraycopy(buf, 0, bigger, 0, pos);
    buf = bigger;
  }
}
