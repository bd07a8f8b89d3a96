package dev.hose.flink;

import dev.hose.support.HoseProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs hose the way users do, in its own JVM ({@code java -jar target/hose.jar ...}), and captures
 * its exit code and output. Output goes to a file, so a chatty job cannot block it.
 */
final class JavaProcess {
  /** The bundled jar that {@code mvn package} built, absolute: the process runs elsewhere. */
  static Path hoseJar() {
    return HoseProcess.jar().toAbsolutePath();
  }

  /** What a finished process returned. */
  record Result(int exitCode, String output, Duration elapsed) {
    @Override
    public String toString() {
      return "exit " + exitCode + " after " + elapsed.toSeconds() + "s:\n" + tail(output, 60);
    }
  }

  private final List<String> command = new ArrayList<>();
  private final Map<String, String> env = new LinkedHashMap<>();
  private Duration timeout = Duration.ofMinutes(10);

  private JavaProcess(List<String> jvmAndMain) {
    command.addAll(HoseProcess.java(List.of("-Xmx512m")));
    command.addAll(jvmAndMain);
  }

  /** {@code java -jar hose.jar COMMAND args...}. */
  static JavaProcess hose(String... args) {
    JavaProcess p = new JavaProcess(List.of("-jar", hoseJar().toString()));
    p.command.addAll(List.of(args));
    return p;
  }

  /** {@code java -cp CLASSPATH MAIN args...}. */
  static JavaProcess main(String classpath, String mainClass, String... args) {
    JavaProcess p = new JavaProcess(List.of("-cp", classpath, mainClass));
    p.command.addAll(List.of(args));
    return p;
  }

  JavaProcess arg(String value) {
    command.add(value);
    return this;
  }

  JavaProcess env(String name, String value) {
    env.put(name, value);
    return this;
  }

  JavaProcess timeout(Duration value) {
    this.timeout = value;
    return this;
  }

  Result run() throws IOException, InterruptedException {
    Path log = Files.createTempFile("hose-run", ".log");
    long start = System.nanoTime();
    try {
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .directory(dev.hose.support.Checkout.root().toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      pb.environment().put("AWS_EC2_METADATA_DISABLED", "true");
      pb.environment().putAll(env);
      Process process = pb.start();
      process.getOutputStream().close();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor();
        throw new IOException(
            "timed out after " + timeout + ": " + command + "\n" + tail(Files.readString(log), 60));
      }
      return new Result(
          process.exitValue(),
          Files.readString(log, StandardCharsets.UTF_8),
          Duration.ofNanos(System.nanoTime() - start));
    } finally {
      Files.deleteIfExists(log);
    }
  }

  static String tail(String text, int lines) {
    String[] all = text.split("\\R");
    int from = Math.max(0, all.length - lines);
    return String.join("\n", java.util.Arrays.asList(all).subList(from, all.length));
  }
}
