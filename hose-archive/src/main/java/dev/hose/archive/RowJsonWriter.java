package dev.hose.archive;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Base64;
import java.util.List;

/**
 * Serializes one row to one JSON line: an object whose keys are the column names in table order,
 * with values as {@link JsonKind} describes. Works on each value's PostgreSQL text form as raw
 * UTF-8 bytes (the connection has binary transfer off), so numbers keep every digit and text is
 * never decoded and re-encoded.
 *
 * <p>Over 350 lines on purpose: it is the hot loop of archive (every byte of every row), and its
 * array-literal parser shares the writer's buffers; a split would add a call and a copy per value.
 */
public final class RowJsonWriter {
  private static final byte[] NULL = ascii("null");
  private static final byte[] TRUE = ascii("true");
  private static final byte[] FALSE = ascii("false");
  private static final byte[] HEX = ascii("0123456789abcdef");

  private final JsonKind[] kinds;
  private final JsonKind[] elementKinds;
  private final byte[] delimiters;
  private final byte[][] keys;

  public RowJsonWriter(List<Column> columns) {
    int n = columns.size();
    kinds = new JsonKind[n];
    elementKinds = new JsonKind[n];
    delimiters = new byte[n];
    keys = new byte[n][];
    for (int i = 0; i < n; i++) {
      Column c = columns.get(i);
      kinds[i] = c.kind();
      elementKinds[i] = c.elementKind();
      delimiters[i] = (byte) c.elementDelimiter();
      JsonSink key = new JsonSink(null);
      key.write((byte) (i == 0 ? '{' : ','));
      byte[] name = c.name().getBytes(StandardCharsets.UTF_8);
      writeString(name, 0, name.length, key);
      key.write((byte) ':');
      keys[i] = key.toByteArray();
    }
  }

  /** Writes the current row of {@code rs} (columns in plan order) and a newline. */
  void write(ResultSet rs, JsonSink out) throws SQLException {
    if (keys.length == 0) {
      out.writeAscii("{}\n");
      return;
    }
    for (int i = 0; i < keys.length; i++) {
      out.write(keys[i]);
      byte[] value = rs.getBytes(i + 1);
      if (value == null) {
        out.write(NULL);
      } else if (kinds[i] == JsonKind.BYTEA) {
        writeBase64(value, out); // the driver already decoded bytea's hex
      } else {
        writeValue(kinds[i], elementKinds[i], delimiters[i], value, 0, value.length, out);
      }
    }
    out.write((byte) '}');
    out.write((byte) '\n');
  }

  /** The JSON for one value given its PostgreSQL text form (for tests and tools). */
  public static String toJson(JsonKind kind, JsonKind elementKind, String text) {
    JsonSink sink = new JsonSink(null);
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    if (kind == JsonKind.BYTEA) {
      writeBase64(hexToBytes(b, 0, b.length), sink);
    } else {
      writeValue(kind, elementKind, (byte) ',', b, 0, b.length, sink);
    }
    return new String(sink.toByteArray(), StandardCharsets.UTF_8);
  }

  static void writeValue(
      JsonKind kind, JsonKind elementKind, byte delim, byte[] v, int off, int len, JsonSink out) {
    switch (kind) {
      case NUMBER:
        byte last = v[off + len - 1];
        if (last == 'N' || last == 'y') { // NaN, Infinity, -Infinity
          writeString(v, off, len, out);
        } else {
          out.write(v, off, len);
        }
        break;
      case BOOLEAN:
        out.write(v[off] == 't' ? TRUE : FALSE);
        break;
      case JSON:
        writeFlatJson(v, off, len, out);
        break;
      case JSONB:
        out.write(v, off, len);
        break;
      case TIMESTAMP:
      case TIMESTAMPTZ:
        writeTimestamp(v, off, len, kind == JsonKind.TIMESTAMPTZ, out);
        break;
      case BYTEA:
        writeBase64(hexToBytes(v, off, len), out);
        break;
      case ARRAY:
        new ArrayLiteral(v, off, off + len, elementKind, delim, out).write();
        break;
      default: // DATE and TEXT: the text form as a string
        writeString(v, off, len, out);
    }
  }

  /** A json value may hold raw newlines only as whitespace between tokens: make them spaces. */
  private static void writeFlatJson(byte[] v, int off, int len, JsonSink out) {
    int start = off;
    int end = off + len;
    for (int i = off; i < end; i++) {
      if (v[i] == '\n' || v[i] == '\r') {
        out.write(v, start, i - start);
        out.write((byte) ' ');
        start = i + 1;
      }
    }
    out.write(v, start, end - start);
  }

  /**
   * PostgreSQL's ISO text form ({@code 2026-01-02 03:04:05.123456+00}, DateStyle ISO, TimeZone UTC)
   * to the XSD form {@code row_to_json} uses ({@code "2026-01-02T03:04:05.123456+00:00"}).
   */
  private static void writeTimestamp(byte[] v, int off, int len, boolean zone, JsonSink out) {
    int end = off + len;
    int space = -1;
    for (int i = off; i < end; i++) {
      if (v[i] == ' ') {
        space = i;
        break;
      }
    }
    if (space < 0) { // infinity, -infinity
      writeString(v, off, len, out);
      return;
    }
    boolean bc = len > 3 && v[end - 3] == ' ' && v[end - 2] == 'B' && v[end - 1] == 'C';
    int coreEnd = bc ? end - 3 : end;
    out.write((byte) '"');
    out.write(v, off, space - off);
    out.write((byte) 'T');
    out.write(v, space + 1, coreEnd - space - 1);
    if (zone) {
      int sign = -1;
      for (int i = coreEnd - 1; i > space; i--) {
        if (v[i] == '+' || v[i] == '-') {
          sign = i;
          break;
        }
      }
      if (sign > 0 && coreEnd - sign == 3) {
        out.writeAscii(":00");
      }
    }
    if (bc) {
      out.writeAscii(" BC");
    }
    out.write((byte) '"');
  }

  /** A JSON string of UTF-8 bytes: only quote, backslash and control bytes need escaping. */
  static void writeString(byte[] v, int off, int len, JsonSink out) {
    out.write((byte) '"');
    int start = off;
    int end = off + len;
    for (int i = off; i < end; i++) {
      int b = v[i];
      if (b >= 0x20 && b != '"' && b != '\\' || b < 0) { // b < 0: a UTF-8 continuation/lead byte
        continue;
      }
      out.write(v, start, i - start);
      escape(b, out);
      start = i + 1;
    }
    out.write(v, start, end - start);
    out.write((byte) '"');
  }

  private static void escape(int b, JsonSink out) {
    out.write((byte) '\\');
    switch (b) {
      case '"':
        out.write((byte) '"');
        break;
      case '\\':
        out.write((byte) '\\');
        break;
      case '\n':
        out.write((byte) 'n');
        break;
      case '\r':
        out.write((byte) 'r');
        break;
      case '\t':
        out.write((byte) 't');
        break;
      case '\b':
        out.write((byte) 'b');
        break;
      case '\f':
        out.write((byte) 'f');
        break;
      default:
        out.writeAscii("u00");
        out.write(HEX[b >> 4]);
        out.write(HEX[b & 0xF]);
    }
  }

  private static void writeBase64(byte[] bytes, JsonSink out) {
    out.write((byte) '"');
    out.write(Base64.getEncoder().encode(bytes));
    out.write((byte) '"');
  }

  /** bytea hex output ({@code \x0a0b}) to bytes. */
  private static byte[] hexToBytes(byte[] v, int off, int len) {
    if (len < 2 || v[off] != '\\' || v[off + 1] != 'x') {
      throw new IllegalStateException("bytea is not in hex output format");
    }
    byte[] out = new byte[(len - 2) / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] =
          (byte)
              (Character.digit(v[off + 2 + 2 * i], 16) << 4
                  | Character.digit(v[off + 3 + 2 * i], 16));
    }
    return out;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * A PostgreSQL array literal ({@code {1,NULL,"a \"b\""}}, nested for more dimensions, maybe
   * preceded by bounds like {@code [0:1]=}) written as a JSON array.
   */
  private static final class ArrayLiteral {
    private final byte[] s;
    private final int end;
    private final JsonKind kind;
    private final byte delim;
    private final JsonSink out;
    private final ByteArrayOutputStream element = new ByteArrayOutputStream();
    private int pos;

    ArrayLiteral(byte[] s, int off, int end, JsonKind kind, byte delim, JsonSink out) {
      this.s = s;
      this.pos = off;
      this.end = end;
      this.kind = kind;
      this.delim = delim;
      this.out = out;
    }

    void write() {
      if (s[pos] == '[') {
        while (s[pos] != '=') {
          pos++;
        }
        pos++;
      }
      array();
    }

    private void array() {
      expect('{');
      out.write((byte) '[');
      skipSpace();
      if (s[pos] == '}') {
        pos++;
        out.write((byte) ']');
        return;
      }
      boolean first = true;
      while (true) {
        if (!first) {
          out.write((byte) ',');
        }
        first = false;
        skipSpace();
        byte c = s[pos];
        if (c == '{') {
          array();
        } else {
          element(c == '"');
        }
        skipSpace();
        byte next = s[pos++];
        if (next == '}') {
          break;
        }
        if (next != delim) {
          throw bad();
        }
      }
      out.write((byte) ']');
    }

    private void element(boolean quoted) {
      element.reset();
      if (quoted) {
        pos++;
        while (s[pos] != '"') {
          if (s[pos] == '\\') {
            pos++;
          }
          element.write(s[pos++]);
        }
        pos++;
      } else {
        while (pos < end && s[pos] != delim && s[pos] != '}') {
          if (s[pos] == '\\') {
            pos++;
          }
          element.write(s[pos++]);
        }
      }
      byte[] e = element.toByteArray();
      int len = e.length;
      if (!quoted) {
        while (len > 0 && (e[len - 1] == ' ' || e[len - 1] == '\t')) {
          len--;
        }
        if (len == 4
            && (e[0] | 0x20) == 'n'
            && (e[1] | 0x20) == 'u'
            && (e[2] | 0x20) == 'l'
            && (e[3] | 0x20) == 'l') {
          out.write(NULL);
          return;
        }
      }
      writeValue(kind, null, delim, e, 0, len, out);
    }

    private void skipSpace() {
      while (pos < end && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r')) {
        pos++;
      }
    }

    private void expect(char c) {
      skipSpace();
      if (s[pos] != c) {
        throw bad();
      }
      pos++;
    }

    private IllegalStateException bad() {
      return new IllegalStateException(
          "bad array literal at " + pos + ": " + new String(s, StandardCharsets.UTF_8));
    }
  }
}
