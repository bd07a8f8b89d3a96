package dev.hose.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.hose.archive.Column;
import dev.hose.archive.JsonKind;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * CopyBytes is only a fast way to CopyText's rows: for every line it takes, its row must be
 * CopyText's, byte for byte; lines it does not take go to CopyText.
 */
class CopyBytesTest {
  private static final List<Column> COLUMNS =
      List.of(
          col("id", JsonKind.NUMBER),
          col("ok", JsonKind.BOOLEAN),
          col("ts", JsonKind.TIMESTAMPTZ),
          col("t", JsonKind.TEXT),
          col("d", JsonKind.DATE),
          col("j", JsonKind.JSONB),
          col("b", JsonKind.BYTEA),
          new Column("tags", "text[]", true, JsonKind.ARRAY, JsonKind.TEXT, ','),
          new Column("js", "json[]", true, JsonKind.ARRAY, JsonKind.JSON, ','),
          new Column("bs", "bytea[]", true, JsonKind.ARRAY, JsonKind.BYTEA, ','),
          new Column("boxes", "box[]", true, JsonKind.ARRAY, JsonKind.TEXT, ';'),
          col("Odd \"name\" ü", JsonKind.TEXT));

  private static Column col(String name, JsonKind kind) {
    return new Column(name, "t", true, kind, null, ',');
  }

  @Test
  void linesArchiveWritesConvertToCopyTextsRows() throws Exception {
    List<String> bodies =
        List.of(
            "{\"id\":1,\"ok\":true,\"ts\":\"2026-11-24T01:02:03.123456+00:00\",\"t\":\"a\\tb\\nc"
                + "\\rd\\\\e \\\"q\\\" \u2028 日本 \\u0001 \\ud83d\\ude00 😀\",\"d\":\"0044-03-15 BC\","
                + "\"j\":{\"n\": 1.000000000000000000001, \"s\": \"a\\tb\\\\\", \"e\": 1e400,"
                + " \"x\": [true, false, null, -0.5E+3, {}, []]},\"b\":\"AP9cCgk=\","
                + "\"tags\":[\"a\",null,\"\\\"q\\\",\\\\\",\"tab\\there\",\"\"],"
                + "\"js\":[{\"a\": [1, \"b\\\"\"]},null,[1,2],\"s\"],\"bs\":[\"AP8=\",null,\"\"],"
                + "\"boxes\":[\"(1,1),(0,0)\",\"(2,2),(1,1)\"]",
            "{\"id\":\"NaN\",\"ok\":false,\"ts\":\"infinity\",\"t\":\"\",\"d\":\"2000-02-29\","
                + "\"j\":\"str\",\"b\":\"\",\"tags\":[],\"js\":[],\"bs\":[],\"boxes\":[]",
            "{\"id\":null,\"ok\":null,\"ts\":null,\"t\":null,\"d\":null,\"j\":null,\"b\":null,"
                + "\"tags\":null,\"js\":null,\"bs\":null,\"boxes\":null",
            "{\"id\":-12345678901234567890.5e-7,\"ok\":true,\"ts\":\"0044-03-15T12:00:00 BC\","
                + "\"t\":\"T\",\"d\":\"x\",\"j\":[[[]]],\"b\":\"QUJD\",\"tags\":[[\"a\",\"b\"],"
                + "[null,\"d\"]],\"js\":[1],\"bs\":[\"QQ==\"],\"boxes\":[\"a;b\"]");
    List<Column> plain = COLUMNS.subList(0, COLUMNS.size() - 1);
    for (String body : bodies) {
      assertConvertsAlike(plain, body + "}");
      // A key that JSON escapes (a quote in a column's name): the line goes to CopyText.
      String line = body + ",\"Odd \\\"name\\\" ü\":\"x\"}";
      byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
      assertFalse(new CopyBytes(COLUMNS).convert(bytes, 0, bytes.length), line);
      new CopyText(COLUMNS).toCopy(line); // which takes it
    }
  }

  @Test
  void randomTextsConvertToCopyTextsRows() throws Exception {
    Random random = new Random(42);
    List<Column> columns =
        List.of(
            col("t", JsonKind.TEXT),
            new Column("a", "text[]", true, JsonKind.ARRAY, JsonKind.TEXT, ','),
            col("ü", JsonKind.TEXT));
    JsonFactory json = new JsonFactory();
    for (int n = 0; n < 5_000; n++) {
      StringWriter w = new StringWriter();
      try (JsonGenerator g = json.createGenerator(w)) {
        g.writeStartObject();
        g.writeStringField("t", randomText(random));
        g.writeArrayFieldStart("a");
        g.writeString(randomText(random));
        g.writeNull();
        g.writeString(randomText(random));
        g.writeEndArray();
        g.writeStringField("ü", randomText(random));
        g.writeEndObject();
      }
      assertConvertsAlike(columns, w.toString());
    }
  }

  @Test
  void damagedLinesAreLeftToCopyTextOrConvertAlike() throws Exception {
    String good =
        "{\"id\":12.5,\"ok\":true,\"ts\":\"2026-11-24T01:02:03+00:00\",\"t\":\"a\\tü\","
            + "\"d\":\"2026-01-01\",\"j\":{\"k\": [1, \"x\"]},\"b\":\"AP9cCgk=\","
            + "\"tags\":[\"a\",null],\"js\":[{\"a\":1}],\"bs\":[\"AP8=\"],\"boxes\":[\"b\"]}";
    List<Column> columns = COLUMNS.subList(0, 11);
    byte[] original = good.getBytes(StandardCharsets.UTF_8);
    CopyBytes fast = new CopyBytes(columns);
    assertTrue(fast.convert(original, 0, original.length), good);
    Random random = new Random(7);
    byte[] alphabet = "{}[]\":,\\ntu0e.-+=AQ/ \u00fc".getBytes(StandardCharsets.UTF_8);
    int taken = 0;
    for (int n = 0; n < 20_000; n++) {
      byte[] line = original.clone();
      int length = line.length;
      switch (random.nextInt(3)) {
        case 0 -> line[random.nextInt(length)] = alphabet[random.nextInt(alphabet.length)];
        case 1 -> line[random.nextInt(length)] = (byte) random.nextInt(256);
        default -> length = random.nextInt(length);
      }
      // The line in the middle of a buffer, other bytes before and after it.
      byte[] padded = new byte[line.length + 128];
      Arrays.fill(padded, (byte) '}');
      System.arraycopy(line, 0, padded, 64, length);
      if (fast.convert(padded, 64, length)) {
        taken++;
        String text = new String(line, 0, length, StandardCharsets.UTF_8);
        byte[] expected;
        try {
          expected =
              new CopyText(columns)
                  .toCopy(ShardStream.decode(line, 0, length))
                  .getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new AssertionError("CopyBytes took a line CopyText refuses: " + text, e);
        }
        assertArrayEquals(expected, Arrays.copyOf(fast.row(), fast.size()), text);
      }
    }
    assertTrue(taken > 1_000, "damage that leaves a valid line is still converted: " + taken);
  }

  /** CopyBytes takes {@code line}, and its row is CopyText's. */
  private static void assertConvertsAlike(List<Column> columns, String line) throws Exception {
    CopyBytes fast = new CopyBytes(columns);
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    assertTrue(fast.convert(bytes, 0, bytes.length), line);
    assertArrayEquals(
        new CopyText(columns).toCopy(line).getBytes(StandardCharsets.UTF_8),
        Arrays.copyOf(fast.row(), fast.size()),
        line);
  }

  private static String randomText(Random random) {
    StringBuilder s = new StringBuilder();
    int n = random.nextInt(12);
    for (int i = 0; i < n; i++) {
      int pick = random.nextInt(10);
      int c =
          switch (pick) {
            case 0 -> random.nextInt(0x20); // control characters
            case 1 -> "\"\\/\t\n\rT".charAt(random.nextInt(7));
            case 2 -> 0x80 + random.nextInt(0x780); // two bytes
            case 3 -> 0x800 + random.nextInt(0xd000); // three bytes, below the surrogates
            case 4 -> 0x10000 + random.nextInt(0x100000); // four bytes
            case 5 -> 0x2028 + random.nextInt(2);
            default -> 0x20 + random.nextInt(0x60);
          };
      s.appendCodePoint(c);
    }
    return s.toString();
  }
}
