package dev.hose.detect;

import dev.hose.common.Command;
import dev.hose.common.CommandLine;
import dev.hose.common.JobJar;

/** {@code hose detect}: video URLs to motion and face detections, gzipped JSON lines. */
public final class DetectCommand implements Command {
  @Override
  public String name() {
    return "detect";
  }

  @Override
  public String summary() {
    return "video URLs -> detections (motion, faces) as JSON-lines shards + _manifest.json";
  }

  @Override
  public Class<DetectOptions> options() {
    return DetectOptions.class;
  }

  @Override
  public int run(String[] args) throws Exception {
    DetectOptions options = CommandLine.parse(args, DetectOptions.class, JobJar.DETECT);
    DetectPipeline.run(options);
    System.out.println(
        "detect: results, failures and _manifest.json are under " + options.getOutput());
    return 0;
  }
}
