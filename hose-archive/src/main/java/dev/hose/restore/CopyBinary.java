package dev.hose.restore;

import dev.hose.archive.Column;
import dev.hose.archive.JsonKind;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.Arrays;
import java.util.List;

/**
 * COPY text rows, as {@link CopyText} writes them, to rows of COPY's binary format, for a table
 * whose every column is of a type listed in {@link Type} (or a one-dimensional array of one): the
 * server then takes each value with its type's binary receive function instead of parsing its text.
 * On the benchmark's table (bigint, timestamptz, numeric, text, jsonb, text[]), PostgreSQL 15 spent
 * 4.4-4.6 CPU-seconds copying 1M rows in the binary format against 6.7-8.7 in the text format, most
 * of the difference in the array and the text format's own unescaping; that server time is shared
 * with hose's own work on the same cores.
 *
 * <p>It takes only the PostgreSQL text forms archive writes: a value in another form (a BC date, a
 * year of five digits, a timestamptz without its offset, a number with an exponent where PostgreSQL
 * writes none, an array of more than one dimension, a value out of its type's range) makes {@link
 * #convert} return false, and the caller copies the whole shard in the text format, where the
 * server reads it as it always did (or names what is wrong with it). So a restore's rows are the
 * text format's rows; {@code CopyBinaryIT} holds the two to the same table contents.
 *
 * <p>Not thread-safe; one per copy.
 */
final class CopyBinary {
  /** The binary format's header: signature, flags, header extension length. */
  static final byte[] HEADER = {
    'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0
  };

  /** The binary format's trailer: a field count of -1. */
  static final byte[] TRAILER = {(byte) 0xff, (byte) 0xff};

  /** 1970-01-01 to 2000-01-01, PostgreSQL's epoch, in days and in microseconds. */
  private static final int PG_EPOCH_DAYS = 10_957;

  private static final long PG_EPOCH_MICROS = PG_EPOCH_DAYS * 86_400_000_000L;

  /** The types taken, with their OIDs (an array's header names its element type's). */
  enum Type {
    INT2(21, JsonKind.NUMBER),
    INT4(23, JsonKind.NUMBER),
    INT8(20, JsonKind.NUMBER),
    FLOAT4(700, JsonKind.NUMBER),
    FLOAT8(701, JsonKind.NUMBER),
    NUMERIC(1700, JsonKind.NUMBER),
    BOOL(16, JsonKind.BOOLEAN),
    TEXT(25, JsonKind.TEXT),
    VARCHAR(1043, JsonKind.TEXT),
    BPCHAR(1042, JsonKind.TEXT),
    UUID(2950, JsonKind.TEXT),
    JSON(114, JsonKind.JSON),
    JSONB(3802, JsonKind.JSONB),
    DATE(1082, JsonKind.DATE),
    TIMESTAMP(1114, JsonKind.TIMESTAMP),
    TIMESTAMPTZ(1184, JsonKind.TIMESTAMPTZ),
    BYTEA(17, JsonKind.BYTEA);

    final int oid;
    final JsonKind kind;

    Type(int oid, JsonKind kind) {
      this.oid = oid;
      this.kind = kind;
    }

    /**
     * The type {@code format_type} spells as {@code name} (a type modifier such as {@code (14,4)}
     * aside), or null: a domain, an enum or any other type is spelled otherwise.
     */
    static Type named(String name) {
      String base = name.replaceFirst("\\(\\d+(,\\d+)?\\)", "");
      return switch (base) {
        case "smallint" -> INT2;
        case "integer" -> INT4;
        case "bigint" -> INT8;
        case "real" -> FLOAT4;
        case "double precision" -> FLOAT8;
        case "numeric" -> NUMERIC;
        case "boolean" -> BOOL;
        case "text" -> TEXT;
        case "character varying" -> VARCHAR;
        case "character" -> BPCHAR;
        case "uuid" -> UUID;
        case "json" -> JSON;
        case "jsonb" -> JSONB;
        case "date" -> DATE;
        case "timestamp without time zone" -> TIMESTAMP;
        case "timestamp with time zone" -> TIMESTAMPTZ;
        case "bytea" -> BYTEA;
        default -> null;
      };
    }
  }

  private final Type[] types;
  private final boolean[] arrays;

  /** The row being written. */
  private byte[] out = new byte[1 << 12];

  private int size;

  /** The column whose value the last {@link #convert} that returned false did not take. */
  private int refused;

  /** A field's text with COPY's escapes undone, and an array element's with its quoting undone. */
  private byte[] field = new byte[1 << 10];

  private byte[] element = new byte[1 << 8];

  private CopyBinary(Type[] types, boolean[] arrays) {
    this.types = types;
    this.arrays = arrays;
  }

  /** A converter for a table of {@code columns}, or null when one of them has another type. */
  static CopyBinary forColumns(List<Column> columns) {
    int n = columns.size();
    Type[] types = new Type[n];
    boolean[] arrays = new boolean[n];
    for (int i = 0; i < n; i++) {
      Column c = columns.get(i);
      boolean array = c.kind() == JsonKind.ARRAY;
      String name = c.type();
      if (array != name.endsWith("[]")) {
        return null;
      }
      Type t = Type.named(array ? name.substring(0, name.length() - 2) : name);
      if (t == null || t.kind != (array ? c.elementKind() : c.kind())) {
        return null;
      }
      if (array && c.elementDelimiter() != ',') {
        return null;
      }
      types[i] = t;
      arrays[i] = array;
    }
    return n == 0 ? null : new CopyBinary(types, arrays);
  }

  /** The row of the last successful {@link #convert}: {@code row()[0..size()]}. */
  byte[] row() {
    return out;
  }

  int size() {
    return size;
  }

  /**
   * Converts the COPY text row {@code text[off..off + len]} (with its newline) to a binary row (see
   * {@link #row}); false when a value is not in a form this class takes.
   */
  boolean convert(byte[] text, int off, int len) {
    size = 0;
    int end = off + len - 1;
    refused = 0;
    if (len == 0 || text[end] != '\n') {
      return false;
    }
    putShort(types.length);
    int p = off;
    for (int i = 0; i < types.length; i++) {
      if (p > end) {
        refused = i;
        return false; // fewer fields than columns
      }
      int e = ByteScan.tabOrBackslash(text, p, end);
      int backslash = -1;
      if (e < end && text[e] == '\\') {
        backslash = e;
        e = ByteScan.indexOf(text, e, end, (byte) '\t');
      }
      if (!field(i, text, p, e, backslash)) {
        refused = i;
        return false;
      }
      p = e + 1;
    }
    refused = types.length - 1;
    return p == end + 1; // and not more fields than columns
  }

  /** The column index of the value the last {@link #convert} returning false did not take. */
  int refusedColumn() {
    return refused;
  }

  /** One field: {@code \N}, or its value with COPY's escapes undone, length first. */
  private boolean field(int column, byte[] text, int from, int to, int backslash) {
    if (to - from == 2 && text[from] == '\\' && text[from + 1] == 'N') {
      putInt(-1);
      return true;
    }
    byte[] v = text;
    int s = from;
    int e = to;
    if (backslash >= 0) {
      if (field.length < to - from) {
        field = new byte[Math.max(field.length * 2, to - from)];
      }
      int n = backslash - from;
      System.arraycopy(text, from, field, 0, n);
      for (int i = backslash; i < to; i++) {
        byte b = text[i];
        if (b == '\\') {
          if (++i == to) {
            return false;
          }
          b =
              switch (text[i]) {
                case '\\' -> (byte) '\\';
                case 'n' -> (byte) '\n';
                case 'r' -> (byte) '\r';
                case 't' -> (byte) '\t';
                default -> 0; // an escape CopyText never writes
              };
          if (b == 0) {
            return false;
          }
        }
        field[n++] = b;
      }
      v = field;
      s = 0;
      e = n;
    }
    int lengthAt = size;
    putInt(0);
    boolean ok = arrays[column] ? array(types[column], v, s, e) : value(types[column], v, s, e);
    setInt(lengthAt, size - lengthAt - 4);
    return ok;
  }

  /**
   * A one-dimensional array literal as CopyText writes it, every element quoted or {@code NULL}:
   * ndim, has-null flag, element type, then the dimension's length and lower bound, then each
   * element, length first.
   */
  private boolean array(Type type, byte[] v, int s, int e) {
    if (e - s < 2 || v[s] != '{' || v[e - 1] != '}') {
      return false;
    }
    int start = size;
    putInt(1);
    putInt(0);
    putInt(type.oid);
    int lengthAt = size;
    putInt(0);
    putInt(1);
    int count = 0;
    boolean nulls = false;
    int p = s + 1;
    int last = e - 1;
    while (p < last) {
      if (count > 0) {
        if (v[p] != ',' || ++p == last) {
          return false;
        }
      }
      if (last - p >= 4
          && v[p] == 'N'
          && v[p + 1] == 'U'
          && v[p + 2] == 'L'
          && v[p + 3] == 'L'
          && (p + 4 == last || v[p + 4] == ',')) {
        putInt(-1);
        nulls = true;
        p += 4;
      } else {
        if (v[p] != '"') {
          return false; // a nested array, or an unquoted element: not as CopyText writes them
        }
        int n = 0;
        for (p++; p < last && v[p] != '"'; p++) {
          if (v[p] == '\\') {
            p++;
          }
          if (n == element.length) {
            element = Arrays.copyOf(element, n * 2);
          }
          element[n++] = v[p];
        }
        if (p >= last) {
          return false;
        }
        p++; // the closing quote
        int elementAt = size;
        putInt(0);
        if (!value(type, element, 0, n)) {
          return false;
        }
        setInt(elementAt, size - elementAt - 4);
      }
      count++;
    }
    if (count == 0) { // {}: no dimensions
      size = start;
      putInt(0);
      putInt(0);
      putInt(type.oid);
      return true;
    }
    setInt(start + 4, nulls ? 1 : 0);
    setInt(lengthAt, count);
    return true;
  }

  /** One value's binary form from its text form {@code v[s..e]}. */
  private boolean value(Type type, byte[] v, int s, int e) {
    switch (type) {
      case INT2, INT4, INT8 -> {
        return integer(type, v, s, e);
      }
      case FLOAT4, FLOAT8 -> {
        return floating(type == Type.FLOAT4, v, s, e);
      }
      case NUMERIC -> {
        return numeric(v, s, e);
      }
      case BOOL -> {
        if (e - s != 1 || (v[s] != 't' && v[s] != 'f')) {
          return false;
        }
        put(v[s] == 't' ? (byte) 1 : (byte) 0);
        return true;
      }
      case TEXT, VARCHAR, BPCHAR, JSON -> {
        put(v, s, e);
        return true;
      }
      case JSONB -> {
        put((byte) 1); // jsonb's binary format version, then its text
        put(v, s, e);
        return true;
      }
      case UUID -> {
        return uuid(v, s, e);
      }
      case DATE -> {
        return date(v, s, e);
      }
      case TIMESTAMP, TIMESTAMPTZ -> {
        return timestamp(type == Type.TIMESTAMPTZ, v, s, e);
      }
      case BYTEA -> {
        return bytea(v, s, e);
      }
      default -> {
        return false;
      }
    }
  }

  /** An integer's digits, with a minus sign if any, within the type's range. */
  private boolean integer(Type type, byte[] v, int s, int e) {
    boolean negative = s < e && v[s] == '-';
    int i = negative ? s + 1 : s;
    if (i == e || e - i > 19) {
      return false;
    }
    long n = 0; // accumulated negative, so that the minimum fits
    for (; i < e; i++) {
      int d = v[i] - '0';
      if (d < 0 || d > 9 || n < (Long.MIN_VALUE + d) / 10) {
        return false;
      }
      n = n * 10 - d;
    }
    if (!negative) {
      if (n == Long.MIN_VALUE) {
        return false;
      }
      n = -n;
    }
    switch (type) {
      case INT2 -> {
        if (n < Short.MIN_VALUE || n > Short.MAX_VALUE) {
          return false;
        }
        putShort((int) n);
      }
      case INT4 -> {
        if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
          return false;
        }
        putInt((int) n);
      }
      default -> putLong(n);
    }
    return true;
  }

  /**
   * A float's text form (shortest round trip, an exponent, NaN, Infinity): parsed by Java, which
   * rounds decimal text to the nearest value as the server's strtod does; a value that would
   * overflow or underflow to zero, which the server refuses, is not taken.
   */
  private boolean floating(boolean single, byte[] v, int s, int e) {
    if (e == s || e - s > 64) {
      return false;
    }
    boolean nonZeroDigit = false;
    boolean exponent = false;
    for (int i = s; i < e; i++) {
      byte b = v[i];
      if (b == 'e' || b == 'E') {
        exponent = true;
      } else if (b >= '1' && b <= '9' && !exponent) {
        nonZeroDigit = true;
      } else if (!(b >= '0' && b <= '9') && b != '.' && b != '-' && b != '+') {
        String t = new String(v, s, e - s, StandardCharsets.US_ASCII);
        if (!t.equals("NaN") && !t.equals("Infinity") && !t.equals("-Infinity")) {
          return false;
        }
        if (single) {
          putInt(Float.floatToRawIntBits(Float.parseFloat(t)));
        } else {
          putLong(Double.doubleToRawLongBits(Double.parseDouble(t)));
        }
        return true;
      }
    }
    String t = new String(v, s, e - s, StandardCharsets.US_ASCII);
    try {
      if (single) {
        float f = Float.parseFloat(t);
        if (Float.isInfinite(f) || (f == 0 && nonZeroDigit)) {
          return false;
        }
        putInt(Float.floatToRawIntBits(f));
      } else {
        double d = Double.parseDouble(t);
        if (Double.isInfinite(d) || (d == 0 && nonZeroDigit)) {
          return false;
        }
        putLong(Double.doubleToRawLongBits(d));
      }
      return true;
    } catch (NumberFormatException ex) {
      return false;
    }
  }

  /**
   * numeric: digit count, weight, sign, display scale, then base-10000 digits, grouped from the
   * decimal point. The server applies the column's precision and scale as it does to text.
   */
  private boolean numeric(byte[] v, int s, int e) {
    int special = special(v, s, e);
    if (special != 0) {
      putShort(0);
      putShort(0);
      putShort(special);
      putShort(0);
      return true;
    }
    boolean negative = s < e && v[s] == '-';
    int i = negative ? s + 1 : s;
    int intStart = i;
    while (i < e && v[i] >= '0' && v[i] <= '9') {
      i++;
    }
    int intEnd = i;
    int fracStart = i;
    int fracEnd = i;
    if (i < e && v[i] == '.') {
      fracStart = ++i;
      while (i < e && v[i] >= '0' && v[i] <= '9') {
        i++;
      }
      fracEnd = i;
      if (fracEnd == fracStart) {
        return false;
      }
    }
    if (i != e || intEnd == intStart) {
      return false;
    }
    while (intStart < intEnd && v[intStart] == '0') {
      intStart++;
    }
    int intDigits = intEnd - intStart;
    int fracDigits = fracEnd - fracStart;
    int intGroups = (intDigits + 3) / 4;
    int fracGroups = (fracDigits + 3) / 4;
    if (fracDigits > 0x3fff || intGroups + fracGroups > Short.MAX_VALUE) {
      return false;
    }
    putShort(intGroups + fracGroups);
    putShort(intGroups - 1);
    putShort(negative ? 0x4000 : 0);
    putShort(fracDigits);
    int p = intStart;
    for (int g = 0; g < intGroups; g++) {
      int digits = g == 0 ? intDigits - 4 * (intGroups - 1) : 4;
      int d = 0;
      for (int k = 0; k < digits; k++) {
        d = d * 10 + (v[p++] - '0');
      }
      putShort(d);
    }
    p = fracStart;
    for (int g = 0; g < fracGroups; g++) {
      int d = 0;
      for (int k = 0; k < 4; k++) {
        d = d * 10 + (p < fracEnd ? v[p++] - '0' : 0);
      }
      putShort(d);
    }
    return true;
  }

  /** numeric's sign word for NaN and the infinities, else 0. */
  private static int special(byte[] v, int s, int e) {
    if (e - s < 3 || (v[e - 1] != 'N' && v[e - 1] != 'y')) {
      return 0;
    }
    String t = new String(v, s, e - s, StandardCharsets.US_ASCII);
    return switch (t) {
      case "NaN" -> 0xc000;
      case "Infinity" -> 0xd000;
      case "-Infinity" -> 0xf000;
      default -> 0;
    };
  }

  /** uuid: 32 hex digits in groups of 8-4-4-4-12, as 16 bytes. */
  private boolean uuid(byte[] v, int s, int e) {
    if (e - s != 36) {
      return false;
    }
    int nibbles = 0;
    int octet = 0;
    for (int i = s; i < e; i++) {
      int k = i - s;
      if (k == 8 || k == 13 || k == 18 || k == 23) {
        if (v[i] != '-') {
          return false;
        }
        continue;
      }
      int h = Character.digit(v[i], 16);
      if (h < 0) {
        return false;
      }
      octet = octet << 4 | h;
      if (++nibbles % 2 == 0) {
        put((byte) octet);
        octet = 0;
      }
    }
    return true;
  }

  /** date: days since 2000-01-01 of {@code YYYY-MM-DD}; the infinities as int32's extremes. */
  private boolean date(byte[] v, int s, int e) {
    int inf = infinity(v, s, e);
    if (inf != 0) {
      putInt(inf > 0 ? Integer.MAX_VALUE : Integer.MIN_VALUE);
      return true;
    }
    long days = epochDay(v, s, e);
    if (e - s != 10 || days == Long.MIN_VALUE) {
      return false;
    }
    putInt((int) (days - PG_EPOCH_DAYS));
    return true;
  }

  /**
   * timestamp and timestamptz: microseconds since 2000-01-01 00:00 (UTC for timestamptz) of {@code
   * YYYY-MM-DD HH:MM:SS[.ffffff]}, with an offset {@code ±HH[:MM[:SS]]} for timestamptz only; the
   * infinities as int64's extremes.
   */
  private boolean timestamp(boolean zoned, byte[] v, int s, int e) {
    int inf = infinity(v, s, e);
    if (inf != 0) {
      putLong(inf > 0 ? Long.MAX_VALUE : Long.MIN_VALUE);
      return true;
    }
    if (e - s < 19 || v[s + 10] != ' ' || v[s + 13] != ':' || v[s + 16] != ':') {
      return false;
    }
    long days = epochDay(v, s, s + 10);
    int hour = twoDigits(v, s + 11);
    int minute = twoDigits(v, s + 14);
    int second = twoDigits(v, s + 17);
    if (days == Long.MIN_VALUE || hour > 23 || minute > 59 || second > 59) {
      return false;
    }
    int p = s + 19;
    long micros = 0;
    if (p < e && v[p] == '.') {
      int digits = 0;
      for (p++; p < e && v[p] >= '0' && v[p] <= '9'; p++, digits++) {
        micros = micros * 10 + (v[p] - '0');
      }
      if (digits == 0 || digits > 6) {
        return false;
      }
      for (; digits < 6; digits++) {
        micros *= 10;
      }
    }
    long offset = 0;
    if (zoned) {
      if (p == e || (v[p] != '+' && v[p] != '-')) {
        return false; // without its offset the server would read it in the session's zone
      }
      int sign = v[p++] == '-' ? -1 : 1;
      long seconds = 0; // of ±HH[:MM[:SS]]
      long unit = 3600;
      for (int part = 0; part < 3 && (part == 0 || (p < e && v[p++] == ':')); part++) {
        int n = e - p < 2 ? -1 : twoDigits(v, p);
        if (n < 0 || (part > 0 && n > 59)) {
          return false;
        }
        seconds += n * unit;
        unit /= 60;
        p += 2;
      }
      offset = sign * seconds * 1_000_000L;
    }
    if (p != e) {
      return false;
    }
    long local = days * 86_400_000_000L + (hour * 3600L + minute * 60L + second) * 1_000_000L;
    putLong(local + micros - offset - PG_EPOCH_MICROS);
    return true;
  }

  /** bytea: {@code \x} and hex digits, as the bytes. */
  private boolean bytea(byte[] v, int s, int e) {
    if (e - s < 2 || v[s] != '\\' || v[s + 1] != 'x' || (e - s) % 2 != 0) {
      return false;
    }
    for (int i = s + 2; i < e; i += 2) {
      int hi = Character.digit(v[i], 16);
      int lo = Character.digit(v[i + 1], 16);
      if (hi < 0 || lo < 0) {
        return false;
      }
      put((byte) (hi << 4 | lo));
    }
    return true;
  }

  /** 1 for {@code infinity}, -1 for {@code -infinity}, else 0. */
  private static int infinity(byte[] v, int s, int e) {
    if (e - s < 8 || v[e - 1] != 'y') {
      return 0;
    }
    String t = new String(v, s, e - s, StandardCharsets.US_ASCII);
    return t.equals("infinity") ? 1 : t.equals("-infinity") ? -1 : 0;
  }

  /**
   * Days since 1970-01-01 of {@code YYYY-MM-DD} at {@code v[s..s+10]} (years 1 to 9999, proleptic
   * Gregorian as PostgreSQL's), or Long.MIN_VALUE when it is not a valid date in that form.
   */
  static long epochDay(byte[] v, int s, int e) {
    if (e - s < 10 || v[s + 4] != '-' || v[s + 7] != '-') {
      return Long.MIN_VALUE;
    }
    int hi = twoDigits(v, s);
    int lo = twoDigits(v, s + 2);
    int month = twoDigits(v, s + 5);
    int day = twoDigits(v, s + 8);
    if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1) {
      return Long.MIN_VALUE;
    }
    int year = hi * 100 + lo;
    if (year == 0 || day > YearMonth.of(year, month).lengthOfMonth()) {
      return Long.MIN_VALUE;
    }
    return LocalDate.of(year, month, day).toEpochDay();
  }

  /** Two decimal digits at {@code v[i]}, or -1. */
  private static int twoDigits(byte[] v, int i) {
    int a = v[i] - '0';
    int b = v[i + 1] - '0';
    return a < 0 || a > 9 || b < 0 || b > 9 ? -1 : a * 10 + b;
  }

  private void ensure(int n) {
    if (size + n > out.length) {
      out = Arrays.copyOf(out, Math.max(out.length * 2, size + n));
    }
  }

  private void put(byte b) {
    ensure(1);
    out[size++] = b;
  }

  private void put(byte[] v, int s, int e) {
    ensure(e - s);
    System.arraycopy(v, s, out, size, e - s);
    size += e - s;
  }

  private void putShort(int n) {
    ensure(2);
    out[size++] = (byte) (n >> 8);
    out[size++] = (byte) n;
  }

  private void putInt(int n) {
    ensure(4);
    setInt(size, n);
    size += 4;
  }

  private void setInt(int at, int n) {
    out[at] = (byte) (n >> 24);
    out[at + 1] = (byte) (n >> 16);
    out[at + 2] = (byte) (n >> 8);
    out[at + 3] = (byte) n;
  }

  private void putLong(long n) {
    putInt((int) (n >> 32));
    putInt((int) n);
  }
}
