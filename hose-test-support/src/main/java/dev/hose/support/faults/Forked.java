package dev.hose.support.faults;

import dev.hose.support.HoseProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * {@code java -jar target/hose.jar ...} started in the background, so that a fault test can wait
 * for a point in the run, inject the fault there (or SIGKILL the process), and then collect what
 * the process printed and how it ended; {@link #run} runs it to its end. Samples peak RSS.
 */
public final class Forked implements AutoCloseable {
  /** How a forked run ended. */
  public record Ended(int exit, String stdout, String stderr, long peakRssKb, long millis) {
    /** The lines the user sees on stderr, without log lines (which carry a timestamp). */
    public List<String> errorLines() {
      return stderr.lines().filter(l -> l.startsWith("hose ")).toList();
    }
  }

  private final Process process;
  private final Path out;
  private final Path err;
  private final long started = System.nanoTime();
  private volatile long peakRssKb;
  private final Thread sampler;

  private Forked(Process process, Path out, Path err) {
    this.process = process;
    this.out = out;
    this.err = err;
    this.sampler =
        new Thread(
            () -> {
              while (process.isAlive()) {
                peakRssKb = Math.max(peakRssKb, HoseProcess.rssKb(process.pid()));
                try {
                  Thread.sleep(50);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "rss-sampler-" + process.pid());
    sampler.setDaemon(true);
    sampler.start();
  }

  /** Starts hose with {@code jvmArgs}, {@code args} and extra environment; output goes to files. */
  public static Forked start(
      List<String> jvmArgs, List<String> args, Map<String, String> env, Path workDir)
      throws IOException {
    Files.createDirectories(workDir);
    Path out = workDir.resolve("stdout.txt");
    Path err = workDir.resolve("stderr.txt");
    ProcessBuilder pb =
        new ProcessBuilder(HoseProcess.command(jvmArgs, args))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    pb.environment().putAll(env);
    return new Forked(pb.start(), out, err);
  }

  /** What the run has written to stderr so far (its log). */
  public String stderrSoFar() {
    try {
      return Files.readString(err);
    } catch (IOException e) {
      return "";
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Polls {@code condition} every 20 ms until it holds; fails if the process ends first or after
   * {@code timeoutSeconds}.
   */
  public void awaitWhileRunning(String what, BooleanSupplier condition, long timeoutSeconds)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (!condition.getAsBoolean()) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "hose ended (exit "
                + process.exitValue()
                + ") before "
                + what
                + ": "
                + Files.readString(err));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no " + what + " within " + timeoutSeconds + " s");
      }
      Thread.sleep(20);
    }
  }

  /** SIGKILL, as the OOM killer or a lost node does: no shutdown hook, no finally block runs. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** Waits for the process to end (killing it after {@code timeoutSeconds}). */
  public Ended await(long timeoutSeconds) throws IOException, InterruptedException {
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      kill();
      throw new IllegalStateException(
          "hose did not finish in " + timeoutSeconds + " s: " + Files.readString(err));
    }
    sampler.join(1000);
    return new Ended(
        process.exitValue(),
        Files.readString(out),
        Files.readString(err),
        peakRssKb,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  /** Runs hose to its end. */
  public static Ended run(
      List<String> jvmArgs,
      List<String> args,
      Map<String, String> env,
      Path workDir,
      long timeoutSeconds)
      throws IOException, InterruptedException {
    try (Forked f = start(jvmArgs, args, env, workDir)) {
      return f.await(timeoutSeconds);
    }
  }

  /** Kills the process if it still runs (only this one: by its own handle). */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
