package dev.hose.restore;

import dev.hose.common.Command;
import dev.hose.common.CommandLine;
import dev.hose.common.JobJar;

/** {@code hose restore}: archived tables back into PostgreSQL tables, all or nothing. */
public final class RestoreCommand implements Command {
  @Override
  public String name() {
    return "restore";
  }

  @Override
  public String summary() {
    return "load archived tables back into PostgreSQL (COPY, in parallel, all or nothing)";
  }

  @Override
  public Class<RestoreOptions> options() {
    return RestoreOptions.class;
  }

  @Override
  public int run(String[] args) throws Exception {
    RestoreOptions options = CommandLine.parse(args, RestoreOptions.class, JobJar.ARCHIVE);
    for (RestorePipeline.Result result : RestorePipeline.run(options)) {
      System.out.printf(
          "%s: restored %,d rows from %d shards into %s%n",
          result.source(), result.rows(), result.shards(), result.target());
    }
    return 0;
  }
}
