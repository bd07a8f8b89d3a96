package dev.hose.archive;

import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimeUnit;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * The Parquet schema of an archived table, from its manifest's columns: the one mapping that the
 * writer, verify, restore and {@code hose schema} share (docs/reading.md has the table).
 *
 * <ul>
 *   <li>smallint, integer → INT32 (INT(16)/INT(32)); bigint → INT64; real → FLOAT; double → DOUBLE;
 *   <li>numeric(p,s) with p ≤ 38 → DECIMAL(p,s) (INT32 to p 9, INT64 to 18, else fixed bytes);
 *       numeric without precision or over 38 digits → its text as STRING;
 *   <li>boolean → BOOLEAN; date → DATE; timestamp → TIMESTAMP(MICROS) not adjusted to UTC;
 *       timestamptz → TIMESTAMP(MICROS) adjusted to UTC; uuid → UUID; json, jsonb → JSON; bytea →
 *       BINARY;
 *   <li>one-dimensional arrays → LIST of the element's type, NULL elements kept;
 *   <li>text, and every other type (time, interval, enums, domains, ...) → its text form as STRING;
 *   <li>a column whose manifest entry has a {@code fallback} → its text form as STRING.
 * </ul>
 *
 * A nullable column is OPTIONAL, a NOT NULL one REQUIRED.
 */
public final class ParquetColumns {
  /** The message's name in every shard's schema. */
  public static final String MESSAGE = "hose";

  private ParquetColumns() {}

  /** The schema of a table's shards, columns in table order. */
  public static MessageType schema(List<ArchiveManifest.Column> columns) {
    List<Type> fields = new ArrayList<>();
    for (ArchiveManifest.Column c : columns) {
      fields.add(field(c));
    }
    return new MessageType(MESSAGE, fields);
  }

  /**
   * Whether a column is its text form in Parquet (by its type, or as a recorded fallback); an array
   * of text is a LIST, not this.
   */
  public static boolean asText(ArchiveManifest.Column c) {
    PgType t = PgType.parse(c.type());
    return c.fallback() != null || (!t.array() && textual(t));
  }

  private static boolean textual(PgType t) {
    return switch (t.kind()) {
      case TEXT, OTHER -> true;
      case NUMERIC -> !decimal(t);
      default -> false;
    };
  }

  /** A numeric that Parquet's DECIMAL holds: p ≤ 38 and 0 ≤ s ≤ p. */
  public static boolean decimal(PgType t) {
    return t.boundedDecimal() && t.scale() <= t.precision();
  }

  private static Type field(ArchiveManifest.Column c) {
    Type.Repetition repetition = c.nullable() ? Type.Repetition.OPTIONAL : Type.Repetition.REQUIRED;
    PgType t = PgType.parse(c.type());
    if (c.fallback() != null) {
      return text(Types.primitive(PrimitiveTypeName.BINARY, repetition), c.name());
    }
    if (t.array()) {
      Type element = scalar(t, Type.Repetition.OPTIONAL, "element");
      return Types.buildGroup(repetition)
          .as(LogicalTypeAnnotation.listType())
          .addField(Types.repeatedGroup().addField(element).named("list"))
          .named(c.name());
    }
    return scalar(t, repetition, c.name());
  }

  private static Type scalar(PgType t, Type.Repetition repetition, String name) {
    return switch (t.kind()) {
      case SMALLINT ->
          Types.primitive(PrimitiveTypeName.INT32, repetition)
              .as(LogicalTypeAnnotation.intType(16, true))
              .named(name);
      case INTEGER -> Types.primitive(PrimitiveTypeName.INT32, repetition).named(name);
      case BIGINT -> Types.primitive(PrimitiveTypeName.INT64, repetition).named(name);
      case REAL -> Types.primitive(PrimitiveTypeName.FLOAT, repetition).named(name);
      case DOUBLE -> Types.primitive(PrimitiveTypeName.DOUBLE, repetition).named(name);
      case BOOLEAN -> Types.primitive(PrimitiveTypeName.BOOLEAN, repetition).named(name);
      case NUMERIC -> decimal(t) ? decimal(t, repetition, name) : text(repetition, name);
      case DATE ->
          Types.primitive(PrimitiveTypeName.INT32, repetition)
              .as(LogicalTypeAnnotation.dateType())
              .named(name);
      case TIMESTAMP, TIMESTAMPTZ ->
          Types.primitive(PrimitiveTypeName.INT64, repetition)
              .as(
                  LogicalTypeAnnotation.timestampType(
                      t.kind() == PgType.Kind.TIMESTAMPTZ, TimeUnit.MICROS))
              .named(name);
      case UUID ->
          Types.primitive(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY, repetition)
              .length(16)
              .as(LogicalTypeAnnotation.uuidType())
              .named(name);
      case JSON ->
          Types.primitive(PrimitiveTypeName.BINARY, repetition)
              .as(LogicalTypeAnnotation.jsonType())
              .named(name);
      case BYTEA -> Types.primitive(PrimitiveTypeName.BINARY, repetition).named(name);
      case TEXT, OTHER -> text(repetition, name);
    };
  }

  private static Type text(Type.Repetition repetition, String name) {
    return text(Types.primitive(PrimitiveTypeName.BINARY, repetition), name);
  }

  private static Type text(Types.PrimitiveBuilder<PrimitiveType> b, String name) {
    return b.as(LogicalTypeAnnotation.stringType()).named(name);
  }

  private static Type decimal(PgType t, Type.Repetition repetition, String name) {
    LogicalTypeAnnotation decimal = LogicalTypeAnnotation.decimalType(t.scale(), t.precision());
    if (t.precision() <= 9) {
      return Types.primitive(PrimitiveTypeName.INT32, repetition).as(decimal).named(name);
    }
    if (t.precision() <= 18) {
      return Types.primitive(PrimitiveTypeName.INT64, repetition).as(decimal).named(name);
    }
    return Types.primitive(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY, repetition)
        .length(decimalBytes(t.precision()))
        .as(decimal)
        .named(name);
  }

  /** The fewest bytes whose two's complement holds every {@code precision}-digit number. */
  static int decimalBytes(int precision) {
    return (int) Math.ceil((precision * Math.log(10) / Math.log(2) + 1) / 8);
  }
}
