package dev.hose.archive;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.hose.common.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * How shards are written ({@code --format} and {@code --compression}): the shard's file name, and
 * for JSON lines how bytes are compressed on the way out and decompressed on the way back (a
 * Parquet shard compresses its own pages, {@link ParquetShardWriter}). The manifest records it as
 * {@code "shardFormat"} and {@code "compression"}; a manifest without them is JSON lines with gzip,
 * as every archive was before zstd and Parquet.
 */
public enum ShardCodec {
  /**
   * {@code .jsonl.gz}, levels 1 to 9: libdeflate in members of 1 MiB where the system has it
   * ({@link BlockGzipOutputStream}, read back by {@link BlockGzipInputStream}), else
   * java.util.zip's deflater in one member.
   */
  GZIP(ArchiveManifest.JSON_LINES, "gzip", ".jsonl.gz", "application/gzip", 1, 9) {
    @Override
    OutputStream compressing(OutputStream out, int level) throws IOException {
      return LibDeflate.available()
          ? new BlockGzipOutputStream(out, level)
          : new LeveledGzip(out, level);
    }

    @Override
    public InputStream open(InputStream in) throws IOException {
      return LibDeflate.available()
          ? new BlockGzipInputStream(in)
          : new GZIPInputStream(new ReadAheadAvailable(in), BUFFER);
    }
  },

  /**
   * {@code .jsonl.zst}, zstd-jni (the zstd library itself); levels 1 to 19 (20 to 22 need far more
   * memory per stream). Each shard is one frame with zstd's content checksum, so a reader without
   * the manifest still detects a damaged shard.
   */
  ZSTD(ArchiveManifest.JSON_LINES, "zstd", ".jsonl.zst", "application/zstd", 1, 19) {
    @Override
    OutputStream compressing(OutputStream out, int level) throws IOException {
      ZstdOutputStreamNoFinalizer zstd = new ZstdOutputStreamNoFinalizer(out, level);
      zstd.setChecksum(true);
      return zstd;
    }

    @Override
    public InputStream open(InputStream in) throws IOException {
      return new ZstdInputStreamNoFinalizer(in);
    }
  },

  /** {@code .parquet} with zstd pages (Parquet's default here); levels 1 to 19. */
  PARQUET_ZSTD(
      ArchiveManifest.PARQUET, "zstd", ".parquet", "application/vnd.apache.parquet", 1, 19),

  /** {@code .parquet} with snappy pages: faster to read, larger; no level. */
  PARQUET_SNAPPY(
      ArchiveManifest.PARQUET, "snappy", ".parquet", "application/vnd.apache.parquet", 0, 0);

  private static final int BUFFER = 1 << 16;

  private final String format;
  private final String name;
  private final String extension;
  private final String mimeType;
  private final int minLevel;
  private final int maxLevel;

  ShardCodec(
      String format, String name, String extension, String mimeType, int minLevel, int maxLevel) {
    this.format = format;
    this.name = name;
    this.extension = extension;
    this.mimeType = mimeType;
    this.minLevel = minLevel;
    this.maxLevel = maxLevel;
  }

  /**
   * A stream that compresses JSON lines into {@code out} at {@code level}. Closing it ends the
   * compressed stream, closes {@code out} and frees the native compressor.
   */
  OutputStream compressing(OutputStream out, int level) throws IOException {
    throw new IllegalStateException(this + " shards are not a compressed stream");
  }

  /**
   * A stream of the JSON lines that {@code in} holds compressed (for verify and restore); a wrong
   * header fails here or soon.
   */
  public InputStream open(InputStream in) throws IOException {
    throw new IllegalStateException(this + " shards are not a compressed stream");
  }

  /** Whether shards are Parquet files (else JSON lines). */
  public boolean parquet() {
    return format.equals(ArchiveManifest.PARQUET);
  }

  /** As the manifest spells the shards' format: {@code jsonl} or {@code parquet}. */
  public String format() {
    return format;
  }

  /** As the option and the manifest spell the compression: {@code gzip}, {@code zstd}, ... */
  public String label() {
    return name;
  }

  /** What a Parquet shard's pages are compressed with. */
  CompressionCodecName parquetCodec() {
    return this == PARQUET_SNAPPY ? CompressionCodecName.SNAPPY : CompressionCodecName.ZSTD;
  }

  String mimeType() {
    return mimeType;
  }

  /**
   * {@code part-SSSSS-of-NNNNN.jsonl.gz} (or {@code .jsonl.zst}, {@code .parquet}): shard {@code
   * shard} of {@code count}.
   */
  public String shardName(int shard, int count) {
    return String.format("part-%05d-of-%05d%s", shard, count, extension);
  }

  /** Fails with one line naming the option when {@code level} is out of this codec's range. */
  void checkLevel(String option, int level) {
    if (maxLevel > 0 && (level < minLevel || level > maxLevel)) {
      throw new UserError(
          option + " must be between " + minLevel + " and " + maxLevel + " for " + name);
    }
  }

  /**
   * The codec {@code --format} and {@code --compression} name (no compression: gzip for JSON lines,
   * zstd for Parquet); anything else is one line for the user.
   */
  static ShardCodec ofOptions(String format, String compression) {
    String f = format == null ? ArchiveManifest.JSON_LINES : format;
    if (!f.equals(ArchiveManifest.JSON_LINES) && !f.equals(ArchiveManifest.PARQUET)) {
      throw new UserError(
          "--format must be one of "
              + ArchiveManifest.JSON_LINES
              + ", "
              + ArchiveManifest.PARQUET
              + ", not '"
              + format
              + "'");
    }
    String c = compression == null || compression.isEmpty() ? defaultFor(f) : compression;
    for (ShardCodec codec : values()) {
      if (codec.format.equals(f) && codec.name.equals(c)) {
        return codec;
      }
    }
    throw new UserError(
        "--compression must be one of "
            + Arrays.stream(values())
                .filter(codec -> codec.format.equals(f))
                .map(codec -> codec.name)
                .collect(Collectors.joining(", "))
            + " for --format="
            + f
            + ", not '"
            + compression
            + "'");
  }

  private static String defaultFor(String format) {
    return format.equals(ArchiveManifest.PARQUET) ? "zstd" : "gzip";
  }

  /**
   * The codec a manifest's {@code "shardFormat"} and {@code "compression"} name: null for both (a
   * manifest from before zstd) is JSON lines with gzip.
   *
   * @throws IllegalArgumentException for a format or codec this hose does not know
   */
  public static ShardCodec ofManifest(String format, String compression) {
    String f = format == null ? ArchiveManifest.JSON_LINES : format;
    String c = compression == null ? defaultFor(f) : compression.toLowerCase(Locale.ROOT);
    for (ShardCodec codec : values()) {
      if (codec.format.equals(f) && codec.name.equals(c)) {
        return codec;
      }
    }
    if (!f.equals(ArchiveManifest.JSON_LINES) && !f.equals(ArchiveManifest.PARQUET)) {
      throw new IllegalArgumentException(
          "\"shardFormat\": \""
              + format
              + "\" is not one this hose reads ("
              + ArchiveManifest.JSON_LINES
              + ", "
              + ArchiveManifest.PARQUET
              + ")");
    }
    throw new IllegalArgumentException("unknown \"compression\": \"" + compression + "\"");
  }

  /**
   * Java 17's GZIPInputStream tells whether another member follows a member's trailer by asking
   * {@code available()} when its buffer holds nothing more (JDK-7036144, fixed in Java 23): over a
   * stream that answers 0 with bytes still to come, a shard of several members would end early.
   * This stream answers by reading one byte ahead.
   */
  static final class ReadAheadAvailable extends PushbackInputStream {
    ReadAheadAvailable(InputStream in) {
      super(in, 1);
    }

    @Override
    public int available() throws IOException {
      int n = super.available();
      if (n > 0) {
        return n;
      }
      int b = read();
      if (b < 0) {
        return 0;
      }
      unread(b);
      return 1;
    }
  }

  /** java.util.zip's gzip with a chosen level. */
  private static final class LeveledGzip extends GZIPOutputStream {
    LeveledGzip(OutputStream out, int level) throws IOException {
      super(out, BUFFER);
      def.setLevel(level);
    }
  }
}
