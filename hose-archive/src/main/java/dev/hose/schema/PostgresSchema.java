package dev.hose.schema;

import dev.hose.restore.ArchivedTable;
import java.util.ArrayList;
import java.util.List;

/**
 * PostgreSQL: the archived table's own definition, each column with the type the manifest records
 * ({@code format_type}) and its NOT NULL, to create before {@code hose restore} (which can also
 * create it with {@code --create}). Enums, domains and other user types must exist first.
 */
final class PostgresSchema implements Dialect.Writer {
  @Override
  public String ddl(Dialect.QualifiedName name, ArchivedTable table) {
    List<String> columns = new ArrayList<>();
    for (Dialect.Typed c : Dialect.columns(table)) {
      columns.add(
          Dialect.quote(c.name())
              + " "
              + c.column().type()
              + (c.column().nullable() ? "" : " NOT NULL"));
    }
    return Dialect.header(table)
        + "CREATE TABLE "
        + name.quoted(Dialect::quote)
        + " (\n  "
        + String.join(",\n  ", columns)
        + "\n);\n";
  }
}
