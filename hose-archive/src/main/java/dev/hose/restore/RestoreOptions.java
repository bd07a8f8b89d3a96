package dev.hose.restore;

import dev.hose.common.HoseOptions;
import dev.hose.common.JdbcOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/**
 * Options of {@code hose restore}: archived tables back into PostgreSQL, one or every table of a
 * run's prefix at once. The connection options are spelled as archive's, so one set of flags (and
 * one password variable) serves both.
 */
public interface RestoreOptions extends HoseOptions, JdbcOptions {
  @Description(
      "An archive: one table's directory (s3://bucket/prefix/schema.table/ or a local path), or a"
          + " run's output prefix, whose tables are all restored in one run. An output written with"
          + " {table} in it is given the same way, with --tables.")
  @Validation.Required
  String getInput();

  void setInput(String value);

  @Description(
      "Only these tables of the run's prefix, spelled as archive's --tables takes them"
          + " (comma-separated, quoted as in psql). Default: every table under --input.")
  String getTables();

  void setTables(String value);

  @Description(
      "The target of a single table, schema.table (schema defaults to public). Default: the"
          + " archived table's own name.")
  String getTable();

  void setTable(String value);

  @Description(
      "Restore every table into this schema, under its archived name (the schema must exist)."
          + " Default: each table's archived schema.")
  String getTargetSchema();

  void setTargetSchema(String value);

  @Description(
      "Create the target table from the manifest's columns and types if it does not exist (enum,"
          + " domain and composite types must exist already).")
  @Default.Boolean(false)
  boolean getCreate();

  void setCreate(boolean value);

  @Description("Replace the target table's rows (in the same transaction that loads the new ones).")
  @Default.Boolean(false)
  boolean getTruncate();

  void setTruncate(boolean value);
}
