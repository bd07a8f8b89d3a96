package dev.hose.archive;

import dev.hose.common.UserError;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A table as the catalog spells it ({@code schema.table}, exact case). Names are validated here
 * and only ever reach SQL through {@link #quoted()} or as bound parameters.
 */
public record TableRef(String schema, String table) implements Serializable {
  /** Letters and digits of any script, underscore, dollar, space and hyphen. */
  private static final Pattern PLAIN = Pattern.compile("[\\p{L}\\p{N}_$ \\-]+");

  public TableRef {
    identifier(schema, "schema");
    identifier(table, "table");
  }

  /** Parses {@code schema.table} or {@code table} (schema public). */
  public static TableRef parse(String spec) {
    String s = spec.strip();
    int dot = s.indexOf('.');
    if (dot < 0) {
      return new TableRef("public", s);
    }
    if (s.indexOf('.', dot + 1) >= 0) {
      throw new UserError("table '" + spec + "' is not schema.table (one dot at most)");
    }
    return new TableRef(s.substring(0, dot), s.substring(dot + 1));
  }

  /** Parses a comma-separated list; duplicates are an error. */
  public static List<TableRef> parseList(String specs) {
    List<TableRef> tables = new ArrayList<>();
    for (String spec : specs.split(",")) {
      if (spec.isBlank()) {
        continue;
      }
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
