package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.common.Cli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad configuration fails before the pipeline starts, with one line and exit code 2. */
@org.junit.jupiter.api.Timeout(60)
class DetectCommandTest {
  @TempDir Path dir;

  @Test
  void missingInput() throws Exception {
    String err = runExpectingUserError("--output=" + dir.resolve("out"), "--scratchDir=" + dir);
    assertTrue(err.contains("input"), err);
  }

  @Test
  void inputThatDoesNotExist() throws Exception {
    String err =
        runExpectingUserError(
            "--input=" + dir.resolve("nope.txt"),
            "--output=" + dir.resolve("out"),
            "--scratchDir=" + dir.resolve("scratch"));
    assertTrue(err.contains("nope.txt"), err);
  }

  @Test
  void inputMissingAtTheRootIsQuick() throws Exception {
    String err =
        runExpectingUserError(
            "--input=/hose-no-such-input.txt",
            "--output=" + dir.resolve("out"),
            "--scratchDir=" + dir.resolve("scratch"));
    assertTrue(err.contains("no such"), err);
  }

  @Test
  void unwritableScratchDir() throws Exception {
    Path input = Files.writeString(dir.resolve("urls.txt"), "http://127.0.0.1:9/x.mp4\n");
    Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
    String err =
        runExpectingUserError(
            "--input=" + input,
            "--output=" + dir.resolve("out"),
            "--scratchDir=" + file.resolve("sub"));
    assertTrue(err.contains("--scratchDir") && err.contains("not writable"), err);
    assertTrue(!Files.exists(dir.resolve("out")), "the pipeline started");
  }

  @Test
  void unknownDetector() throws Exception {
    Path input = Files.writeString(dir.resolve("urls.txt"), "http://127.0.0.1:9/x.mp4\n");
    String err =
        runExpectingUserError(
            "--input=" + input,
            "--output=" + dir.resolve("out"),
            "--scratchDir=" + dir.resolve("s"),
            "--detectors=motion,cats");
    assertTrue(err.contains("unknown detector 'cats'"), err);
  }

  private static String runExpectingUserError(String... args) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    String[] all = new String[args.length + 1];
    all[0] = "detect";
    System.arraycopy(args, 0, all, 1, args.length);
    int code = new Cli(List.of(new DetectCommand()), err).execute(all);
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(2, code, text);
    assertEquals(1, text.strip().lines().count(), text);
    assertTrue(text.startsWith("hose detect: error: "), text);
    return text;
  }
}
