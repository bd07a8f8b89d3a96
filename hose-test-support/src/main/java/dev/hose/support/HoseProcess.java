package dev.hose.support;

import dev.hose.common.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The hose jars as users and schedulers run them: a command line and the RSS of a live process from
 * /proc. {@link dev.hose.support.faults.Forked} runs it. Each command runs from its job jar ({@code
 * archive} from hose-archive.jar, {@code detect} from hose-detect.jar), as a deployment would,
 * except on Flink, whose classes only hose.jar carries (it stages the job jar).
 */
public final class HoseProcess {
  private HoseProcess() {}

  public static Path jar() {
    Path jar = Path.of(System.getProperty("hose.jar", "target/hose.jar"));
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: run `mvn package` first");
    }
    return jar;
  }

  /**
   * {@code java -Djava.io.tmpdir=… JVM_ARGS}: the start of every JVM a test forks, with this JVM's
   * java and its temp directory (under target/ in a Maven build, not /tmp; a -Djava.io.tmpdir in
   * JVM_ARGS wins). The list is the caller's to extend.
   */
  public static List<String> java(List<String> jvmArgs) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
    command.addAll(jvmArgs);
    return command;
  }

  /** The jar that runs {@code args}: its command's job jar, or hose.jar for Flink runners. */
  public static Path jarFor(List<String> args) {
    boolean flink =
        args.stream()
            .anyMatch(a -> a.contains("FlinkRunner") || a.matches("--runnerConfig=.*flink.*"));
    if (flink) {
      return jar();
    }
    Path job = jar().resolveSibling(Cli.jarOf(args.isEmpty() ? "" : args.get(0)).fileName());
    if (!Files.exists(job)) {
      throw new IllegalStateException(job + " is missing: run `mvn package` first");
    }
    return job;
  }

  /**
   * The launcher the build puts next to the jar of {@link #jarFor} ({@code target/hose-archive} for
   * {@code target/hose-archive.jar}): a script that execs that jar's JVM, so its pid is the JVM's.
   */
  public static Path launcherFor(List<String> args) {
    Path jar = jarFor(args);
    String name = jar.getFileName().toString();
    Path launcher = jar.resolveSibling(name.substring(0, name.length() - ".jar".length()));
    if (!Files.isExecutable(launcher)) {
      throw new IllegalStateException(launcher + " is missing: run `mvn package` first");
    }
    return launcher;
  }

  /**
   * {@code java JVM_ARGS -jar JAR ARGS}, with the jar of {@link #jarFor}, started as {@link #java}
   * does.
   */
  public static List<String> command(List<String> jvmArgs, List<String> args) {
    List<String> command = java(jvmArgs);
    command.add("-jar");
    command.add(jarFor(args).toAbsolutePath().toString());
    command.addAll(args);
    return command;
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
