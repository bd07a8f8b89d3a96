package dev.hose.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.archive.ShardCodec;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ShardStream's lines: whole across its read buffer's ends, as bytes and as strings. */
class ShardStreamTest {
  @TempDir Path dir;

  @Test
  void linesComeOutWholeWhereverTheReadBufferEnds() throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      lines.add("é".repeat(i * 97 % 1500) + i); // lines of many lengths across 64 KiB reads
    }
    lines.add("x".repeat(200_000)); // longer than the read buffer
    lines.add("");
    lines.add("crlf");
    lines.add("last, with no newline");
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < lines.size(); i++) {
      text.append(lines.get(i));
      if (i < lines.size() - 1) {
        text.append(lines.get(i).equals("crlf") ? "\r\n" : "\n");
      }
    }
    Path shard = gzip(text.toString().getBytes(StandardCharsets.UTF_8));

    try (ShardStream in = ShardStream.open(shard.toString(), ShardCodec.GZIP)) {
      for (String expected : lines) {
        assertTrue(in.nextLine());
        String got = new String(in.line(), in.lineStart(), in.lineLength(), StandardCharsets.UTF_8);
        assertEquals(expected, got);
      }
      assertFalse(in.nextLine());
      assertEquals(lines.size(), in.lines());
    }
    try (ShardStream in = ShardStream.open(shard.toString(), ShardCodec.GZIP)) {
      for (String expected : lines) {
        assertEquals(expected, in.readLine());
      }
      assertEquals(null, in.readLine());
    }
  }

  @Test
  void malformedUtf8IsAnErrorAndU_FFFDIsNot() throws Exception {
    byte[] ok = "a \uFFFD b".getBytes(StandardCharsets.UTF_8);
    assertEquals("a \uFFFD b", ShardStream.decode(ok, 0, ok.length));
    byte[] bad = {'a', (byte) 0xc3, '(', 'b'};
    assertThrows(CharacterCodingException.class, () -> ShardStream.decode(bad, 0, bad.length));
    byte[] surrogate = {(byte) 0xed, (byte) 0xa0, (byte) 0x80};
    assertThrows(
        CharacterCodingException.class, () -> ShardStream.decode(surrogate, 0, surrogate.length));
  }

  private Path gzip(byte[] content) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(bytes)) {
      out.write(content);
    }
    return Files.write(dir.resolve("part-00000-of-00001.jsonl.gz"), bytes.toByteArray());
  }
}
