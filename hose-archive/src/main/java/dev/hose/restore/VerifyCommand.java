package dev.hose.restore;

import dev.hose.common.Command;
import dev.hose.common.CommandLine;
import dev.hose.common.JobJar;

/** {@code hose verify}: checks an archive's shards against their manifests. */
public final class VerifyCommand implements Command {
  @Override
  public String name() {
    return "verify";
  }

  @Override
  public String summary() {
    return "check archived shards against _manifest.json (size, sha256, decompression, rows, columns)";
  }

  @Override
  public Class<VerifyOptions> options() {
    return VerifyOptions.class;
  }

  @Override
  public int run(String[] args) throws Exception {
    VerifyOptions options = CommandLine.parse(args, VerifyOptions.class, JobJar.ARCHIVE);
    VerifyPipeline.Report report = VerifyPipeline.run(options);
    report.print(System.out);
    if (options.getReportFile() != null) {
      report.write(java.nio.file.Path.of(options.getReportFile()));
    }
    return report.ok() ? 0 : 1;
  }
}
