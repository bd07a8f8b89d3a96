package dev.hose.archive;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.zip.GZIPInputStream;

/**
 * Reads gzip member by member through libdeflate ({@link LibDeflate}), each member decompressed
 * whole: the members of at most {@value BlockGzipOutputStream#BLOCK} bytes that {@link
 * BlockGzipOutputStream} writes. From the first member that is larger (a shard that java.util.zip
 * wrote as one member) or that libdeflate finds damaged, the rest of the stream is read by Java's
 * GZIPInputStream, which reads any gzip and names what is wrong with it.
 *
 * <p>Memory: {@value #IN} bytes of compressed input and a member's output in native memory, the
 * output again on the heap, and the decompressor; {@link #close} frees the native memory.
 */
final class BlockGzipInputStream extends InputStream {
  /** Room for a whole member of {@value BlockGzipOutputStream#BLOCK} bytes, with reads to spare. */
  static final int IN = 4 << 20;

  private static final int OUT = BlockGzipOutputStream.BLOCK;

  /** A member's most compressed bytes: stored blocks of incompressible input, and more. */
  private static final int MEMBER_MAX = OUT + (OUT >> 4);

  private static final int CHUNK = 1 << 16;

  private final InputStream source;
  private final byte[] chunk = new byte[CHUNK];
  private final byte[] output = new byte[OUT];
  private Pointer decompressor;
  private Memory in;
  private Memory out;
  private Memory taken;
  private int inStart;
  private int inEnd;
  private boolean sourceEnded;
  private int outPos;
  private int outEnd;
  private boolean readMember;
  private InputStream rest;

  BlockGzipInputStream(InputStream source) throws IOException {
    this.source = source;
    decompressor = LibDeflate.libdeflate_alloc_decompressor();
    if (decompressor == null) {
      throw new IOException("libdeflate could not allocate a decompressor");
    }
    in = new Memory(IN);
    out = new Memory(OUT);
    taken = new Memory(2 * Long.BYTES);
    try {
      nextMember(); // as with GZIPInputStream, a stream that is not gzip fails here
    } catch (IOException | RuntimeException e) {
      free();
      throw e;
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (outPos == outEnd) {
      if (rest != null) {
        return rest.read(b, off, len);
      }
      if (!nextMember()) {
        return -1;
      }
    }
    int n = Math.min(len, outEnd - outPos);
    System.arraycopy(output, outPos, b, off, n);
    outPos += n;
    return n;
  }

  /**
   * Decompresses the next member into {@link #output}, or hands the rest of the stream to
   * GZIPInputStream; false at the end of the stream.
   */
  private boolean nextMember() throws IOException {
    if (in == null) {
      throw new IOException("stream closed");
    }
    fill();
    int available = inEnd - inStart;
    if (available == 0) {
      if (readMember) {
        return false;
      }
      return handOver(); // empty: GZIPInputStream says so
    }
    int result =
        LibDeflate.libdeflate_gzip_decompress_ex(
            decompressor, in.share(inStart), available, out, OUT, taken, taken.share(Long.BYTES));
    if (result != LibDeflate.SUCCESS) {
      return handOver();
    }
    inStart += (int) taken.getLong(0);
    outEnd = (int) taken.getLong(Long.BYTES);
    outPos = 0;
    out.read(0, output, 0, outEnd);
    readMember = true;
    return true;
  }

  /** Reads until a whole member's worth is buffered or the source ends, compacting first. */
  private void fill() throws IOException {
    if (sourceEnded || inEnd - inStart >= MEMBER_MAX) {
      return;
    }
    if (IN - inEnd < MEMBER_MAX) { // move what is left to the front, a chunk at a time
      int left = inEnd - inStart;
      for (int at = 0; at < left; at += CHUNK) {
        int n = Math.min(CHUNK, left - at);
        in.read(inStart + at, chunk, 0, n);
        in.write(at, chunk, 0, n);
      }
      inStart = 0;
      inEnd = left;
    }
    while (inEnd - inStart < MEMBER_MAX && inEnd < IN) {
      int n = source.read(chunk, 0, Math.min(CHUNK, IN - inEnd));
      if (n < 0) {
        sourceEnded = true;
        return;
      }
      in.write(inEnd, chunk, 0, n);
      inEnd += n;
    }
  }

  /** The rest, from the member libdeflate did not take, to GZIPInputStream. */
  private boolean handOver() throws IOException {
    byte[] buffered = new byte[inEnd - inStart];
    in.read(inStart, buffered, 0, buffered.length);
    inStart = inEnd;
    InputStream remaining = new SequenceInputStream(new ByteArrayInputStream(buffered), source);
    rest = new GZIPInputStream(new ShardCodec.ReadAheadAvailable(remaining), CHUNK);
    outPos = outEnd = 0;
    return true;
  }

  @Override
  public void close() throws IOException {
    if (in == null) {
      return;
    }
    try {
      if (rest != null) {
        rest.close();
      } else {
        source.close();
      }
    } finally {
      free();
    }
  }

  private void free() {
    LibDeflate.libdeflate_free_decompressor(decompressor);
    decompressor = null;
    in.close();
    in = null;
    out.close();
    out = null;
    taken.close();
    taken = null;
  }
}
