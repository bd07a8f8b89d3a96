package dev.hose.schema;

import dev.hose.common.HoseOptions;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Options of {@code hose schema}: DDL for one archived table, from its manifest. */
public interface SchemaOptions extends HoseOptions {
  @Description("One archived table's directory (s3://bucket/prefix/schema.table/ or a local one).")
  @Validation.Required
  String getInput();

  void setInput(String value);

  @Description("The engine to write DDL for: duckdb, athena, spark or postgres.")
  @Validation.Required
  String getDialect();

  void setDialect(String value);

  @Description(
      "What to call the table or view, as schema.name or name (quoted as in psql). Default: the"
          + " archived table's name (schema.table for postgres).")
  String getName();

  void setName(String value);
}
