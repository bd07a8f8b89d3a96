package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The PostgreSQL → Parquet mapping, and the text conversions that the writer and restore share. */
class ParquetColumnsTest {
  @Test
  void eachTypeGetsItsParquetType() {
    MessageType schema =
        ParquetColumns.schema(
            List.of(
                new ArchiveManifest.Column("id", "bigint", false),
                new ArchiveManifest.Column("qty", "smallint", true),
                new ArchiveManifest.Column("price", "numeric(12,2)", true),
                new ArchiveManifest.Column("cents", "numeric(9,0)", true),
                new ArchiveManifest.Column("huge", "numeric(38,10)", true),
                new ArchiveManifest.Column("any", "numeric", true),
                new ArchiveManifest.Column("odd", "numeric(3,5)", true),
                new ArchiveManifest.Column("nan", "numeric(12,2)", true, "holds NaN"),
                new ArchiveManifest.Column("f", "real", true),
                new ArchiveManifest.Column("d", "date", true),
                new ArchiveManifest.Column("ts", "timestamp(3) without time zone", true),
                new ArchiveManifest.Column("tstz", "timestamp with time zone", true),
                new ArchiveManifest.Column("u", "uuid", true),
                new ArchiveManifest.Column("j", "jsonb", true),
                new ArchiveManifest.Column("b", "bytea", true),
                new ArchiveManifest.Column("tags", "text[]", true),
                new ArchiveManifest.Column("iv", "interval", true),
                new ArchiveManifest.Column("e", "order_status", true)));
    MessageType expected =
        MessageTypeParser.parseMessageType(
            "message hose {\n"
                + " required int64 id;\n"
                + " optional int32 qty (INTEGER(16,true));\n"
                + " optional int64 price (DECIMAL(12,2));\n"
                + " optional int32 cents (DECIMAL(9,0));\n"
                + " optional fixed_len_byte_array(16) huge (DECIMAL(38,10));\n"
                + " optional binary any (STRING);\n"
                + " optional binary odd (STRING);\n"
                + " optional binary nan (STRING);\n"
                + " optional float f;\n"
                + " optional int32 d (DATE);\n"
                + " optional int64 ts (TIMESTAMP(MICROS,false));\n"
                + " optional int64 tstz (TIMESTAMP(MICROS,true));\n"
                + " optional fixed_len_byte_array(16) u (UUID);\n"
                + " optional binary j (JSON);\n"
                + " optional binary b;\n"
                + " optional group tags (LIST) {\n"
                + "  repeated group list {\n"
                + "   optional binary element (STRING);\n"
                + "  }\n"
                + " }\n"
                + " optional binary iv (STRING);\n"
                + " optional binary e (STRING);\n"
                + "}");
    assertEquals(expected, schema);
  }

  @Test
  void decimalWidthIsTheFewestBytesThatHoldThePrecision() {
    assertEquals(16, ParquetColumns.decimalBytes(38));
    assertEquals(9, ParquetColumns.decimalBytes(19));
    assertEquals(8, ParquetColumns.decimalBytes(18));
  }

  @ParameterizedTest
  @CsvSource({
    "2026-11-24, 2026-11-24",
    "1970-01-01, 1970-01-01",
    "0044-03-15 BC, 0044-03-15 BC",
    "0001-01-01 BC, 0001-01-01 BC",
    "5874897-12-31, 5874897-12-31",
    "infinity, infinity",
    "-infinity, -infinity"
  })
  void datesGoToDaysAndBack(String text, String back) {
    byte[] b = text.getBytes(StandardCharsets.US_ASCII);
    assertEquals(back, PgTemporal.dateText(PgTemporal.days(b, 0, b.length)));
  }

  @ParameterizedTest
  @CsvSource({
    "2026-11-24 01:02:03.123456, false, 2026-11-24 01:02:03.123456",
    "2026-11-24 01:02:03, false, 2026-11-24 01:02:03.000000",
    "2026-11-24 01:02:03.5+00, true, 2026-11-24 01:02:03.500000+00",
    "2026-11-24 01:02:03+05:30, true, 2026-11-23 19:32:03.000000+00",
    "1969-12-31 23:59:59.999999, false, 1969-12-31 23:59:59.999999",
    "0044-03-15 12:00:00 BC, false, 0044-03-15 12:00:00.000000 BC",
    "infinity, true, infinity",
    "-infinity, false, -infinity"
  })
  void timestampsGoToMicrosecondsAndBack(String text, boolean zoned, String back) {
    byte[] b = text.getBytes(StandardCharsets.US_ASCII);
    assertEquals(back, PgTemporal.timestampText(PgTemporal.micros(b, 0, b.length), zoned));
  }

  @Test
  void aTimestampBeyondInt64MicrosecondsIsRefusedNotWrapped() {
    byte[] b = "294270-01-01 00:00:00".getBytes(StandardCharsets.US_ASCII);
    PgTemporal.OutOfRangeException e =
        assertThrows(PgTemporal.OutOfRangeException.class, () -> PgTemporal.micros(b, 0, b.length));
    assertEquals(
        "timestamp 294270-01-01 00:00:00 is outside Parquet's TIMESTAMP(MICROS) range (294247 AD"
            + " at most)",
        e.getMessage());
  }

  @Test
  void arrayLiteralsSplitIntoElementsWithNulls() {
    List<byte[]> e =
        ParquetShardWriter.ArrayElements.parse(
            "{1,NULL,\"a b\",\"q\\\"x\",\"NULL\",\"\"}".getBytes(StandardCharsets.UTF_8));
    assertEquals(
        Arrays.asList("1", null, "a b", "q\"x", "NULL", ""),
        e.stream().map(b -> b == null ? null : new String(b, StandardCharsets.UTF_8)).toList());
    assertArrayEquals(
        new Object[0], ParquetShardWriter.ArrayElements.parse("{}".getBytes()).toArray());
    assertThrows(
        IllegalArgumentException.class,
        () -> ParquetShardWriter.ArrayElements.parse("{{1,2},{3,4}}".getBytes()));
    assertThrows(
        IllegalArgumentException.class,
        () -> ParquetShardWriter.ArrayElements.parse("[0:1]={1,2}".getBytes()));
  }
}
