package dev.hose.archive;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

/**
 * Parquet's page codecs without Hadoop: zstd through zstd-jni and snappy through snappy-java, both
 * already in hose (parquet-java's own factory would load them through Hadoop's codec classes). One
 * factory serves one writer or reader, on one thread: it hands out one compressor per codec, so one
 * native zstd context serves every page and row group of a shard, and {@link #release} (which
 * parquet-java calls when the file is closed) frees it. A context per row group, freed only by the
 * garbage collector, made the process grow with the table.
 */
public final class ParquetCodecs implements CompressionCodecFactory {
  private final int zstdLevel;
  private ZstdCompressor zstd;
  private SnappyCompressor snappy;

  /**
   * @param zstdLevel the zstd level for writing (ignored when reading, and by snappy)
   */
  public ParquetCodecs(int zstdLevel) {
    this.zstdLevel = zstdLevel;
  }

  @Override
  public BytesInputCompressor getCompressor(CompressionCodecName codec) {
    return switch (codec) {
      case ZSTD -> zstd == null ? (zstd = new ZstdCompressor(zstdLevel)) : zstd;
      case SNAPPY -> snappy == null ? (snappy = new SnappyCompressor()) : snappy;
      default -> throw new IllegalArgumentException("hose writes no " + codec + " Parquet pages");
    };
  }

  @Override
  public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
    return switch (codec) {
      case ZSTD, SNAPPY, UNCOMPRESSED -> new Decompressor(codec);
      default ->
          throw new IllegalArgumentException(
              "Parquet pages compressed with " + codec + " are not ones hose reads");
    };
  }

  @Override
  public void release() {
    if (zstd != null) {
      zstd.context.close();
      zstd = null;
    }
  }

  /**
   * A page compressor that reuses its two buffers, page after page: the page's bytes are gathered
   * into one and compressed into the other, which is handed over as it is. parquet-java copies a
   * compressed page into its row group's buffers (a data page: {@code
   * ConcatenatingByteBufferCollector.collect}; the dictionary page: {@code BytesInput.copy}) before
   * it compresses the next one. Allocating the buffers per page was a third of everything the
   * Parquet path allocated, with 1 MiB pages as G1 humongous objects; a copy of each compressed
   * page was another 8%.
   */
  private abstract static class PageCompressor implements BytesInputCompressor {
    private final Scratch page = new Scratch();
    private byte[] compressed = new byte[0];

    @Override
    public final BytesInput compress(BytesInput bytes) throws IOException {
      page.reset();
      bytes.writeAllTo(page);
      int bound = bound(page.size());
      if (compressed.length < bound) {
        compressed = new byte[bound];
      }
      int n = compress(page.bytes(), page.size(), compressed);
      return BytesInput.from(compressed, 0, n);
    }

    abstract int bound(int length);

    /** Compresses {@code in[0, length)} into {@code out}, which holds {@link #bound}; its size. */
    abstract int compress(byte[] in, int length, byte[] out) throws IOException;
  }

  private static final class ZstdCompressor extends PageCompressor {
    private final ZstdCompressCtx context = new ZstdCompressCtx();

    ZstdCompressor(int level) {
      context.setLevel(level);
    }

    @Override
    int bound(int length) {
      return Math.toIntExact(Zstd.compressBound(length));
    }

    @Override
    int compress(byte[] in, int length, byte[] out) {
      return context.compressByteArray(out, 0, out.length, in, 0, length);
    }

    @Override
    public CompressionCodecName getCodecName() {
      return CompressionCodecName.ZSTD;
    }

    @Override
    public void release() {
      // one per factory, shared by the writer's column chunks: freed with the factory
    }
  }

  private static final class SnappyCompressor extends PageCompressor {
    @Override
    int bound(int length) {
      return Snappy.maxCompressedLength(length);
    }

    @Override
    int compress(byte[] in, int length, byte[] out) throws IOException {
      return Snappy.compress(in, 0, length, out, 0);
    }

    @Override
    public CompressionCodecName getCodecName() {
      return CompressionCodecName.SNAPPY;
    }

    @Override
    public void release() {
      // snappy keeps no state
    }
  }

  /** A byte array output stream whose array is read in place and kept across {@link #reset}. */
  private static final class Scratch extends ByteArrayOutputStream {
    byte[] bytes() {
      return buf;
    }
  }

  private record Decompressor(CompressionCodecName codec) implements BytesInputDecompressor {
    @Override
    public BytesInput decompress(BytesInput bytes, int size) throws IOException {
      byte[] in = bytes.toByteArray();
      byte[] out =
          switch (codec) {
            case ZSTD -> Zstd.decompress(in, size);
            case SNAPPY -> Snappy.uncompress(in);
            default -> in;
          };
      if (out.length != size) {
        throw new IOException(
            "a " + codec + " page holds " + out.length + " bytes, its header says " + size);
      }
      return BytesInput.from(out);
    }

    @Override
    public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int size)
        throws IOException {
      byte[] in = new byte[compressedSize];
      input.get(in);
      output.put(decompress(BytesInput.from(in), size).toByteArray());
    }

    @Override
    public void release() {
      // nothing native is held
    }
  }
}
