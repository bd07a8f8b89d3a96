package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.common.UserError;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A shard's bytes on their way out, for each codec, and back through the same codec. */
class ShardWriterTest {
  private static final String LINES = lines(20_000);

  @ParameterizedTest
  @EnumSource(names = {"GZIP", "ZSTD"})
  void whatIsWrittenReadsBackWithTheFiguresTheManifestRecords(ShardCodec codec) throws Exception {
    Channel channel = new Channel();
    ShardWriter writer = writeLines(channel, codec, 3);
    writer.finish();

    byte[] out = channel.bytes.toByteArray();
    assertTrue(channel.closed, "finishing closes the channel, which commits the upload");
    assertEquals(out.length, writer.compressedBytes());
    assertEquals(LINES.length(), writer.rawBytes());
    assertEquals(sha256(out), writer.sha256Hex());
    assertTrue(out.length < LINES.length() / 4, codec + ": " + out.length + " bytes");
    try (var in = codec.open(new ByteArrayInputStream(out))) {
      assertEquals(LINES, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void gzipShardsAreWrittenAtTheLevel() throws Exception {
    Channel fast = new Channel();
    writeLines(fast, ShardCodec.GZIP, 1).finish();
    Channel small = new Channel();
    writeLines(small, ShardCodec.GZIP, 9).finish();
    assertTrue(
        small.bytes.size() < fast.bytes.size(),
        "level 9: " + small.bytes.size() + " bytes, level 1: " + fast.bytes.size());
    if (!LibDeflate.available()) { // then java.util.zip writes them, byte for byte
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      try (GZIPOutputStream gz =
          new GZIPOutputStream(expected, 1 << 16) {
            {
              def.setLevel(9);
            }
          }) {
        gz.write(LINES.getBytes(StandardCharsets.UTF_8));
      }
      assertArrayEquals(expected.toByteArray(), small.bytes.toByteArray());
    }
  }

  @Test
  void zstdShardsAreOneFrameWithItsChecksumSoDamageIsFoundWithoutTheManifest() throws Exception {
    Channel channel = new Channel();
    ShardWriter writer = writeLines(channel, ShardCodec.ZSTD, 3);
    writer.finish();
    byte[] out = channel.bytes.toByteArray();
    assertEquals(
        0xFD2FB528,
        java.nio.ByteBuffer.wrap(out, 0, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(),
        "zstd magic");

    byte[] damaged = out.clone();
    damaged[damaged.length - 2] ^= 0x55; // in the frame's content checksum
    assertThrows(
        IOException.class,
        () -> {
          try (var in = ShardCodec.ZSTD.open(new ByteArrayInputStream(damaged))) {
            in.readAllBytes();
          }
        });
    byte[] truncated = java.util.Arrays.copyOf(out, out.length / 2);
    assertThrows(
        IOException.class,
        () -> {
          try (var in = ShardCodec.ZSTD.open(new ByteArrayInputStream(truncated))) {
            in.readAllBytes();
          }
        });
  }

  @ParameterizedTest
  @EnumSource(names = {"GZIP", "ZSTD"})
  void aDiscardedShardNeverClosesItsChannel(ShardCodec codec) throws Exception {
    Channel channel = new Channel();
    ShardWriter writer = writeLines(channel, codec, 1);
    writer.discard();
    assertFalse(channel.closed, "closing would commit a partial upload");
  }

  @Test
  void levelsAndNamesAreCheckedBeforeAnythingIsWritten() {
    assertEquals(ShardCodec.ZSTD, ShardCodec.ofOptions("jsonl", "zstd"));
    assertEquals(ShardCodec.GZIP, ShardCodec.ofOptions(null, null));
    assertEquals(ShardCodec.PARQUET_ZSTD, ShardCodec.ofOptions("parquet", null));
    assertEquals(ShardCodec.PARQUET_SNAPPY, ShardCodec.ofOptions("parquet", "snappy"));
    assertEquals(
        "--compression must be one of gzip, zstd for --format=jsonl, not 'lz4'",
        assertThrows(UserError.class, () -> ShardCodec.ofOptions("jsonl", "lz4")).getMessage());
    assertEquals(
        "--compression must be one of zstd, snappy for --format=parquet, not 'gzip'",
        assertThrows(UserError.class, () -> ShardCodec.ofOptions("parquet", "gzip")).getMessage());
    assertEquals(
        "--format must be one of jsonl, parquet, not 'avro'",
        assertThrows(UserError.class, () -> ShardCodec.ofOptions("avro", null)).getMessage());
    assertEquals(
        "--zstdLevel must be between 1 and 19 for zstd",
        assertThrows(UserError.class, () -> ShardCodec.ZSTD.checkLevel("--zstdLevel", 22))
            .getMessage());
    ShardCodec.GZIP.checkLevel("--gzipLevel", 9);
    assertEquals("part-00003-of-00010.jsonl.zst", ShardCodec.ZSTD.shardName(3, 10));
    assertEquals("part-00003-of-00010.jsonl.gz", ShardCodec.GZIP.shardName(3, 10));
    assertEquals("part-00003-of-00010.parquet", ShardCodec.PARQUET_SNAPPY.shardName(3, 10));
  }

  /** A writer at {@code level} into {@code channel}, given {@link #LINES} in 1,000-byte pieces. */
  private static ShardWriter writeLines(Channel channel, ShardCodec codec, int level)
      throws IOException {
    ShardWriter writer = new ShardWriter(channel, codec, level, List.of(), "t part");
    byte[] bytes = LINES.getBytes(StandardCharsets.UTF_8);
    for (int at = 0; at < bytes.length; at += 1000) {
      writer.sink().write(bytes, at, Math.min(1000, bytes.length - at));
      writer.sink().maybeFlush();
    }
    return writer;
  }

  private static String lines(int n) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n; i++) {
      s.append("{\"id\":").append(i).append(",\"note\":\"row ").append(i % 97).append("\"}\n");
    }
    return s.toString();
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /** A channel that keeps what it is given and remembers being closed. */
  private static final class Channel implements WritableByteChannel {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    volatile boolean closed;

    @Override
    public int write(ByteBuffer src) {
      int n = src.remaining();
      byte[] b = new byte[n];
      src.get(b);
      bytes.write(b, 0, n);
      return n;
    }

    @Override
    public boolean isOpen() {
      return !closed;
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}
