package dev.hose.archive;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.hose.common.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * How JSON-lines shards are compressed ({@code --compression}): the shard's file name, how bytes
 * are compressed on the way out and decompressed on the way back. The manifest records it as {@code
 * "compression"}; a manifest without one is gzip, as every archive was before zstd.
 */
public enum ShardCodec {
  /** {@code .jsonl.gz}, java.util.zip's deflater; levels 1 to 9. */
  GZIP("gzip", ".jsonl.gz", "application/gzip", 1, 9) {
    @Override
    OutputStream compressing(OutputStream out, int level) throws IOException {
      return new LeveledGzip(out, level);
    }

    @Override
    public InputStream open(InputStream in) throws IOException {
      return new GZIPInputStream(in, BUFFER);
    }
  },

  /**
   * {@code .jsonl.zst}, zstd-jni (the zstd library itself); levels 1 to 19 (20 to 22 need far more
   * memory per stream). Each shard is one frame with zstd's content checksum, so a reader without
   * the manifest still detects a damaged shard.
   */
  ZSTD("zstd", ".jsonl.zst", "application/zstd", 1, 19) {
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
  };

  private static final int BUFFER = 1 << 16;

  private final String name;
  private final String extension;
  private final String mimeType;
  private final int minLevel;
  private final int maxLevel;

  ShardCodec(String name, String extension, String mimeType, int minLevel, int maxLevel) {
    this.name = name;
    this.extension = extension;
    this.mimeType = mimeType;
    this.minLevel = minLevel;
    this.maxLevel = maxLevel;
  }

  /**
   * A stream that compresses into {@code out} at {@code level}. Closing it ends the compressed
   * stream, closes {@code out} and frees the native compressor.
   */
  abstract OutputStream compressing(OutputStream out, int level) throws IOException;

  /**
   * A stream of the JSON lines that {@code in} holds compressed (for verify and restore); a wrong
   * header fails here or soon.
   */
  public abstract InputStream open(InputStream in) throws IOException;

  /** As the option and the manifest spell it: {@code gzip} or {@code zstd}. */
  public String label() {
    return name;
  }

  String mimeType() {
    return mimeType;
  }

  /**
   * {@code part-SSSSS-of-NNNNN.jsonl.gz} (or {@code .jsonl.zst}): shard {@code shard} of {@code
   * count}.
   */
  public String shardName(int shard, int count) {
    return String.format("part-%05d-of-%05d%s", shard, count, extension);
  }

  /** Fails with one line naming the option when {@code level} is out of this codec's range. */
  void checkLevel(String option, int level) {
    if (level < minLevel || level > maxLevel) {
      throw new UserError(
          option + " must be between " + minLevel + " and " + maxLevel + " for " + name);
    }
  }

  /** The codec {@code --compression} names; anything else is one line for the user. */
  static ShardCodec ofOption(String value) {
    for (ShardCodec c : values()) {
      if (c.name.equals(value)) {
        return c;
      }
    }
    throw new UserError(
        "--compression must be one of "
            + Arrays.stream(values()).map(c -> c.name).collect(Collectors.joining(", "))
            + ", not '"
            + value
            + "'");
  }

  /**
   * The codec a manifest's {@code "compression"} names: null (a manifest from before zstd) is gzip.
   *
   * @throws IllegalArgumentException for a codec this hose does not know
   */
  public static ShardCodec ofManifest(String value) {
    if (value == null) {
      return GZIP;
    }
    for (ShardCodec c : values()) {
      if (c.name.equals(value.toLowerCase(Locale.ROOT))) {
        return c;
      }
    }
    throw new IllegalArgumentException("unknown \"compression\": \"" + value + "\"");
  }

  /** java.util.zip's gzip with a chosen level. */
  private static final class LeveledGzip extends GZIPOutputStream {
    LeveledGzip(OutputStream out, int level) throws IOException {
      super(out, BUFFER);
      def.setLevel(level);
    }
  }
}
