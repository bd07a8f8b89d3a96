package dev.hose.bench;

import dev.hose.support.HoseProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A child process of the benchmark: output to a log file, sampled, stopped at a time limit. */
final class Child {
  /** How a child ended. */
  /**
   * @param startMillis wall-clock time the process was started
   * @param endMillis wall-clock time it was seen to end
   */
  record Exit(
      int code, boolean timedOut, double seconds, long startMillis, long endMillis, Path log) {
    boolean ok() {
      return code == 0 && !timedOut;
    }

    /** The log's last line that mentions {@code needle}, or "". */
    String lastLine(String needle) throws IOException {
      String found = "";
      for (String line : Files.readAllLines(log)) {
        if (line.contains(needle)) {
          found = line;
        }
      }
      return found.strip();
    }
  }

  private Child() {}

  /** {@code java -Xmx… -XX:+ExitOnOutOfMemoryError JVM_ARGS…}: the start of every forked JVM. */
  static List<String> java(String heap, String... jvmArgs) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + heap);
    cmd.add("-XX:+ExitOnOutOfMemoryError");
    cmd.addAll(List.of(jvmArgs));
    return cmd;
  }

  /**
   * hose as the README runs it: the launcher next to the jar that {@code args} (the command word,
   * and {@code --runner=FlinkRunner} for the Flink client) run from, {@code target/hose-archive},
   * {@code target/hose-detect} or {@code target/hose}, which starts the JVM from its class cache.
   * Add the command and its options; run it with {@link #hoseEnv}.
   */
  static List<String> hose(List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(HoseProcess.launcherFor(args).toAbsolutePath().toString());
    return cmd;
  }

  /**
   * {@code env} plus what the launcher takes: this JVM's java, the JVM flags every forked JVM gets
   * ({@link #java}), and one cache directory for the whole benchmark under {@code --work}. Each
   * suite records a command's cache with an untimed run before it times that command, as the first
   * night of a deployment records it.
   */
  static Map<String, String> hoseEnv(Settings settings, Map<String, String> env) {
    Map<String, String> all = new HashMap<>(env);
    all.put("HOSE_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    all.put("JAVA_OPTS", "-Xmx" + settings.heap() + " -XX:+ExitOnOutOfMemoryError");
    all.put("HOSE_CACHE_DIR", settings.work().resolve("class-cache").toAbsolutePath().toString());
    return all;
  }

  /** Starts {@code command}; its stdout and stderr go to {@code log}. */
  static Process start(List<String> command, Map<String, String> env, Path log) throws IOException {
    Files.createDirectories(log.getParent());
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    pb.environment().put("AWS_EC2_METADATA_DISABLED", "true");
    return pb.start();
  }

  /** Runs {@code command} to its end or its time limit, sampled as {@code role}. */
  static Exit run(
      List<String> command,
      Map<String, String> env,
      Path log,
      long timeoutSeconds,
      ProcessSampler sampler,
      String role,
      boolean jvm)
      throws IOException, InterruptedException {
    long start = System.nanoTime();
    long startMillis = System.currentTimeMillis();
    Process p = start(command, env, log);
    sampler.watch(role, p.pid(), jvm);
    boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
    if (!done) {
      stop(p);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Exit(
        done ? p.exitValue() : -1, !done, seconds, startMillis, System.currentTimeMillis(), log);
  }

  /** Kills {@code p} and its descendants (by pid, children first) and waits for them. */
  static void stop(Process p) throws InterruptedException {
    List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
    tree.forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    p.waitFor();
    for (ProcessHandle h : tree) {
      h.onExit().join();
    }
  }
}
