package dev.hose.restore;

import dev.hose.archive.Column;
import dev.hose.archive.JsonKind;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * {@link CopyText}'s conversion done on the line's UTF-8 bytes: JSON line in, COPY text row out,
 * with no parser, no decoding to chars and no encoding back. UTF-8 passes through as it is (checked
 * as it goes); only JSON escapes, COPY escapes and each {@link JsonKind}'s change are applied.
 *
 * <p>It takes only the lines archive writes: keys exactly the columns, in order, with no escape in
 * them, and no space between tokens outside json values. Anything else (a malformed line, invalid
 * UTF-8, a lone surrogate escape, whitespace where archive writes none) makes {@link #convert}
 * return false, and the caller converts the line with {@link CopyText}, which either handles it or
 * names the problem. A restore's rows are therefore exactly CopyText's; this class is only the fast
 * way to them, and {@code CopyBytesTest} holds the two to the same output.
 *
 * <p>Not thread-safe; one per worker thread.
 */
final class CopyBytes {
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final int[] BASE64 = new int[128];

  static {
    Arrays.fill(BASE64, -1);
    byte[] alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
            .getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < alphabet.length; i++) {
      BASE64[alphabet[i]] = i;
    }
  }

  private final byte[][] keys;
  private final JsonKind[] kinds;
  private final JsonKind[] elementKinds;
  private final byte[] delimiters;

  /** The line being read and the position in it. */
  private byte[] in;

  private int pos;
  private int end;

  /** The row being written. */
  private byte[] out = new byte[1 << 12];

  private int size;

  /** Whether text goes into a quoted array element (quotes and backslashes escaped first). */
  private boolean element;

  CopyBytes(List<Column> columns) {
    int n = columns.size();
    keys = new byte[n][];
    kinds = new JsonKind[n];
    elementKinds = new JsonKind[n];
    delimiters = new byte[n];
    for (int i = 0; i < n; i++) {
      Column c = columns.get(i);
      keys[i] = plainKey(c.name());
      kinds[i] = c.kind();
      elementKinds[i] = c.elementKind();
      delimiters[i] = c.elementDelimiter() < 0x80 ? (byte) c.elementDelimiter() : 0;
    }
  }

  /** The key as archive writes it, or null when JSON escapes it (such lines go to CopyText). */
  private static byte[] plainKey(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < 0x20
          || c == '"'
          || c == '\\'
          || (c >= 0x7f && c <= 0x9f)
          || c == '\u2028'
          || c == '\u2029') {
        return null;
      }
    }
    return name.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The row of the last successful {@link #convert}, with its newline: {@code row()[0..size()]}.
   */
  byte[] row() {
    return out;
  }

  int size() {
    return size;
  }

  /**
   * Converts {@code line[start..start + length]} to a COPY row (see {@link #row}); false when the
   * line is not one this class takes. Bytes past the line's end may be read, never taken.
   */
  boolean convert(byte[] line, int start, int length) {
    in = line;
    pos = start;
    end = start + length;
    size = 0;
    element = false;
    try {
      return line();
    } catch (ArrayIndexOutOfBoundsException e) {
      return false; // the line ended inside a value
    }
  }

  private boolean line() {
    if (!take('{')) {
      return false;
    }
    for (int i = 0; i < keys.length; i++) {
      if (i > 0) {
        if (!take(',')) {
          return false;
        }
        put((byte) '\t');
      }
      if (keys[i] == null || !key(keys[i]) || !take(':')) {
        return false;
      }
      if (peekLiteral("null")) {
        pos += 4;
        put((byte) '\\');
        put((byte) 'N');
        continue;
      }
      boolean ok =
          kinds[i] == JsonKind.ARRAY
              ? delimiters[i] != 0 && array(elementKinds[i], delimiters[i])
              : scalar(kinds[i]);
      if (!ok) {
        return false;
      }
    }
    if (!take('}') || pos != end) {
      return false;
    }
    put((byte) '\n');
    return true;
  }

  private boolean key(byte[] key) {
    if (!take('"') || end - pos < key.length + 1) {
      return false;
    }
    for (byte b : key) {
      if (in[pos++] != b) {
        return false;
      }
    }
    return take('"');
  }

  /** One value of {@code kind} at pos, written as its text (escaped for where it goes). */
  private boolean scalar(JsonKind kind) {
    switch (kind) {
      case JSON:
      case JSONB:
        int start = pos; // the value's own text, as CopyText takes it: no space around it
        if (!skipValue(0)) {
          return false;
        }
        texts(start, pos);
        return true;
      case BOOLEAN:
        if (peekLiteral("true")) {
          pos += 4;
          text((byte) 't');
          return true;
        }
        if (peekLiteral("false")) {
          pos += 5;
          text((byte) 'f');
          return true;
        }
        return false;
      case NUMBER:
        return in[pos] == '"' ? string(false) : number(true);
      case BYTEA:
        return bytea();
      case TIMESTAMP:
      case TIMESTAMPTZ:
        return string(true);
      default: // DATE, TEXT
        return string(false);
    }
  }

  /** A JSON array (nested for more dimensions) as a PostgreSQL array literal. */
  private boolean array(JsonKind elementKind, byte delimiter) {
    if (!take('[')) {
      return false;
    }
    text((byte) '{');
    boolean nested = elementKind != JsonKind.JSON && elementKind != JsonKind.JSONB;
    boolean first = true;
    while (in[pos] != ']') {
      if (!first) {
        if (!take(',')) {
          return false;
        }
        text(delimiter);
      }
      first = false;
      if (in[pos] == '[' && nested) {
        if (!array(elementKind, delimiter)) {
          return false;
        }
      } else if (peekLiteral("null")) {
        pos += 4;
        text((byte) 'N');
        text((byte) 'U');
        text((byte) 'L');
        text((byte) 'L');
      } else {
        text((byte) '"');
        element = true;
        boolean ok = scalar(elementKind);
        element = false;
        if (!ok) {
          return false;
        }
        text((byte) '"');
      }
    }
    pos++;
    text((byte) '}');
    return true;
  }

  /**
   * A JSON string, unescaped; {@code timestamp}: its first {@code T} becomes a space (ISO-8601 to
   * PostgreSQL's input form).
   */
  private boolean string(boolean timestamp) {
    if (!take('"')) {
      return false;
    }
    boolean tee = timestamp;
    while (true) {
      if (pos >= end) {
        return false; // the line ends inside the string
      }
      byte b = in[pos];
      if (b == '"') {
        pos++;
        return true;
      }
      if (b == '\\') {
        if (timestamp || !escape()) {
          return false; // archive writes no escape in a timestamp
        }
      } else if (b >= 0x20) {
        if (tee && b == 'T') {
          pos++;
          text((byte) ' ');
          tee = false;
          continue;
        }
        // A run of plain ASCII: in a string, only escapes stand for what COPY or an array element
        // escapes, so the run is copied as it is.
        int start = pos++;
        if (tee) {
          while (in[pos] >= 0x20 && in[pos] != '"' && in[pos] != '\\' && in[pos] != 'T') {
            pos++;
          }
        } else {
          pos = ByteScan.plainRun(in, pos, end);
        }
        copy(start, pos);
      } else if (b < 0) {
        int n = utf8Length(in, pos, end);
        if (n < 0) {
          return false;
        }
        copy(pos, pos + n);
        pos += n;
      } else {
        return false; // a control character: not JSON
      }
    }
  }

  /** A JSON escape at pos, written as the character it stands for. */
  private boolean escape() {
    byte e = in[pos + 1];
    pos += 2;
    switch (e) {
      case '"', '\\', '/' -> text(e);
      case 'b' -> text((byte) '\b');
      case 'f' -> text((byte) '\f');
      case 'n' -> text((byte) '\n');
      case 'r' -> text((byte) '\r');
      case 't' -> text((byte) '\t');
      case 'u' -> {
        int c = hex4();
        if (c < 0) {
          return false;
        }
        if (Character.isHighSurrogate((char) c)) {
          if (in[pos] != '\\' || in[pos + 1] != 'u') {
            return false;
          }
          pos += 2;
          int low = hex4();
          if (low < 0 || !Character.isLowSurrogate((char) low)) {
            return false;
          }
          c = Character.toCodePoint((char) c, (char) low);
        } else if (Character.isLowSurrogate((char) c)) {
          return false;
        }
        codePoint(c);
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  private int hex4() {
    int c = 0;
    for (int i = 0; i < 4; i++) {
      int d = Character.digit(in[pos++], 16);
      if (d < 0) {
        return -1;
      }
      c = c << 4 | d;
    }
    return c;
  }

  private void codePoint(int c) {
    if (c < 0x80) {
      text((byte) c);
    } else if (c < 0x800) {
      text((byte) (0xc0 | c >> 6));
      text((byte) (0x80 | c & 0x3f));
    } else if (c < 0x10000) {
      text((byte) (0xe0 | c >> 12));
      text((byte) (0x80 | c >> 6 & 0x3f));
      text((byte) (0x80 | c & 0x3f));
    } else {
      text((byte) (0xf0 | c >> 18));
      text((byte) (0x80 | c >> 12 & 0x3f));
      text((byte) (0x80 | c >> 6 & 0x3f));
      text((byte) (0x80 | c & 0x3f));
    }
  }

  /** A bare JSON number at pos, its digits as they are; {@code write}: also written. */
  private boolean number(boolean write) {
    int start = pos;
    if (in[pos] == '-') {
      pos++;
    }
    int digits = digits();
    if (digits == 0 || (digits > 1 && in[pos - digits] == '0')) {
      return false;
    }
    if (pos < end && in[pos] == '.') {
      pos++;
      if (digits() == 0) {
        return false;
      }
    }
    if (pos < end && (in[pos] == 'e' || in[pos] == 'E')) {
      pos++;
      if (in[pos] == '+' || in[pos] == '-') {
        pos++;
      }
      if (digits() == 0) {
        return false;
      }
    }
    if (write) {
      copy(start, pos); // digits, signs, '.' and 'e': nothing to escape
    }
    return true;
  }

  private int digits() {
    int start = pos;
    while (pos < end && in[pos] >= '0' && in[pos] <= '9') {
      pos++;
    }
    return pos - start;
  }

  /** bytea: base64 in the line, {@code \x} and hex in the row. */
  private boolean bytea() {
    if (!take('"')) {
      return false;
    }
    text((byte) '\\');
    text((byte) 'x');
    int bits = 0;
    int count = 0;
    int chars = 0;
    int padding = 0;
    while (in[pos] != '"') {
      int b = in[pos++];
      if (b == '=' && count > 0) {
        padding++;
        continue;
      }
      int v = b >= 0 && b < 128 ? BASE64[b] : -1;
      if (v < 0 || padding > 0) {
        return false;
      }
      chars++;
      bits = bits << 6 | v;
      count += 6;
      if (count >= 8) {
        count -= 8;
        int octet = bits >> count & 0xff;
        text(HEX[octet >> 4]);
        text(HEX[octet & 0xf]);
      }
    }
    pos++;
    return chars % 4 != 1
        && (padding == 0 || (chars + padding) % 4 == 0)
        && (bits & ((1 << count) - 1)) == 0;
  }

  /**
   * Skips one JSON value at pos, not the space around it (json and jsonb are copied as their text);
   * depth bounds nesting.
   */
  private boolean skipValue(int depth) {
    byte b = in[pos];
    boolean ok;
    if (b == '{' || b == '[') {
      ok = depth < 512 && skipContainer(b == '{', depth + 1);
    } else if (b == '"') {
      ok = skipString();
    } else if (peekLiteral("true") || peekLiteral("null")) {
      pos += 4;
      ok = true;
    } else if (peekLiteral("false")) {
      pos += 5;
      ok = true;
    } else {
      ok = number(false);
    }
    return ok;
  }

  private boolean skipContainer(boolean object, int depth) {
    pos++;
    skipSpace();
    byte close = (byte) (object ? '}' : ']');
    if (in[pos] == close) {
      pos++;
      return true;
    }
    while (true) {
      if (object) {
        skipSpace();
        if (!skipString()) {
          return false;
        }
        skipSpace();
        if (!take(':')) {
          return false;
        }
      }
      skipSpace();
      if (!skipValue(depth)) {
        return false;
      }
      skipSpace();
      if (in[pos] == close) {
        pos++;
        return true;
      }
      if (!take(',')) {
        return false;
      }
    }
  }

  private boolean skipString() {
    if (!take('"')) {
      return false;
    }
    while (true) {
      byte b = in[pos];
      if (b == '"') {
        pos++;
        return true;
      }
      if (b == '\\') {
        byte e = in[pos + 1];
        if (e == 'u') {
          pos += 2;
          if (hex4() < 0) {
            return false;
          }
        } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r'
            || e == 't') {
          pos += 2;
        } else {
          return false;
        }
      } else if (b >= 0x20) {
        pos++;
      } else if (b < 0) {
        int n = utf8Length(in, pos, end);
        if (n < 0) {
          return false;
        }
        pos += n;
      } else {
        return false;
      }
    }
  }

  private void skipSpace() {
    while (pos < end && (in[pos] == ' ' || in[pos] == '\t' || in[pos] == '\n' || in[pos] == '\r')) {
      pos++;
    }
  }

  private boolean take(char c) {
    if (pos < end && in[pos] == c) {
      pos++;
      return true;
    }
    return false;
  }

  private boolean peekLiteral(String literal) {
    if (end - pos < literal.length()) {
      return false;
    }
    for (int i = 0; i < literal.length(); i++) {
      if (in[pos + i] != literal.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The length of the well-formed UTF-8 sequence of two to four bytes at {@code i}, or -1 (the
   * rules of Unicode's table 3-7, which Java's decoder follows: no overlong forms, no surrogates).
   */
  static int utf8Length(byte[] b, int i, int end) {
    int lead = b[i] & 0xff;
    int n;
    int lo = 0x80;
    int hi = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      n = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      n = 3;
      lo = lead == 0xe0 ? 0xa0 : 0x80;
      hi = lead == 0xed ? 0x9f : 0xbf;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      n = 4;
      lo = lead == 0xf0 ? 0x90 : 0x80;
      hi = lead == 0xf4 ? 0x8f : 0xbf;
    } else {
      return -1;
    }
    if (end - i < n) {
      return -1;
    }
    int second = b[i + 1] & 0xff;
    if (second < lo || second > hi) {
      return -1;
    }
    for (int k = 2; k < n; k++) {
      int c = b[i + k] & 0xff;
      if (c < 0x80 || c > 0xbf) {
        return -1;
      }
    }
    return n;
  }

  /**
   * One byte of a value's text: inside an array element, quotes and backslashes get a backslash;
   * then COPY's escapes (backslash, newline, carriage return, tab).
   */
  private void text(byte b) {
    if (element && (b == '"' || b == '\\')) {
      copyByte((byte) '\\');
    }
    copyByte(b);
  }

  private void copyByte(byte b) {
    switch (b) {
      case '\\' -> put2((byte) '\\', (byte) '\\');
      case '\n' -> put2((byte) '\\', (byte) 'n');
      case '\r' -> put2((byte) '\\', (byte) 'r');
      case '\t' -> put2((byte) '\\', (byte) 't');
      default -> put(b);
    }
  }

  /** {@code in[from..to]}, which holds nothing to escape, into the row. */
  private void copy(int from, int to) {
    int n = to - from;
    if (size + n > out.length) {
      out = Arrays.copyOf(out, Math.max(out.length * 2, size + n));
    }
    System.arraycopy(in, from, out, size, n);
    size += n;
  }

  /** {@code in[from..to]} as text: the runs with nothing to escape copied at once. */
  private void texts(int from, int to) {
    int run = from;
    for (int i = from; i < to; i++) {
      byte b = in[i];
      if (b == '\\' || b == '\n' || b == '\r' || b == '\t' || (element && b == '"')) {
        copy(run, i);
        text(b);
        run = i + 1;
      }
    }
    copy(run, to);
  }

  private void put2(byte a, byte b) {
    put(a);
    put(b);
  }

  private void put(byte b) {
    if (size == out.length) {
      out = Arrays.copyOf(out, size * 2);
    }
    out[size++] = b;
  }
}
