package dev.hose.archive;

import static dev.hose.archive.RowJsonWriter.toJson;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RowJsonWriterTest {
  @Test
  void numbersStayBareWithEveryDigit() {
    assertEquals("9223372036854775807", toJson(JsonKind.NUMBER, null, "9223372036854775807"));
    assertEquals(
        "123456789012345678901234567890.123456789",
        toJson(JsonKind.NUMBER, null, "123456789012345678901234567890.123456789"));
    assertEquals("1e+300", toJson(JsonKind.NUMBER, null, "1e+300"));
  }

  @Test
  void nanAndInfinitiesBecomeStrings() {
    assertEquals("\"NaN\"", toJson(JsonKind.NUMBER, null, "NaN"));
    assertEquals("\"Infinity\"", toJson(JsonKind.NUMBER, null, "Infinity"));
    assertEquals("\"-Infinity\"", toJson(JsonKind.NUMBER, null, "-Infinity"));
  }

  @Test
  void textIsEscaped() {
    assertEquals(
        "\"q\\\" b\\\\ n\\n t\\t c\\u0007 é 😀\"",
        toJson(JsonKind.TEXT, null, "q\" b\\ n\n t\t c\u0007 é 😀"));
  }

  @Test
  void timestampsBecomeIsoWithZoneInUtc() {
    assertEquals(
        "\"2026-11-24T01:02:03.123456\"",
        toJson(JsonKind.TIMESTAMP, null, "2026-11-24 01:02:03.123456"));
    assertEquals(
        "\"2026-11-24T01:02:03.5+00:00\"",
        toJson(JsonKind.TIMESTAMPTZ, null, "2026-11-24 01:02:03.5+00"));
    assertEquals("\"infinity\"", toJson(JsonKind.TIMESTAMPTZ, null, "infinity"));
    assertEquals(
        "\"0044-03-15T00:00:00 BC\"", toJson(JsonKind.TIMESTAMP, null, "0044-03-15 00:00:00 BC"));
  }

  @Test
  void byteaBecomesBase64() {
    assertEquals("\"AP8Q\"", toJson(JsonKind.BYTEA, null, "\\x00ff10"));
  }

  @Test
  void jsonIsEmbeddedOnOneLine() {
    assertEquals("{\"a\": [1, 2, 3]}", toJson(JsonKind.JSON, null, "{\"a\": [1, 2,\n3]}"));
  }

  @Test
  void arraysBecomeJsonArrays() {
    assertEquals("[1,null,3]", toJson(JsonKind.ARRAY, JsonKind.NUMBER, "{1,NULL,3}"));
    assertEquals("[[1,2],[3,4]]", toJson(JsonKind.ARRAY, JsonKind.NUMBER, "{{1,2},{3,4}}"));
    assertEquals(
        "[\"a,b\",null,\"NULL\",\"\\\\\\\"q\\\\\\\"\"]",
        toJson(JsonKind.ARRAY, JsonKind.TEXT, "{\"a,b\",NULL,\"NULL\",\"\\\\\\\"q\\\\\\\"\"}"));
    assertEquals("[]", toJson(JsonKind.ARRAY, JsonKind.TEXT, "{}"));
    assertEquals("[1,2]", toJson(JsonKind.ARRAY, JsonKind.NUMBER, "[0:1]={1,2}"));
    assertEquals("[true,false]", toJson(JsonKind.ARRAY, JsonKind.BOOLEAN, "{t,f}"));
  }
}
