package dev.hose.archive;

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
    switch ((int) oid) {
      case 20: // int8
      case 21: // int2
      case 23: // int4
      case 26: // oid
      case 700: // float4
      case 701: // float8
      case 1700: // numeric
        return NUMBER;
      case 16:
        return BOOLEAN;
      case 114:
        return JSON;
      case 3802:
        return JSONB;
      case 1082:
        return DATE;
      case 1114:
        return TIMESTAMP;
      case 1184:
        return TIMESTAMPTZ;
      case 17:
        return BYTEA;
      default:
        return TEXT;
    }
  }
}
