package dev.hose.archive;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
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
      case SNAPPY -> new SnappyCompressor();
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

  private static final class ZstdCompressor implements BytesInputCompressor {
    private final ZstdCompressCtx context = new ZstdCompressCtx();

    ZstdCompressor(int level) {
      context.setLevel(level);
    }

    @Override
    public BytesInput compress(BytesInput bytes) throws IOException {
      return BytesInput.from(context.compress(bytes.toByteArray()));
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

  private static final class SnappyCompressor implements BytesInputCompressor {
    @Override
    public BytesInput compress(BytesInput bytes) throws IOException {
      return BytesInput.from(Snappy.compress(bytes.toByteArray()));
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
