package dev.hose.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.archive.Column;
import dev.hose.archive.JsonKind;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * CopyBinary's binary values, byte for byte, for the text forms it takes, and the forms it leaves
 * to the text format. {@code CopyBinaryIT} checks the same conversions against PostgreSQL itself.
 */
class CopyBinaryTest {
  @Test
  void tablesOfOtherTypesStayInTheTextFormat() {
    assertNotNull(CopyBinary.forColumns(List.of(col("a", "numeric(14,4)", JsonKind.NUMBER))));
    assertNotNull(
        CopyBinary.forColumns(
            List.of(
                col("a", "timestamp(3) with time zone", JsonKind.TIMESTAMPTZ),
                col("b", "character varying(20)", JsonKind.TEXT),
                array("c", "text[]", JsonKind.TEXT))));
    assertNull(CopyBinary.forColumns(List.of(col("a", "interval", JsonKind.TEXT))));
    assertNull(CopyBinary.forColumns(List.of(col("a", "mood", JsonKind.TEXT)))); // an enum
    assertNull(CopyBinary.forColumns(List.of(col("a", "positive_int", JsonKind.NUMBER))));
    assertNull(CopyBinary.forColumns(List.of(array("a", "box[]", JsonKind.TEXT))));
    // A type name whose kind is not the one archive gives that type is not trusted.
    assertNull(CopyBinary.forColumns(List.of(col("a", "bigint", JsonKind.TEXT))));
  }

  @Test
  void integersAndFloats() {
    assertEquals("00000008000000000000002a", value("bigint", JsonKind.NUMBER, "42"));
    assertEquals(
        "000000088000000000000000", value("bigint", JsonKind.NUMBER, "-9223372036854775808"));
    assertEquals("00000002ff85", value("smallint", JsonKind.NUMBER, "-123"));
    assertEquals("000000047fffffff", value("integer", JsonKind.NUMBER, "2147483647"));
    assertNull(value("integer", JsonKind.NUMBER, "2147483648"));
    assertNull(value("smallint", JsonKind.NUMBER, "1.5"));
    assertNull(value("bigint", JsonKind.NUMBER, "9223372036854775808"));
    assertEquals(
        "00000008" + hex(Double.doubleToRawLongBits(0.1)),
        value("double precision", JsonKind.NUMBER, "0.1"));
    assertEquals(
        "00000008" + hex(Double.doubleToRawLongBits(-1.5e-300)),
        value("double precision", JsonKind.NUMBER, "-1.5e-300"));
    assertEquals(
        "00000004" + hex(Float.floatToRawIntBits(3.4028235e38f)),
        value("real", JsonKind.NUMBER, "3.4028235e+38"));
    assertEquals("000000087ff8000000000000", value("double precision", JsonKind.NUMBER, "NaN"));
    assertEquals("000000047f800000", value("real", JsonKind.NUMBER, "Infinity"));
    assertNull(value("double precision", JsonKind.NUMBER, "1e400")); // the server refuses it
    assertNull(value("double precision", JsonKind.NUMBER, "1e-400"));
    assertNull(value("double precision", JsonKind.NUMBER, "1.5d"));
    assertNull(value("double precision", JsonKind.NUMBER, "0x1p3"));
  }

  @Test
  void numericsInBase10000GroupsFromTheDecimalPoint() {
    // ndigits, weight, sign, dscale, digits
    assertEquals(
        "0000000e" + "0003" + "0001" + "0000" + "0004" + "0001" + "0929" + "1a85",
        value("numeric", JsonKind.NUMBER, "12345.6789"));
    assertEquals(
        "0000000a" + "0001" + "ffff" + "4000" + "0001" + "1388",
        value("numeric(3,1)", JsonKind.NUMBER, "-0.5"));
    assertEquals(
        "0000000c" + "0002" + "ffff" + "0000" + "0006" + "0000" + "01f4",
        value("numeric", JsonKind.NUMBER, "0.000005")); // the server drops the leading zero group
    assertEquals(
        "0000000a" + "0001" + "ffff" + "0000" + "0002" + "0000",
        value("numeric", JsonKind.NUMBER, "0.00"));
    assertEquals(
        "0000000c" + "0002" + "0001" + "0000" + "0000" + "0001" + "0000",
        value("numeric", JsonKind.NUMBER, "10000"));
    assertEquals(
        "00000008" + "0000" + "0000" + "c000" + "0000", value("numeric", JsonKind.NUMBER, "NaN"));
    assertEquals(
        "00000008" + "0000" + "0000" + "f000" + "0000",
        value("numeric", JsonKind.NUMBER, "-Infinity"));
    assertNull(value("numeric", JsonKind.NUMBER, "1e5"));
    assertNull(value("numeric", JsonKind.NUMBER, ".5"));
    assertNull(value("numeric", JsonKind.NUMBER, "5."));
    assertNull(value("numeric", JsonKind.NUMBER, "--5"));
  }

  @Test
  void datesAndTimestampsFromPostgresqlsEpoch() {
    assertEquals("0000000400000000", value("date", JsonKind.DATE, "2000-01-01"));
    assertEquals(
        "00000004" + hex((int) (LocalDate.of(1, 1, 1).toEpochDay() - 10957)),
        value("date", JsonKind.DATE, "0001-01-01"));
    assertEquals(
        "00000004" + hex((int) (LocalDate.of(2024, 2, 29).toEpochDay() - 10957)),
        value("date", JsonKind.DATE, "2024-02-29"));
    assertEquals("000000047fffffff", value("date", JsonKind.DATE, "infinity"));
    assertNull(value("date", JsonKind.DATE, "2023-02-29"));
    assertNull(value("date", JsonKind.DATE, "0044-03-15 BC"));
    assertNull(value("date", JsonKind.DATE, "12345-01-01"));

    String tz = "timestamp with time zone";
    assertEquals(
        "000000080000000000000000", value(tz, JsonKind.TIMESTAMPTZ, "2000-01-01 00:00:00+00:00"));
    assertEquals(
        "00000008" + hex(-946_684_800_000_000L + 1),
        value(tz, JsonKind.TIMESTAMPTZ, "1970-01-01 00:00:00.000001+00"));
    // An offset is taken away: 05:30 at +05:30 is midnight UTC.
    assertEquals(
        "000000080000000000000000", value(tz, JsonKind.TIMESTAMPTZ, "2000-01-01 05:30:00+05:30"));
    assertEquals(
        "00000008" + hex(-3_600_000_000L - 61_000_000L),
        value(tz, JsonKind.TIMESTAMPTZ, "1999-12-31 22:58:59-00:00:00"));
    assertEquals(
        "00000008" + hex(123_400L), value(tz, JsonKind.TIMESTAMPTZ, "2000-01-01 01:00:00.1234+01"));
    assertEquals("000000088000000000000000", value(tz, JsonKind.TIMESTAMPTZ, "-infinity"));
    assertNull(value(tz, JsonKind.TIMESTAMPTZ, "2000-01-01 00:00:00")); // the session's zone
    assertNull(value(tz, JsonKind.TIMESTAMPTZ, "0044-03-15 12:00:00+00:00 BC"));
    assertNull(value(tz, JsonKind.TIMESTAMPTZ, "2000-01-01 00:00:00.1234567+00"));
    assertNull(value(tz, JsonKind.TIMESTAMPTZ, "2000-01-01 24:00:00+00"));
    assertNull(value(tz, JsonKind.TIMESTAMPTZ, "2000-01-01 00:00:60+00"));

    String plain = "timestamp without time zone";
    assertEquals(
        "00000008" + hex(86_400_000_000L + 1_000_000L),
        value(plain, JsonKind.TIMESTAMP, "2000-01-02 00:00:01"));
    assertNull(value(plain, JsonKind.TIMESTAMP, "2000-01-02 00:00:01+00")); // ignored by the server
  }

  @Test
  void textJsonUuidAndBytea() {
    assertEquals("00000005" + hex("a\tb\\c"), value("text", JsonKind.TEXT, "a\\tb\\\\c"));
    assertEquals("00000000", value("text", JsonKind.TEXT, ""));
    assertEquals("00000003" + hex("日"), value("character varying(3)", JsonKind.TEXT, "日"));
    assertEquals("00000008" + "01" + hex("{\"a\":1}"), value("jsonb", JsonKind.JSONB, "{\"a\":1}"));
    assertEquals("00000007" + hex("{\"a\":1}"), value("json", JsonKind.JSON, "{\"a\":1}"));
    assertEquals(
        "00000010" + "a0eebc999c0b4ef8bb6d6bb9bd380a11",
        value("uuid", JsonKind.TEXT, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
    assertNull(value("uuid", JsonKind.TEXT, "a0eebc999c0b4ef8bb6d6bb9bd380a11"));
    assertEquals("0000000300ff10", value("bytea", JsonKind.BYTEA, "\\\\x00ff10"));
    assertEquals("00000000", value("bytea", JsonKind.BYTEA, "\\\\x"));
    assertNull(value("bytea", JsonKind.BYTEA, "\\\\000"));
    assertNull(value("text", JsonKind.TEXT, "a\\qb")); // an escape CopyText never writes
    assertEquals("00000001" + "01", value("boolean", JsonKind.BOOLEAN, "t"));
    assertNull(value("boolean", JsonKind.BOOLEAN, "true"));
  }

  @Test
  void oneDimensionalArraysWithTheirElementType() {
    CopyBinary b = CopyBinary.forColumns(List.of(array("tags", "text[]", JsonKind.TEXT)));
    // ndim 1, has nulls, element type 25 (text), 3 elements from 1: "a", NULL, "q\"\\"
    assertEquals(
        "0001"
            + "00000024"
            + "00000001"
            + "00000001"
            + "00000019"
            + "00000003"
            + "00000001"
            + "00000001"
            + hex("a")
            + "ffffffff"
            + "00000003"
            + hex("q\"\\"),
        convert(b, "{\"a\",NULL,\"q\\\\\"\\\\\\\\\"}"));
    assertEquals("0001" + "0000000c" + "00000000" + "00000000" + "00000019", convert(b, "{}"));
    assertNull(convert(b, "{{\"a\"},{\"b\"}}")); // two dimensions
    assertNull(convert(b, "{a,b}")); // not quoted, as CopyText always quotes
    assertNull(convert(b, "{\"a\",}"));
    assertNull(convert(b, "{\"a\""));
    CopyBinary ints = CopyBinary.forColumns(List.of(array("n", "integer[]", JsonKind.NUMBER)));
    assertEquals(
        "0001"
            + "0000001c"
            + "00000001"
            + "00000000"
            + "00000017"
            + "00000001"
            + "00000001"
            + "00000004"
            + "00000007",
        convert(ints, "{\"7\"}"));
    assertNull(convert(ints, "{\"x\"}"));
  }

  @Test
  void rowsHaveExactlyTheirColumnsFields() {
    CopyBinary b =
        CopyBinary.forColumns(
            List.of(col("id", "bigint", JsonKind.NUMBER), col("t", "text", JsonKind.TEXT)));
    assertEquals("0002" + "00000008000000000000000a" + "ffffffff", convert(b, "10\t\\N"));
    assertNull(convert(b, "10"));
    assertEquals(1, b.refusedColumn());
    assertNull(convert(b, "10\tx\ty"));
    assertEquals(1, b.refusedColumn());
    assertNull(convert(b, "x\ty"));
    assertEquals(0, b.refusedColumn());
    assertFalse(b.convert("10\tx".getBytes(StandardCharsets.UTF_8), 0, 4)); // no newline
  }

  @Test
  void byteScansFindWhatALoopFinds() {
    Random random = new Random(21);
    byte[] alphabet = {'a', 'Z', ' ', '\t', '\n', '"', '\\', 0x1f, 0x7f, (byte) 0xc3, (byte) 0x80};
    for (int round = 0; round < 20_000; round++) {
      byte[] b = new byte[random.nextInt(40)];
      for (int i = 0; i < b.length; i++) {
        b[i] = random.nextInt(4) == 0 ? alphabet[random.nextInt(alphabet.length)] : (byte) 'x';
      }
      int from = b.length == 0 ? 0 : random.nextInt(b.length);
      int to = from + (b.length == from ? 0 : random.nextInt(b.length - from + 1));
      int plain = from;
      while (plain < to && b[plain] >= 0x20 && b[plain] != '"' && b[plain] != '\\') {
        plain++;
      }
      int tab = from;
      while (tab < to && b[tab] != '\t' && b[tab] != '\\') {
        tab++;
      }
      String at = Arrays.toString(b) + " " + from + ".." + to;
      assertEquals(plain, ByteScan.plainRun(b, from, to), at);
      assertEquals(tab, ByteScan.tabOrBackslash(b, from, to), at);
      for (byte value : new byte[] {'\n', (byte) 0xc3}) {
        int found = from;
        while (found < to && b[found] != value) {
          found++;
        }
        assertEquals(found, ByteScan.indexOf(b, from, to, value), at);
      }
    }
  }

  /** The length-prefixed binary value of one column of {@code type}, as hex; null if refused. */
  private static String value(String type, JsonKind kind, String text) {
    CopyBinary b = CopyBinary.forColumns(List.of(col("c", type, kind)));
    assertNotNull(b, type);
    String row = convert(b, text);
    if (row == null) {
      return null;
    }
    assertTrue(row.startsWith("0001"), row);
    return row.substring(4);
  }

  /** The binary row of one COPY text row (without its newline), as hex; null if refused. */
  private static String convert(CopyBinary b, String textRow) {
    byte[] row = (textRow + "\n").getBytes(StandardCharsets.UTF_8);
    if (!b.convert(row, 0, row.length)) {
      return null;
    }
    return HexFormat.of().formatHex(b.row(), 0, b.size());
  }

  private static Column col(String name, String type, JsonKind kind) {
    return new Column(name, type, false, kind, null, ',');
  }

  private static Column array(String name, String type, JsonKind elementKind) {
    return new Column(name, type, false, JsonKind.ARRAY, elementKind, ',');
  }

  private static String hex(long v) {
    return HexFormat.of().formatHex(ByteBuffer.allocate(8).putLong(v).array());
  }

  private static String hex(int v) {
    return HexFormat.of().formatHex(ByteBuffer.allocate(4).putInt(v).array());
  }

  private static String hex(String s) {
    return HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8));
  }
}
