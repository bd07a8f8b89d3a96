package dev.hose.restore;

import dev.hose.archive.ShardCodec;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Reads one shard as it streams in: the compressed bytes are counted and hashed (sha256) on their
 * way into gzip or zstd ({@link ShardCodec}), and the JSON lines come out one at a time, as UTF-8
 * bytes ({@link #nextLine}) or as strings ({@link #readLine}). Memory is the buffers and one line,
 * whatever the shard's size. Malformed UTF-8 is an error, not a replacement character.
 */
final class ShardStream implements AutoCloseable {
  private static final int BUFFER = 1 << 16;

  private final Hashing raw;
  private final InputStream data;
  private final byte[] buffer = new byte[BUFFER];
  private int position;
  private int limit;
  private byte[] line = new byte[1 << 12];
  private byte[] lineArray = line;
  private int lineStart;
  private int lineLength;
  private long lineCount;
  private String sha256;

  private ShardStream(InputStream in, ShardCodec codec) throws IOException {
    raw = new Hashing(in);
    data = codec.open(raw);
  }

  /** Opens a shard (S3 or local); a gzip or zstd header that is not there fails here. */
  static ShardStream open(String location, ShardCodec codec) throws IOException {
    InputStream in = ArchiveStore.open(location);
    try {
      return new ShardStream(in, codec);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  /** An object's size and sha256, in hex. */
  record Digest(long bytes, String sha256) {}

  /**
   * Reads a whole object only to count and hash it: a Parquet shard, whose rows are read apart
   * ({@link ParquetShard}), footer first.
   */
  static Digest digest(String location) throws IOException {
    try (Hashing in = new Hashing(ArchiveStore.open(location))) {
      byte[] skip = new byte[BUFFER];
      while (in.read(skip, 0, skip.length) >= 0) {
        // counted and hashed
      }
      return new Digest(in.count, HexFormat.of().formatHex(in.digest.digest()));
    }
  }

  /**
   * Reads the next line (without its {@code \n}, or {@code \r\n}): {@code line()[lineStart() ..
   * lineStart() + lineLength()]}, valid until the next call. A line that lies whole in the read
   * buffer is not copied. False at the end of the compressed stream.
   */
  boolean nextLine() throws IOException {
    lineLength = 0;
    lineStart = 0;
    lineArray = line;
    boolean partial = false;
    while (true) {
      if (position == limit) {
        limit = Math.max(0, data.read(buffer, 0, buffer.length));
        position = 0;
        if (limit == 0) {
          if (partial) {
            lineCount++;
          }
          return partial; // a last line without its newline is a line
        }
      }
      int start = position;
      position = ByteScan.indexOf(buffer, position, limit, (byte) '\n');
      if (position == limit) {
        append(start, position);
        partial = true;
        continue;
      }
      if (partial) {
        append(start, position);
      } else {
        lineArray = buffer;
        lineStart = start;
        lineLength = position - start;
      }
      position++;
      if (lineLength > 0 && lineArray[lineStart + lineLength - 1] == '\r') {
        lineLength--;
      }
      lineCount++;
      return true;
    }
  }

  private void append(int from, int to) {
    int n = to - from;
    if (lineLength + n > line.length) {
      line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + n));
    }
    System.arraycopy(buffer, from, line, lineLength, n);
    lineLength += n;
    lineArray = line;
  }

  /** The array that holds the line {@link #nextLine} read. */
  byte[] line() {
    return lineArray;
  }

  int lineStart() {
    return lineStart;
  }

  int lineLength() {
    return lineLength;
  }

  /** The next JSON line as a string, or null at the end of the compressed stream. */
  String readLine() throws IOException {
    return nextLine() ? decode(lineArray, lineStart, lineLength) : null;
  }

  /** UTF-8 to a string; malformed input is a {@link CharacterCodingException}. */
  static String decode(byte[] bytes, int start, int length) throws CharacterCodingException {
    String s = new String(bytes, start, length, StandardCharsets.UTF_8);
    if (s.indexOf('\uFFFD') >= 0) { // a replacement, or U+FFFD itself: decode strictly to tell
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, start, length));
    }
    return s;
  }

  long lines() {
    return lineCount;
  }

  /**
   * Reads whatever follows the compressed stream, so that size and digest cover the whole object.
   */
  void drain() throws IOException {
    byte[] skip = new byte[BUFFER];
    while (raw.read(skip, 0, skip.length) >= 0) {
      // counted and hashed by raw
    }
  }

  /** Compressed bytes read so far. */
  long bytes() {
    return raw.count;
  }

  /**
   * The sha256 of the compressed bytes read, in hex: taken at the first call (after {@link
   * #drain}), and the same at every call after it.
   */
  String sha256() {
    if (sha256 == null) {
      sha256 = HexFormat.of().formatHex(raw.digest.digest());
    }
    return sha256;
  }

  @Override
  public void close() throws IOException {
    data.close();
  }

  private static final class Hashing extends FilterInputStream {
    private final MessageDigest digest;
    private long count;

    Hashing(InputStream in) {
      super(in);
      try {
        digest = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        digest.update((byte) b);
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        digest.update(b, off, n);
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] buffer = new byte[(int) Math.min(n, BUFFER)];
      int read = read(buffer, 0, buffer.length);
      return Math.max(read, 0);
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}
