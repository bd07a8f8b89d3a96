package dev.hose.restore;

import dev.hose.common.HoseOptions;
import dev.hose.common.JdbcOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/**
 * Options of {@code hose restore}: one archived table back into PostgreSQL. The connection options
 * are spelled as archive's, so one set of flags (and one password variable) serves both.
 */
public interface RestoreOptions extends HoseOptions, JdbcOptions {
  @Description("One archived table's directory: s3://bucket/prefix/schema.table/ or a local path.")
  @Validation.Required
  String getInput();

  void setInput(String value);

  @Description("The target table, schema.table (schema defaults to public).")
  @Validation.Required
  String getTable();

  void setTable(String value);

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
