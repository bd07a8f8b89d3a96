package dev.hose.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CliTest {
  @Test
  void outOfMemoryIsOneLineThatNamesTheHeap() {
    String line =
        Errors.describe(
            new RuntimeException("pipeline failed", new OutOfMemoryError("Java heap space")));
    long maxMb = Runtime.getRuntime().maxMemory() >> 20;
    assertEquals(
        "out of memory (Java heap space, this JVM's maximum heap is "
            + maxMb
            + " MB): give it more with -Xmx, or run less at once",
        line);
  }

  @Test
  void failedRunExitsOneWithOneErrorLine() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Command failing =
        new Command() {
          @Override
          public String name() {
            return "boom";
          }

          @Override
          public String summary() {
            return "fails";
          }

          @Override
          public int run(String[] args) {
            throw new OutOfMemoryError("Java heap space");
          }
        };
    int exit = new Cli(List.of(failing), err).execute(new String[] {"boom"});
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(1, exit);
    assertEquals(1, out.lines().count(), out);
    assertTrue(out.startsWith("hose boom: error: out of memory (Java heap space"), out);
  }
}
