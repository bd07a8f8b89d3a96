package dev.hose.restore;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Finds the next byte of interest in a run of bytes eight at a time (SWAR: each test flags the high
 * bit of every matching byte of a little-endian long, and the lowest flag is the first match). The
 * restore's conversions spend most of their time looking for the end of long runs of plain text.
 */
final class ByteScan {
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long QUOTES = ONES * '"';
  private static final long BACKSLASHES = ONES * '\\';
  private static final long TABS = ONES * '\t';
  private static final long SPACES = ONES * 0x20;

  private ByteScan() {}

  /**
   * The index of the first byte in {@code b[from..to]} that is not plain JSON string text (a
   * control byte, a quote, a backslash, or a byte of a multi-byte UTF-8 sequence), or {@code to}.
   */
  static int plainRun(byte[] b, int from, int to) {
    int i = from;
    for (; i + 8 <= to; i += 8) {
      long x = (long) LONGS.get(b, i);
      long flags = ((x - SPACES) | x) & HIGHS | zero(x ^ QUOTES) | zero(x ^ BACKSLASHES);
      if (flags != 0) {
        return i + (Long.numberOfTrailingZeros(flags) >>> 3);
      }
    }
    for (; i < to; i++) {
      byte c = b[i];
      if (c < 0x20 || c == '"' || c == '\\') { // c < 0: a byte of a multi-byte sequence
        return i;
      }
    }
    return to;
  }

  /** The index of the first tab or backslash in {@code b[from..to]}, or {@code to}. */
  static int tabOrBackslash(byte[] b, int from, int to) {
    int i = from;
    for (; i + 8 <= to; i += 8) {
      long x = (long) LONGS.get(b, i);
      long flags = zero(x ^ TABS) | zero(x ^ BACKSLASHES);
      if (flags != 0) {
        return i + (Long.numberOfTrailingZeros(flags) >>> 3);
      }
    }
    for (; i < to; i++) {
      if (b[i] == '\t' || b[i] == '\\') {
        return i;
      }
    }
    return to;
  }

  /** The index of the first {@code value} in {@code b[from..to]}, or {@code to}. */
  static int indexOf(byte[] b, int from, int to, byte value) {
    long values = ONES * (value & 0xff);
    int i = from;
    for (; i + 8 <= to; i += 8) {
      long flags = zero((long) LONGS.get(b, i) ^ values);
      if (flags != 0) {
        return i + (Long.numberOfTrailingZeros(flags) >>> 3);
      }
    }
    for (; i < to; i++) {
      if (b[i] == value) {
        return i;
      }
    }
    return to;
  }

  /** The high bit of each zero byte of {@code x} (and maybe of bytes above the first zero). */
  private static long zero(long x) {
    return (x - ONES) & ~x & HIGHS;
  }
}
