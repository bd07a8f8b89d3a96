package dev.hose.archive;

import dev.hose.common.UserError;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A table as the catalog spells it ({@code schema.table}, exact case). Names are validated here and
 * only ever reach SQL through {@link #quoted()} or as bound parameters.
 */
public record TableRef(String schema, String table) implements Serializable {
  /** Letters and digits of any script, underscore, dollar, space and hyphen. */
  private static final Pattern PLAIN = Pattern.compile("[\\p{L}\\p{N}_$ \\-]+");

  public TableRef {
    identifier(schema, "schema");
    identifier(table, "table");
  }

  /**
   * Parses {@code schema.table} or {@code table} (schema public). A part is taken as the catalog
   * spells it, or double-quoted as psql and {@code pg_dump -t} take it ({@code sales."Order
   * Items"}, {@code "MixedCase".orders}, {@code ""} inside quotes for a quote).
   */
  public static TableRef parse(String spec) {
    List<String> parts = split(spec.strip(), '.');
    if (parts.size() > 2) {
      throw new UserError("table '" + spec + "' is not schema.table (one dot at most)");
    }
    List<String> names = new ArrayList<>();
    for (String part : parts) {
      names.add(unquote(part, spec));
    }
    return names.size() == 1
        ? new TableRef("public", names.get(0))
        : new TableRef(names.get(0), names.get(1));
  }

  /** The entries of a comma-separated list as written (trimmed), blanks left out. */
  public static List<String> splitList(String specs) {
    return split(specs, ',').stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  /** Parses a comma-separated list; duplicates are an error. */
  public static List<TableRef> parseList(String specs) {
    List<TableRef> tables = new ArrayList<>();
    for (String spec : splitList(specs)) {
      TableRef t = parse(spec);
      if (tables.contains(t)) {
        throw new UserError("table " + t + " is listed twice in --tables");
      }
      tables.add(t);
    }
    if (tables.isEmpty()) {
      throw new UserError("--tables names no table");
    }
    return tables;
  }

  /** {@code s} split at {@code separator} outside double quotes; quotes are kept. */
  private static List<String> split(String s, char separator) {
    List<String> parts = new ArrayList<>();
    StringBuilder part = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"') {
        quoted = !quoted; // a doubled quote inside quotes toggles twice
      }
      if (c == separator && !quoted) {
        parts.add(part.toString());
        part.setLength(0);
      } else {
        part.append(c);
      }
    }
    if (quoted) {
      throw new UserError("table '" + s + "' has an unterminated double quote");
    }
    parts.add(part.toString());
    return parts;
  }

  /** A name part as written: {@code "Order Items"} unquoted, anything else unchanged. */
  private static String unquote(String part, String spec) {
    if (!part.startsWith("\"")) {
      return part;
    }
    if (part.length() < 2 || !part.endsWith("\"")) {
      throw new UserError("table '" + spec + "' mixes quoted and unquoted text in one name");
    }
    String inner = part.substring(1, part.length() - 1);
    if (inner.replace("\"\"", "").contains("\"")) {
      throw new UserError("table '" + spec + "' mixes quoted and unquoted text in one name");
    }
    return inner.replace("\"\"", "\"");
  }

  /** Validates a schema, table or column name; returns it unchanged. */
  public static String identifier(String name, String what) {
    if (name == null || name.isEmpty()) {
      throw new UserError("empty " + what + " name");
    }
    if (!PLAIN.matcher(name).matches() || name.strip().length() != name.length()) {
      throw new UserError(
          what
              + " name '"
              + name
              + "' is not a plain identifier (letters, digits, _, $, space and - only)");
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > 63) {
      throw new UserError(what + " name '" + name + "' is longer than PostgreSQL's 63 bytes");
    }
    return name;
  }

  /** Double-quotes an identifier for SQL. */
  public static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  /** {@code "schema"."table"}. */
  public String quoted() {
    return quote(schema) + "." + quote(table);
  }

  /** The output directory name: {@code schema.table}, unquoted, as the catalog spells it. */
  public String dirName() {
    return schema + "." + table;
  }

  @Override
  public String toString() {
    return dirName();
  }
}
