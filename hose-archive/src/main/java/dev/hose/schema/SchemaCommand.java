package dev.hose.schema;

import dev.hose.archive.TableRef;
import dev.hose.common.Command;
import dev.hose.common.CommandLine;
import dev.hose.common.JobJar;
import dev.hose.restore.ArchivedTable;
import java.io.PrintStream;
import org.apache.beam.sdk.io.FileSystems;

/**
 * {@code hose schema}: prints DDL that reads one archived table in a query engine, with every
 * column's type from the manifest, so that the engine guesses nothing.
 */
public final class SchemaCommand implements Command {
  private final PrintStream out;

  public SchemaCommand() {
    this(System.out);
  }

  SchemaCommand(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "schema";
  }

  @Override
  public String summary() {
    return "print DDL (duckdb, athena, spark, postgres) with exact types for an archived table";
  }

  @Override
  public Class<SchemaOptions> options() {
    return SchemaOptions.class;
  }

  /**
   * 1) Check the options (the dialect, the name) before any I/O. 2) Read the table's manifest. 3)
   * Print the dialect's DDL.
   */
  @Override
  public int run(String[] args) throws Exception {
    SchemaOptions options = CommandLine.parse(args, SchemaOptions.class, JobJar.ARCHIVE);
    Dialect dialect = Dialect.of(options.getDialect());
    TableRef named = options.getName() == null ? null : TableRef.parse(options.getName());
    boolean qualified = options.getName() != null && options.getName().contains(".");
    FileSystems.setDefaultPipelineOptions(options);
    ArchivedTable table = ArchivedTable.read(ArchivedTable.directory(options.getInput()));
    Dialect.QualifiedName name;
    if (named != null) {
      name = new Dialect.QualifiedName(qualified ? named.schema() : null, named.table());
    } else if (dialect == Dialect.POSTGRES) {
      name = new Dialect.QualifiedName(table.manifest().schema(), table.manifest().table());
    } else {
      name = new Dialect.QualifiedName(null, table.manifest().table());
    }
    out.print(dialect.ddl(name, table));
    out.flush();
    return 0;
  }
}
