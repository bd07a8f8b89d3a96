package dev.hose.support;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

/**
 * The tests' one reader of compressed JSON-lines files (archive shards, detect's outputs): gzip or
 * zstd, told apart by their magic bytes.
 */
public final class JsonLines {
  /** Reads numbers exactly: a numeric column's value compares as written. */
  public static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  private JsonLines() {}

  /** Calls {@code each} with every line of a gzipped file, streaming. */
  public static void forEach(Path gz, Consumer<String> each) throws IOException {
    try (InputStream in = Files.newInputStream(gz)) {
      forEach(in, each);
    }
  }

  /** Calls {@code each} with every line of gzipped bytes (an object read from S3). */
  public static void forEach(byte[] gz, Consumer<String> each) throws IOException {
    forEach(new ByteArrayInputStream(gz), each);
  }

  private static void forEach(InputStream compressed, Consumer<String> each) throws IOException {
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(decompressing(compressed), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        each.accept(line);
      }
    }
  }

  /** gzip (1f 8b) or zstd (28 b5 2f fd), by the stream's first bytes. */
  private static InputStream decompressing(InputStream in) throws IOException {
    BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
    buffered.mark(4);
    byte[] magic = buffered.readNBytes(4);
    buffered.reset();
    if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5) {
      return new ZstdInputStreamNoFinalizer(buffered);
    }
    return new GZIPInputStream(buffered, 1 << 16);
  }

  /** Every line of a gzipped file. */
  public static List<String> lines(Path gz) throws IOException {
    List<String> lines = new ArrayList<>();
    forEach(gz, lines::add);
    return lines;
  }

  /** Every line of gzipped bytes. */
  public static List<String> lines(byte[] gz) throws IOException {
    List<String> lines = new ArrayList<>();
    forEach(gz, lines::add);
    return lines;
  }

  /** Every line of a gzipped file, parsed. */
  public static List<JsonNode> read(Path gz) throws IOException {
    List<JsonNode> rows = new ArrayList<>();
    forEach(
        gz,
        line -> {
          try {
            rows.add(JSON.readTree(line));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
    return rows;
  }
}
