package dev.hose.demo;

import dev.hose.common.Command;
import dev.hose.common.CommandLine;
import dev.hose.common.UserError;
import dev.hose.embedded.DemoData;
import dev.hose.embedded.Sandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.concurrent.CountDownLatch;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code hose sandbox --dir=DIR [--rows=N] [--s3Port=P]}: keeps the embedded PostgreSQL and S3
 * servers running with the sample tables, for scheduler tests and trying hose by hand. Writes
 * {@code DIR/sandbox.json} when ready; stops on SIGTERM/Ctrl-C or when stdin closes.
 */
public final class SandboxCommand implements Command {
  private static final Logger LOG = LoggerFactory.getLogger(SandboxCommand.class);

  @Override
  public String name() {
    return "sandbox";
  }

  @Override
  public String summary() {
    return "run embedded PostgreSQL + S3 server with sample tables until stopped";
  }

  @Override
  public Class<SandboxOptions> options() {
    return SandboxOptions.class;
  }

  /** Parses {@code --dir}, {@code --rows} and {@code --s3Port}; anything else is an error. */
  static SandboxOptions parse(String[] args) {
    try {
      return PipelineOptionsFactory.fromArgs(args).as(SandboxOptions.class);
    } catch (IllegalArgumentException e) {
      throw new UserError(CommandLine.unknownOption(e.getMessage(), SandboxOptions.class), e);
    }
  }

  @Override
  public int run(String[] args) throws Exception {
    SandboxOptions options = parse(args);
    Path dir = Path.of(options.getDir() == null ? "target/sandbox" : options.getDir());
    long rows = options.getRows();
    int s3Port = options.getS3Port();
    Path ready = dir.resolve("sandbox.json");
    Files.deleteIfExists(ready);
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    try (Sandbox sandbox = Sandbox.start(dir, s3Port)) {
      try (Connection c = sandbox.postgres.connect("postgres")) {
        DemoData.seed(c, rows);
      }
      stopOnSigtermOrEndOfInput(stop, stopped);
      Path tmp = dir.resolve("sandbox.json.tmp");
      dev.hose.common.Json.PRETTY.writeValue(tmp.toFile(), sandbox.describe());
      Files.move(tmp, ready, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      LOG.info("sandbox ready: {}", ready.toAbsolutePath());
      stop.await();
      Files.deleteIfExists(ready);
    } finally {
      stopped.countDown();
    }
    return 0;
  }

  /**
   * Counts {@code stop} down on SIGTERM (then lets the main thread stop the servers before the JVM
   * goes) or when standard input ends.
   */
  private static void stopOnSigtermOrEndOfInput(CountDownLatch stop, CountDownLatch stopped) {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stop.countDown();
                  try {
                    stopped.await(30, java.util.concurrent.TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }));
    Thread stdinWatch =
        new Thread(
            () -> {
              try {
                while (System.in.read() >= 0) {
                  // wait for EOF
                }
              } catch (java.io.IOException ignored) {
                // closed
              }
              stop.countDown();
            },
            "sandbox-stdin");
    stdinWatch.setDaemon(true);
    stdinWatch.start();
  }
}
