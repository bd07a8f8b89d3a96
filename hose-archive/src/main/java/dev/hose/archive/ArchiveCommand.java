package dev.hose.archive;

import dev.hose.common.Command;
import dev.hose.common.CommandLine;
import dev.hose.common.JobJar;

/** {@code hose archive}: PostgreSQL tables to gzipped JSON-lines shards with a manifest. */
public final class ArchiveCommand implements Command {
  @Override
  public String name() {
    return "archive";
  }

  @Override
  public String summary() {
    return "PostgreSQL tables -> gzipped JSON-lines shards + _manifest.json (S3 or local)";
  }

  @Override
  public Class<ArchiveOptions> options() {
    return ArchiveOptions.class;
  }

  @Override
  public int run(String[] args) throws Exception {
    ArchiveOptions options = CommandLine.parse(args, ArchiveOptions.class, JobJar.ARCHIVE);
    ArchivePipeline.run(options);
    return 0;
  }
}
