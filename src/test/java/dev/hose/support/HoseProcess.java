package dev.hose.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code java -jar target/hose.jar ...} as its own process, as users and schedulers do, and
 * samples its peak RSS from /proc while it runs.
 */
public final class HoseProcess {
  public record Result(int exit, String stdout, String stderr, long peakRssKb) {}

  private HoseProcess() {}

  public static Path jar() {
    Path jar = Path.of(System.getProperty("hose.jar", "target/hose.jar"));
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: run `mvn package` first");
    }
    return jar;
  }

  public static Result run(
      List<String> jvmArgs, List<String> args, Map<String, String> env, Path workDir, long timeoutSeconds)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.add("-jar");
    command.add(jar().toAbsolutePath().toString());
    command.addAll(args);
    Files.createDirectories(workDir);
    Path out = workDir.resolve("stdout.txt");
    Path err = workDir.resolve("stderr.txt");
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    long peak = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (!p.waitFor(100, TimeUnit.MILLISECONDS)) {
      peak = Math.max(peak, rssKb(p.pid()));
      if (System.nanoTime() > deadline) {
        p.destroyForcibly().waitFor();
        throw new IllegalStateException("hose did not finish in " + timeoutSeconds + " s");
      }
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err), peak);
  }

  /**
   * Memory of a live process tree, in KiB: the larger of the process's own peak (VmHWM) and the
   * current resident sets of it and all its descendants added up (for pipelines such as psql |
   * gzip). 0 once it is gone.
   */
  public static long rssKb(long pid) {
    long tree = status(pid, "VmRSS:");
    for (ProcessHandle child :
        ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(List.of())) {
      tree += status(child.pid(), "VmRSS:");
    }
    return Math.max(status(pid, "VmHWM:"), tree);
  }

  private static long status(long pid, String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process ended between two samples
    }
    return 0;
  }
}
