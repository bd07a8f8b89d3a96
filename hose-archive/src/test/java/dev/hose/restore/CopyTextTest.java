package dev.hose.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.archive.Column;
import dev.hose.archive.JsonKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class CopyTextTest {
  private static Column col(String name, JsonKind kind) {
    return new Column(name, "t", false, kind, null, ',');
  }

  private static Column array(String name, JsonKind element) {
    return new Column(name, "t[]", false, JsonKind.ARRAY, element, ',');
  }

  private static String copy(Column c, String json) throws Exception {
    String row = new CopyText(List.of(c)).toCopy("{\"" + c.name() + "\":" + json + "}");
    return row.substring(0, row.length() - 1);
  }

  @Test
  void numbersKeepEveryDigitAndSpecialValues() throws Exception {
    Column n = col("n", JsonKind.NUMBER);
    assertEquals(
        "123456789012345678901234567890.000000000000000000001",
        copy(n, "123456789012345678901234567890.000000000000000000001"));
    assertEquals("1.50", copy(n, "1.50"));
    assertEquals("1e-30", copy(n, "1e-30"));
    assertEquals("NaN", copy(n, "\"NaN\""));
    assertEquals("-Infinity", copy(n, "\"-Infinity\""));
  }

  @Test
  void scalarsBecomeTheirTextForm() throws Exception {
    assertEquals("t", copy(col("b", JsonKind.BOOLEAN), "true"));
    assertEquals("\\N", copy(col("b", JsonKind.BOOLEAN), "null"));
    assertEquals(
        "2026-11-24 01:02:03.123456+00:00",
        copy(col("ts", JsonKind.TIMESTAMPTZ), "\"2026-11-24T01:02:03.123456+00:00\""));
    assertEquals(
        "0044-03-15 12:00:00 BC",
        copy(col("ts", JsonKind.TIMESTAMP), "\"0044-03-15T12:00:00 BC\""));
    assertEquals("infinity", copy(col("ts", JsonKind.TIMESTAMP), "\"infinity\""));
    assertEquals("\\\\x00ff", copy(col("ba", JsonKind.BYTEA), "\"AP8=\""));
  }

  @Test
  void textIsEscapedForCopy() throws Exception {
    assertEquals(
        "a\\tb\\nc\\rd\\\\e \"q\" \u2028 日本",
        copy(col("t", JsonKind.TEXT), "\"a\\tb\\nc\\rd\\\\e \\\"q\\\" \u2028 日本\""));
    assertEquals("", copy(col("t", JsonKind.TEXT), "\"\""));
  }

  @Test
  void escapesAtEitherEndAndInARowAndTheRunsBetween() {
    String[][] cases = {
      {"plain", "plain"},
      {"\t", "\\t"},
      {"\\start", "\\\\start"},
      {"end\n", "end\\n"},
      {"\r\n\t\\", "\\r\\n\\t\\\\"},
      {"a\tb\tc", "a\\tb\\tc"},
      {"日本\t語", "日本\\t語"},
    };
    for (String[] c : cases) {
      StringBuilder out = new StringBuilder("x");
      CopyText.escapeCopy(new StringBuilder(c[0]), out);
      assertEquals("x" + c[1], out.toString(), c[0]);
    }
  }

  @Test
  void jsonIsCopiedAsItsOwnText() throws Exception {
    assertEquals(
        "{\"dup\": 1,   \"dup\": [2, {\"x\": \"y\\\\n\"}]}",
        copy(col("j", JsonKind.JSON), "{\"dup\": 1,   \"dup\": [2, {\"x\": \"y\\n\"}]}"));
    assertEquals("\"s\"", copy(col("j", JsonKind.JSONB), "\"s\""));
    assertEquals(
        "1.000000000000000000001", copy(col("j", JsonKind.JSONB), "1.000000000000000000001"));
  }

  @Test
  void arraysBecomeLiteralsWithNullsAndDimensions() throws Exception {
    assertEquals(
        "{{\"1\",NULL},{\"3\",\"4\"}}", copy(array("a", JsonKind.NUMBER), "[[1,null],[3,4]]"));
    assertEquals(
        "{\"a,b\",NULL,\"NULL\",\"a\\\\\"b\"}",
        copy(array("a", JsonKind.TEXT), "[\"a,b\",null,\"NULL\",\"a\\\"b\"]"));
    assertEquals("{}", copy(array("a", JsonKind.TEXT), "[]"));
    assertEquals(
        "{\"{\\\\\"a\\\\\": 1}\",NULL}", copy(array("a", JsonKind.JSON), "[{\"a\": 1},null]"));
  }

  @Test
  void aLineWithOtherKeysIsRefused() {
    CopyText text = new CopyText(List.of(col("a", JsonKind.NUMBER), col("b", JsonKind.NUMBER)));
    assertThrows(CopyText.BadLineException.class, () -> text.toCopy("{\"a\":1}"));
    assertThrows(CopyText.BadLineException.class, () -> text.toCopy("{\"b\":1,\"a\":2}"));
    assertThrows(CopyText.BadLineException.class, () -> text.toCopy("{\"a\":1,\"b\":2,\"c\":3}"));
    assertThrows(CopyText.BadLineException.class, () -> text.toCopy("[1,2]"));
    assertEquals("1\t2\n", assertDoesNotThrow(() -> text.toCopy("{\"a\":1,\"b\":2}")));
  }

  @Test
  void lineShapeChecksKeysInOrder() {
    LineShape shape = new LineShape(List.of("a", "b"));
    assertNull(shape.problem("{\"a\":{\"x\":[1]},\"b\":null}"));
    assertTrue(shape.problem("{\"b\":1,\"a\":2}").contains("expected \"a\""));
    assertTrue(shape.problem("{\"a\":1}").contains("1 keys"));
    assertTrue(shape.problem("{\"a\":1,\"b\":2,\"c\":3}").contains("more keys"));
    assertTrue(shape.problem("{\"a\":1,\"b\":").startsWith("not valid JSON"));
  }

  private static String assertDoesNotThrow(
      org.junit.jupiter.api.function.ThrowingSupplier<String> s) {
    return org.junit.jupiter.api.Assertions.assertDoesNotThrow(s);
  }
}
