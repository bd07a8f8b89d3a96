package dev.hose.restore;

import dev.hose.common.HoseOptions;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Options of {@code hose verify}: check archived shards against their manifests. */
public interface VerifyOptions extends HoseOptions {
  @Description(
      "An archive: a run's output prefix (s3://bucket/prefix/ or a local directory) or one"
          + " table's directory under it. An output written with {table} in it is given the same"
          + " way, with --tables.")
  @Validation.Required
  String getInput();

  void setInput(String value);

  @Description(
      "Only these tables of the run's prefix, spelled as archive's --tables takes them"
          + " (comma-separated, quoted as in psql). Default: every table under --input.")
  String getTables();

  void setTables(String value);

  @Description(
      "Also write the result as JSON to this local file: ok, and for each table its rows, shards,"
          + " bytes and problems.")
  String getReportFile();

  void setReportFile(String value);
}
