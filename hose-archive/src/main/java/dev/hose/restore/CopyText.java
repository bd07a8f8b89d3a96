package dev.hose.restore;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.hose.archive.Column;
import dev.hose.archive.JsonKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Turns one archived JSON line back into one row of PostgreSQL's COPY text format, column by
 * column, undoing what {@link dev.hose.archive.RowJsonWriter} did for each {@link JsonKind}:
 *
 * <ul>
 *   <li>numbers keep the exact digits of the JSON text (the parser's token text, never a double);
 *       {@code "NaN"}, {@code "Infinity"} strings go back as they are;
 *   <li>{@code true}/{@code false} become {@code t}/{@code f};
 *   <li>json and jsonb values are copied as the raw JSON text of the line;
 *   <li>timestamps lose the {@code T} of ISO-8601 (the offset stays, so timestamptz is exact);
 *   <li>bytea goes from base64 to {@code \x} hex;
 *   <li>arrays become array literals with every element quoted, {@code null} as {@code NULL};
 *   <li>everything else is the PostgreSQL text form already.
 * </ul>
 *
 * The line's keys must be exactly the columns, in order. Not thread-safe; one per worker thread.
 */
final class CopyText {
  private static final JsonFactory FACTORY = new JsonFactory();

  private final String[] names;
  private final JsonKind[] kinds;
  private final JsonKind[] elementKinds;
  private final char[] delimiters;
  private final StringBuilder row = new StringBuilder();
  private final StringBuilder value = new StringBuilder();
  private final CopyBytes bytes;

  CopyText(List<Column> columns) {
    int n = columns.size();
    names = new String[n];
    kinds = new JsonKind[n];
    elementKinds = new JsonKind[n];
    delimiters = new char[n];
    for (int i = 0; i < n; i++) {
      Column c = columns.get(i);
      names[i] = c.name();
      kinds[i] = c.kind();
      elementKinds[i] = c.elementKind();
      delimiters[i] = c.elementDelimiter();
    }
    bytes = new CopyBytes(columns);
  }

  /**
   * Appends the COPY row for the UTF-8 line {@code line[start..start + length]} (with its newline)
   * to {@code out}: straight from the bytes ({@link CopyBytes}) for the lines archive writes, else
   * through the parser, which names what is wrong with a bad one. Malformed UTF-8 is a {@link
   * java.nio.charset.CharacterCodingException}.
   */
  void write(byte[] line, int start, int length, ByteArrayOutputStream out) throws IOException {
    if (bytes.convert(line, start, length)) {
      out.write(bytes.row(), 0, bytes.size());
    } else {
      write(ShardStream.decode(line, start, length), out);
    }
  }

  /** Appends the COPY row for {@code line} (with its newline) to {@code out} as UTF-8. */
  void write(String line, ByteArrayOutputStream out) throws IOException {
    out.write(toCopy(line).getBytes(StandardCharsets.UTF_8));
  }

  /** The COPY text row for one JSON line, ending in a newline. */
  String toCopy(String line) throws IOException {
    row.setLength(0);
    try (JsonParser p = FACTORY.createParser(line)) {
      expect(p.nextToken() == JsonToken.START_OBJECT, "not a JSON object");
      for (int i = 0; i < names.length; i++) {
        JsonToken t = p.nextToken();
        expect(t == JsonToken.FIELD_NAME, "has " + i + " keys, expected " + names.length);
        expect(
            names[i].equals(p.currentName()),
            "key " + (i + 1) + " is \"" + p.currentName() + "\", expected \"" + names[i] + "\"");
        if (i > 0) {
          row.append('\t');
        }
        JsonToken v = p.nextToken();
        if (v == JsonToken.VALUE_NULL) {
          row.append("\\N");
          continue;
        }
        if (kinds[i] == JsonKind.ARRAY) {
          expect(v == JsonToken.START_ARRAY, names[i] + " is not a JSON array");
          value.setLength(0);
          array(p, line, elementKinds[i], delimiters[i], value);
          escapeCopy(value, row);
        } else {
          escapeCopy(scalar(p, line, kinds[i]), row);
        }
      }
      JsonToken end = p.nextToken();
      expect(end == JsonToken.END_OBJECT, "has more keys than the " + names.length + " columns");
      expect(p.nextToken() == null, "holds more than one JSON value");
    }
    row.append('\n');
    return row.toString();
  }

  /** The text form of the value at the parser's current token. */
  private static String scalar(JsonParser p, String line, JsonKind kind) throws IOException {
    JsonToken t = p.currentToken();
    switch (kind) {
      case JSON:
      case JSONB:
        return rawJson(p, line);
      case BOOLEAN:
        expect(t.isBoolean(), "a boolean is " + t);
        return t == JsonToken.VALUE_TRUE ? "t" : "f";
      case NUMBER:
        expect(t.isNumeric() || t == JsonToken.VALUE_STRING, "a number is " + t);
        return p.getText(); // the token's own digits
      case BYTEA:
        expect(t == JsonToken.VALUE_STRING, "bytea is not a base64 string");
        return "\\x" + HexFormat.of().formatHex(Base64.getDecoder().decode(p.getText()));
      case TIMESTAMP:
      case TIMESTAMPTZ:
        expect(t == JsonToken.VALUE_STRING, "a timestamp is " + t);
        String s = p.getText();
        int tee = s.indexOf('T');
        return tee < 0 ? s : s.substring(0, tee) + ' ' + s.substring(tee + 1);
      default: // DATE, TEXT: the text form
        expect(t == JsonToken.VALUE_STRING, "a text-form value is " + t);
        return p.getText();
    }
  }

  /** A JSON array (nested for more dimensions) as a PostgreSQL array literal. */
  private static void array(
      JsonParser p, String line, JsonKind elementKind, char delimiter, StringBuilder out)
      throws IOException {
    out.append('{');
    boolean first = true;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      expect(t != null, "an array does not end");
      if (!first) {
        out.append(delimiter);
      }
      first = false;
      if (t == JsonToken.START_ARRAY
          && elementKind != JsonKind.JSON
          && elementKind != JsonKind.JSONB) {
        array(p, line, elementKind, delimiter, out);
      } else if (t == JsonToken.VALUE_NULL) {
        out.append("NULL");
      } else {
        quoteElement(scalar(p, line, elementKind), out);
      }
    }
    out.append('}');
  }

  /** An array element's text in double quotes, its quotes and backslashes escaped. */
  static void quoteElement(CharSequence element, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < element.length(); i++) {
      char c = element.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\');
      }
      out.append(c);
    }
    out.append('"');
  }

  /**
   * The JSON text of the value at the parser's current token, exactly as the line holds it (a
   * nested object or array is skipped over, a string is read to its end first).
   */
  private static String rawJson(JsonParser p, String line) throws IOException {
    int start = (int) p.currentTokenLocation().getCharOffset();
    if (p.currentToken().isStructStart()) {
      p.skipChildren();
    } else {
      p.finishToken();
    }
    int end = (int) p.currentLocation().getCharOffset();
    return line.substring(start, end);
  }

  /**
   * COPY text format: backslash, newline, carriage return and tab are escaped. The runs between
   * them (for most values, the whole value) are appended at once: appending char by char was the
   * hottest code of a restore.
   */
  static void escapeCopy(CharSequence v, StringBuilder out) {
    int n = v.length();
    int from = 0;
    for (int i = 0; i < n; i++) {
      String escaped =
          switch (v.charAt(i)) {
            case '\\' -> "\\\\";
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            default -> null;
          };
      if (escaped != null) {
        out.append(v, from, i).append(escaped);
        from = i + 1;
      }
    }
    if (from == 0) {
      out.append(v);
    } else {
      out.append(v, from, n);
    }
  }

  private static void expect(boolean condition, String problem) throws IOException {
    if (!condition) {
      throw new BadLineException(problem);
    }
  }

  /** A line that does not match the manifest's columns or types. */
  static final class BadLineException extends IOException {
    BadLineException(String message) {
      super(message);
    }
  }
}
