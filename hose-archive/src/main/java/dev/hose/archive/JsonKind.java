package dev.hose.archive;

import org.postgresql.core.Oid;

/**
 * How a PostgreSQL value becomes JSON, following {@code row_to_json}'s categories: numbers bare,
 * booleans, dates and timestamps in ISO-8601, json embedded; everything else as its text form. Two
 * deliberate differences: {@code bytea} is base64 and {@code timestamptz} is always UTC.
 */
public enum JsonKind {
  /** int2, int4, int8, oid, float4, float8, numeric: bare, except NaN and infinities. */
  NUMBER,
  BOOLEAN,
  /** json: embedded; raw newlines (only possible as whitespace) become spaces. */
  JSON,
  JSONB,
  DATE,
  TIMESTAMP,
  TIMESTAMPTZ,
  BYTEA,
  /** Any other type: its text form as a JSON string. */
  TEXT,
  /** An array; its element kind is kept beside it. */
  ARRAY;

  /** The kind of a (domain-resolved) base type OID. */
  public static JsonKind ofTypeOid(long oid) {
    return switch ((int) oid) {
      case Oid.INT8, Oid.INT2, Oid.INT4, Oid.OID, Oid.FLOAT4, Oid.FLOAT8, Oid.NUMERIC -> NUMBER;
      case Oid.BOOL -> BOOLEAN;
      case Oid.JSON -> JSON;
      case Oid.JSONB -> JSONB;
      case Oid.DATE -> DATE;
      case Oid.TIMESTAMP -> TIMESTAMP;
      case Oid.TIMESTAMPTZ -> TIMESTAMPTZ;
      case Oid.BYTEA -> BYTEA;
      default -> TEXT;
    };
  }
}
