package dev.hose.restore;

import dev.hose.common.HoseOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/**
 * Options of {@code hose restore}: one archived table back into PostgreSQL. The connection options
 * are spelled as archive's, so one set of flags (and one password variable) serves both.
 */
public interface RestoreOptions extends HoseOptions {
  @Description("One archived table's directory: s3://bucket/prefix/schema.table/ or a local path.")
  @Validation.Required
  String getInput();

  void setInput(String value);

  @Description("JDBC URL of the source, e.g. jdbc:postgresql://host:5432/db (no password in it).")
  @Validation.Required
  String getJdbcUrl();

  void setJdbcUrl(String value);

  @Description("Database user.")
  @Validation.Required
  String getUsername();

  void setUsername(String value);

  @Description("Name of the environment variable that holds the database password.")
  String getPasswordEnv();

  void setPasswordEnv(String value);

  @Description("Path of a file that holds the database password.")
  String getPasswordFile();

  void setPasswordFile(String value);

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
