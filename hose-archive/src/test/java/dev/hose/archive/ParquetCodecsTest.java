package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory.BytesInputCompressor;
import org.apache.parquet.compression.CompressionCodecFactory.BytesInputDecompressor;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ParquetCodecsTest {

  /**
   * A compressor reuses its buffers page after page, so each page it returned must stay as it was
   * while later pages (larger, smaller, made of several parts) go through the same compressor.
   */
  @ParameterizedTest
  @EnumSource(
      value = CompressionCodecName.class,
      names = {"ZSTD", "SNAPPY"})
  void pagesStayIntactWhileLaterPagesReuseTheBuffers(CompressionCodecName codec)
      throws IOException {
    ParquetCodecs codecs = new ParquetCodecs(3);
    BytesInputCompressor compressor = codecs.getCompressor(codec);
    assertEquals(compressor, codecs.getCompressor(codec), "one compressor per writer");
    BytesInputDecompressor decompressor = codecs.getDecompressor(codec);
    Random random = new Random(7);
    List<byte[]> pages = new ArrayList<>();
    List<byte[]> compressed = new ArrayList<>();
    for (int size : new int[] {1 << 20, 100, 300_000, 0, 2 << 20, 5}) {
      byte[] page = new byte[size];
      for (int i = 0; i < size; i++) {
        page[i] = (byte) ('a' + random.nextInt(i % 3 == 0 ? 26 : 4));
      }
      int half = size / 2;
      BytesInput parts =
          BytesInput.concat(
              BytesInput.from(page, 0, half), BytesInput.from(page, half, size - half));
      byte[] out = compressor.compress(parts).toByteArray();
      pages.add(page);
      compressed.add(out);
    }
    for (int i = 0; i < pages.size(); i++) {
      byte[] page = pages.get(i);
      byte[] back =
          decompressor.decompress(BytesInput.from(compressed.get(i)), page.length).toByteArray();
      assertArrayEquals(page, back, "page " + i);
    }
    assertNotSame(compressed.get(0), compressed.get(1));
    codecs.release();
  }

  @ParameterizedTest
  @EnumSource(
      value = CompressionCodecName.class,
      names = {"ZSTD", "SNAPPY"})
  void aPageOfRepeatedTextShrinks(CompressionCodecName codec) throws IOException {
    ParquetCodecs codecs = new ParquetCodecs(3);
    byte[] page = "hose ".repeat(50_000).getBytes(StandardCharsets.US_ASCII);
    long size = codecs.getCompressor(codec).compress(BytesInput.from(page)).size();
    codecs.release();
    assertTrue(size < page.length / 10, codec + ": " + size + " bytes");
  }
}
