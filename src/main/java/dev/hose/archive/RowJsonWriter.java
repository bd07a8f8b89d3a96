package dev.hose.archive;

import java.io.IOException;
import java.io.Writer;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Serializes one row to one JSON line: an object whose keys are the column names in table order,
 * with values as {@link JsonKind} describes. Reads each value's PostgreSQL text form (the
 * connection has binary transfer off), so numbers keep every digit of precision.
 *
 * <p>Holds no state between rows and allocates nothing per row beyond the driver's strings.
 */
public final class RowJsonWriter {
  private final List<Column> columns;
  private final String[] keys;

  public RowJsonWriter(List<Column> columns) {
    this.columns = List.copyOf(columns);
    this.keys = new String[columns.size()];
    StringBuilder key = new StringBuilder();
    for (int i = 0; i < keys.length; i++) {
      key.setLength(0);
      key.append(i == 0 ? "{" : ",");
      appendString(key, columns.get(i).name());
      key.append(':');
      keys[i] = key.toString();
    }
  }

  /** Writes the current row of {@code rs} (columns in plan order) and a newline. */
  public void write(ResultSet rs, Writer out) throws SQLException, IOException {
    if (keys.length == 0) {
      out.write("{}\n");
      return;
    }
    for (int i = 0; i < keys.length; i++) {
      out.write(keys[i]);
      String text = rs.getString(i + 1);
      if (text == null) {
        out.write("null");
      } else {
        Column c = columns.get(i);
        writeValue(c.kind(), c.elementKind(), c.elementDelimiter(), text, out);
      }
    }
    out.write("}\n");
  }

  /** Writes one non-null value given its PostgreSQL text form. */
  static void writeValue(JsonKind kind, JsonKind elementKind, char delim, String text, Writer out)
      throws IOException {
    switch (kind) {
      case NUMBER:
        if (isSpecialNumber(text)) {
          writeString(text, out);
        } else {
          out.write(text);
        }
        break;
      case BOOLEAN:
        out.write(text.equals("t") || text.equals("true") ? "true" : "false");
        break;
      case JSON:
        out.write(text.indexOf('\n') < 0 && text.indexOf('\r') < 0 ? text : flattenJson(text));
        break;
      case JSONB:
        out.write(text);
        break;
      case DATE:
        writeString(text, out);
        break;
      case TIMESTAMP:
      case TIMESTAMPTZ:
        writeString(isoTimestamp(text, kind == JsonKind.TIMESTAMPTZ), out);
        break;
      case BYTEA:
        writeString(base64(text), out);
        break;
      case ARRAY:
        new ArrayLiteral(text, elementKind, delim, out).write();
        break;
      default:
        writeString(text, out);
    }
  }

  static boolean isSpecialNumber(String text) {
    char c = text.charAt(text.length() - 1);
    return c == 'N' || c == 'y'; // NaN, Infinity, -Infinity
  }

  /** Raw newlines in valid JSON text can only be whitespace between tokens. */
  static String flattenJson(String text) {
    return text.replace('\n', ' ').replace('\r', ' ');
  }

  /**
   * PostgreSQL's ISO text form ({@code 2026-01-02 03:04:05.123456+00}, DateStyle ISO, TimeZone
   * UTC) to the XSD form {@code row_to_json} uses ({@code 2026-01-02T03:04:05.123456+00:00}).
   */
  static String isoTimestamp(String text, boolean withZone) {
    int space = text.indexOf(' ');
    if (space < 0) {
      return text; // infinity, -infinity
    }
    String suffix = "";
    String core = text;
    if (text.endsWith(" BC")) {
      suffix = " BC";
      core = text.substring(0, text.length() - 3);
    }
    StringBuilder sb = new StringBuilder(core.length() + 6);
    sb.append(core, 0, space).append('T').append(core, space + 1, core.length());
    if (withZone) {
      int sign = Math.max(sb.lastIndexOf("+"), sb.lastIndexOf("-"));
      if (sign > space && sb.length() - sign == 3) {
        sb.append(":00");
      }
    }
    return sb.append(suffix).toString();
  }

  /** bytea hex output ({@code \x0a0b}) to base64. */
  static String base64(String text) {
    if (text.startsWith("\\x")) {
      return Base64.getEncoder().encodeToString(HexFormat.of().parseHex(text, 2, text.length()));
    }
    throw new IllegalStateException("bytea is not in hex output format");
  }

  static void writeString(String s, Writer out) throws IOException {
    out.write('"');
    int start = 0;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\') {
        continue;
      }
      if (i > start) {
        out.write(s, start, i - start);
      }
      out.write(escape(c));
      start = i + 1;
    }
    if (n > start) {
      out.write(s, start, n - start);
    }
    out.write('"');
  }

  static void appendString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\') {
        sb.append(c);
      } else {
        sb.append(escape(c));
      }
    }
    sb.append('"');
  }

  private static String escape(char c) {
    switch (c) {
      case '"':
        return "\\\"";
      case '\\':
        return "\\\\";
      case '\n':
        return "\\n";
      case '\r':
        return "\\r";
      case '\t':
        return "\\t";
      case '\b':
        return "\\b";
      case '\f':
        return "\\f";
      default:
        return String.format("\\u%04x", (int) c);
    }
  }

  /**
   * A PostgreSQL array literal ({@code {1,NULL,"a \"b\""}}, nested for more dimensions, maybe
   * preceded by bounds like {@code [0:1]=}) written as a JSON array.
   */
  private static final class ArrayLiteral {
    private final String s;
    private final JsonKind kind;
    private final char delim;
    private final Writer out;
    private int pos;

    ArrayLiteral(String s, JsonKind kind, char delim, Writer out) {
      this.s = s;
      this.kind = kind;
      this.delim = delim;
      this.out = out;
    }

    void write() throws IOException {
      if (s.startsWith("[")) {
        pos = s.indexOf('=') + 1;
      }
      array();
    }

    private void array() throws IOException {
      expect('{');
      out.write('[');
      skipSpace();
      if (peek() == '}') {
        pos++;
        out.write(']');
        return;
      }
      boolean first = true;
      while (true) {
        if (!first) {
          out.write(',');
        }
        first = false;
        skipSpace();
        char c = peek();
        if (c == '{') {
          array();
        } else if (c == '"') {
          element(quoted(), true);
        } else {
          element(unquoted(), false);
        }
        skipSpace();
        char next = s.charAt(pos++);
        if (next == '}') {
          break;
        }
        if (next != delim) {
          throw new IllegalStateException("bad array literal at " + pos + ": " + s);
        }
      }
      out.write(']');
    }

    private void element(String text, boolean wasQuoted) throws IOException {
      if (!wasQuoted && text.equalsIgnoreCase("NULL")) {
        out.write("null");
      } else {
        writeValue(kind, null, delim, text, out);
      }
    }

    private String quoted() {
      StringBuilder sb = new StringBuilder();
      pos++; // opening quote
      while (true) {
        char c = s.charAt(pos++);
        if (c == '\\') {
          sb.append(s.charAt(pos++));
        } else if (c == '"') {
          return sb.toString();
        } else {
          sb.append(c);
        }
      }
    }

    private String unquoted() {
      StringBuilder sb = new StringBuilder();
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (c == delim || c == '}') {
          break;
        }
        if (c == '\\') {
          pos++;
          c = s.charAt(pos);
        }
        sb.append(c);
        pos++;
      }
      return sb.toString().strip();
    }

    private void skipSpace() {
      while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
        pos++;
      }
    }

    private char peek() {
      return s.charAt(pos);
    }

    private void expect(char c) {
      skipSpace();
      if (s.charAt(pos) != c) {
        throw new IllegalStateException("bad array literal at " + pos + ": " + s);
      }
      pos++;
    }
  }
}
