package dev.hose.common;

import org.apache.beam.sdk.options.Default;
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

  @Description(
      "Database connections per worker: archive's pool for its ranges; restore's COPYs into"
          + " staging at once, one shard each, at most one per core of the worker (on"
          + " DirectRunner the whole run; on Flink each task slot).")
  @Default.Integer(4)
  int getMaxConnections();

  void setMaxConnections(int value);
}
