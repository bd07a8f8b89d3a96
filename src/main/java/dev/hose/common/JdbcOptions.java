package dev.hose.common;

import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;

/**
 * A PostgreSQL connection, as archive and restore spell it. The password never travels as a value:
 * only the name of a variable or a file that holds it.
 */
public interface JdbcOptions extends PipelineOptions {
  @Description("JDBC URL of the database, e.g. jdbc:postgresql://host:5432/db (no password in it).")
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
}
