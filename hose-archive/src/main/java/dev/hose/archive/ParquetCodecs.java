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
 * Parquet's page codecs without Hadoop: zstd through zstd-jni (one reused native context per
 * writer, at the run's level) and snappy through snappy-java, both already in hose. parquet-java's
 * own codec factory would load them through Hadoop's codec classes.
 */
public final class ParquetCodecs implements CompressionCodecFactory {
  private final int zstdLevel;

  /**
   * @param zstdLevel the zstd level for writing (ignored when reading, and by snappy)
   */
  public ParquetCodecs(int zstdLevel) {
    this.zstdLevel = zstdLevel;
  }

  @Override
  public BytesInputCompressor getCompressor(CompressionCodecName codec) {
    return switch (codec) {
      case ZSTD -> new ZstdCompressor(zstdLevel);
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
    // every compressor is released by its writer
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
      context.close();
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
