package dev.hose.archive;

import java.time.LocalDate;

/**
 * PostgreSQL's ISO text form of dates and timestamps (DateStyle ISO, TimeZone UTC, as archive's and
 * restore's sessions set them) to and from Parquet's numbers: days and microseconds since
 * 1970-01-01, proleptic Gregorian on both sides, so BC dates are exact ({@code 0044-03-15 BC} is
 * year -43).
 *
 * <p>PostgreSQL's infinities are the extreme values that DuckDB also reads as infinity: {@code
 * infinity} is the largest int32 (dates) or int64 (timestamps), {@code -infinity} its negation. A
 * timestamp after 294247-01-10 (PostgreSQL goes to 294276) does not fit in int64 microseconds and
 * is refused with {@link OutOfRangeException}, never wrapped.
 */
public final class PgTemporal {
  public static final int DATE_INFINITY = Integer.MAX_VALUE;
  public static final long TIMESTAMP_INFINITY = Long.MAX_VALUE;
  private static final long MICROS_PER_DAY = 86_400_000_000L;

  private PgTemporal() {}

  /** A value that Parquet's type cannot hold. */
  public static final class OutOfRangeException extends IllegalArgumentException {
    OutOfRangeException(String message) {
      super(message);
    }
  }

  /** Days since 1970-01-01 of a date's text form ({@code 2026-11-24}, {@code 0044-03-15 BC}). */
  public static int days(byte[] v, int off, int len) {
    if (v[off + len - 1] == 'y') {
      return v[off] == '-' ? -DATE_INFINITY : DATE_INFINITY;
    }
    boolean bc = bc(v, off, len);
    Cursor c = new Cursor(v, off);
    long days = c.date(bc).toEpochDay();
    return (int) days; // PostgreSQL's dates (to 5874897 AD) all fit
  }

  /**
   * Microseconds since 1970-01-01 00:00 of a timestamp's text form, with or without an offset
   * ({@code 2026-11-24 01:02:03.000001+00}); the offset, if any, is taken away.
   */
  public static long micros(byte[] v, int off, int len) {
    if (v[off + len - 1] == 'y') {
      return v[off] == '-' ? -TIMESTAMP_INFINITY : TIMESTAMP_INFINITY;
    }
    boolean bc = bc(v, off, len);
    int end = bc ? off + len - 3 : off + len;
    Cursor c = new Cursor(v, off);
    LocalDate date = c.date(bc);
    c.pos++; // ' '
    long seconds = c.number(2) * 3600 + c.skip().number(2) * 60 + c.skip().number(2);
    long fraction = 0;
    if (c.pos < end && v[c.pos] == '.') {
      c.pos++;
      int digits = 0;
      while (c.pos < end && v[c.pos] >= '0' && v[c.pos] <= '9') {
        fraction = fraction * 10 + (v[c.pos++] - '0');
        digits++;
      }
      for (; digits < 6; digits++) {
        fraction *= 10;
      }
    }
    if (c.pos < end && (v[c.pos] == '+' || v[c.pos] == '-')) {
      int sign = v[c.pos++] == '-' ? -1 : 1;
      long offset = c.number(2) * 3600;
      if (c.pos < end && v[c.pos] == ':') {
        offset += c.skip().number(2) * 60;
      }
      if (c.pos < end && v[c.pos] == ':') {
        offset += c.skip().number(2);
      }
      seconds -= sign * offset;
    }
    try {
      return Math.addExact(
          Math.multiplyExact(date.toEpochDay(), MICROS_PER_DAY),
          Math.addExact(seconds * 1_000_000L, fraction));
    } catch (ArithmeticException e) {
      throw new OutOfRangeException(
          "timestamp "
              + new String(v, off, len, java.nio.charset.StandardCharsets.US_ASCII)
              + " is outside Parquet's TIMESTAMP(MICROS) range (294247 AD at most)");
    }
  }

  /** A date's text form as PostgreSQL reads it back. */
  public static String dateText(int days) {
    if (days == DATE_INFINITY) {
      return "infinity";
    }
    if (days == -DATE_INFINITY) {
      return "-infinity";
    }
    return isoDate(LocalDate.ofEpochDay(days));
  }

  /** A timestamp's text form as PostgreSQL reads it back; {@code zoned} adds {@code +00}. */
  public static String timestampText(long micros, boolean zoned) {
    if (micros == TIMESTAMP_INFINITY) {
      return "infinity";
    }
    if (micros == -TIMESTAMP_INFINITY) {
      return "-infinity";
    }
    long day = Math.floorDiv(micros, MICROS_PER_DAY);
    long inDay = Math.floorMod(micros, MICROS_PER_DAY);
    LocalDate date = LocalDate.ofEpochDay(day);
    long secs = inDay / 1_000_000;
    String time =
        String.format(
            " %02d:%02d:%02d.%06d%s",
            secs / 3600, secs / 60 % 60, secs % 60, inDay % 1_000_000, zoned ? "+00" : "");
    String d = isoDate(date);
    return d.endsWith(" BC") ? d.substring(0, d.length() - 3) + time + " BC" : d + time;
  }

  private static String isoDate(LocalDate date) {
    int year = date.getYear();
    boolean bc = year <= 0;
    return String.format(
        "%04d-%02d-%02d%s",
        bc ? 1 - year : year, date.getMonthValue(), date.getDayOfMonth(), bc ? " BC" : "");
  }

  private static boolean bc(byte[] v, int off, int len) {
    return len > 3 && v[off + len - 3] == ' ' && v[off + len - 2] == 'B' && v[off + len - 1] == 'C';
  }

  /** Reads digits from a position. */
  private static final class Cursor {
    private final byte[] v;
    private int pos;

    Cursor(byte[] v, int pos) {
      this.v = v;
      this.pos = pos;
    }

    LocalDate date(boolean bc) {
      long year = 0;
      while (v[pos] != '-') {
        year = year * 10 + (v[pos++] - '0');
      }
      pos++;
      int month = (int) number(2);
      int day = (int) skip().number(2);
      return LocalDate.of((int) (bc ? 1 - year : year), month, day);
    }

    Cursor skip() {
      pos++;
      return this;
    }

    long number(int digits) {
      long n = 0;
      for (int i = 0; i < digits; i++) {
        n = n * 10 + (v[pos++] - '0');
      }
      return n;
    }
  }
}
