package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.common.Errors;
import dev.hose.common.FileTrees;
import dev.hose.common.OwnedDirectory;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScratchSpaceTest {
  @TempDir Path root;

  @Test
  void theFileIsGoneOnEveryExit() throws Exception {
    try (ScratchSpace space = ScratchSpace.open(root, 1000)) {
      AtomicReference<Path> seen = new AtomicReference<>();

      String value = space.use("https://h/a.mp4", 10, null, f -> record(seen, f, "ok"));
      assertEquals("ok", value);
      assertGone(seen.get());

      VideoFailure failure = new VideoFailure(Reason.DECODE_ERROR, "bad");
      assertSame(
          failure,
          assertThrows(
              VideoFailure.class,
              () ->
                  space.use(
                      "k",
                      10,
                      null,
                      f -> {
                        record(seen, f, "x");
                        throw failure;
                      })));
      assertGone(seen.get());

      assertThrows(
          IllegalStateException.class,
          () ->
              space.use(
                  "k",
                  10,
                  null,
                  f -> {
                    record(seen, f, "x");
                    throw new IllegalStateException("detector bug");
                  }));
      assertGone(seen.get());

      OutOfMemoryError oom = new OutOfMemoryError("simulated");
      assertSame(
          oom,
          assertThrows(
              OutOfMemoryError.class,
              () ->
                  space.use(
                      "k",
                      10,
                      null,
                      f -> {
                        record(seen, f, "x");
                        throw oom;
                      })));
      assertGone(seen.get());

      assertThrows(
          InterruptedIOException.class,
          () ->
              space.use(
                  "k",
                  10,
                  null,
                  f -> {
                    record(seen, f, "x");
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted");
                  }));
      assertTrue(Thread.interrupted());
      assertGone(seen.get());

      assertEquals(1000, space.budgetBytes());
      assertEquals(List.of(), filesIn(space.directory()));
    }
    assertEquals(List.of(), children(root));
  }

  @Test
  void namesComeFromAHashNotTheUrl() throws Exception {
    try (ScratchSpace space = ScratchSpace.open(root, 1000)) {
      Path file = space.use("http://h/../../../etc/passwd", 1, null, f -> f);
      assertEquals(space.directory(), file.getParent());
      assertTrue(file.getFileName().toString().matches("v-[0-9a-f]{24}-\\d+"), file.toString());
    }
  }

  @Test
  void theBudgetIsReservedAndGivenBack() throws Exception {
    try (ScratchSpace space = ScratchSpace.open(root, 100)) {
      ScratchSpace.Budget budget = budgetOf(space);
      space.use(
          "a",
          60,
          null,
          f -> {
            assertEquals(40, budget.available());
            return null;
          });
      assertEquals(100, budget.available());
      space.use(
          "a",
          5_000,
          null,
          f -> {
            assertEquals(0, budget.available());
            return null;
          });
      assertEquals(100, budget.available());
    }
  }

  @Test
  void aLargeReservationIsServedInTurnAndWaitsNoLongerThanItsDeadline() throws Exception {
    ScratchSpace.Budget budget = new ScratchSpace.Budget(100);
    assertEquals(10, budget.acquire(10));
    VideoFailure late =
        assertThrows(
            VideoFailure.class, () -> budget.acquire(100, Deadline.in(Duration.ofMillis(100))));
    assertEquals(Reason.TIMEOUT, late.reason());
    assertEquals(90, budget.available());

    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<Long> big = threads.submit(() -> budget.acquire(100));
      awaitWaiting(budget, 1);
      Future<Long> small = threads.submit(() -> budget.acquire(5));
      awaitWaiting(budget, 2);
      assertFalse(small.isDone(), "a later small reservation overtook the waiting large one");
      budget.release(10);
      assertEquals(100, big.get(10, TimeUnit.SECONDS));
      assertEquals(1, budget.waiting());
      budget.release(100);
      assertEquals(5, small.get(10, TimeUnit.SECONDS));
      budget.release(5);
      assertEquals(100, budget.available());
    } finally {
      threads.shutdownNow();
    }
  }

  private static void awaitWaiting(ScratchSpace.Budget budget, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (budget.waiting() < n && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(n, budget.waiting());
  }

  @Test
  void setupSweepsDeadInstancesOnly() throws Exception {
    Path outside = Files.writeString(root.resolveSibling(root.getFileName() + "-keep.txt"), "keep");
    try {
      Path dead = fakeInstance("hose-detect-dead", deadPid(), "");
      Files.writeString(dead.resolve("v-abc-1"), "half a video");
      Files.createSymbolicLink(dead.resolve("link"), outside);
      Path reused =
          fakeInstance("hose-detect-reused", ProcessHandle.current().pid(), "1970-01-01T00:00:00Z");
      Path unrelated = Files.createDirectory(root.resolve("someone-else"));
      try (ScratchSpace live = ScratchSpace.open(root, 100)) {
        Path file = live.directory().resolve("v-live");
        Files.writeString(file, "in use");
        try (ScratchSpace second = ScratchSpace.open(root, 100)) {
          assertFalse(Files.exists(dead));
          assertFalse(Files.exists(reused));
          assertTrue(Files.exists(file), "a live instance's file was swept");
          assertTrue(Files.exists(unrelated));
          assertTrue(Files.exists(outside), "followed a symbolic link out of --scratchDir");
          assertTrue(Files.isDirectory(second.directory()));
        }
      }
      assertEquals(List.of(unrelated), children(root));
    } finally {
      Files.deleteIfExists(outside);
    }
  }

  @Test
  void recognisesAFullDiskOrQuota() {
    assertEquals(
        "No space left on device",
        Errors.spaceProblem(
            new java.nio.file.FileSystemException("/s/x", null, "No space left on device")));
    assertEquals(
        "Disk quota exceeded",
        Errors.spaceProblem(
            new IOException("write failed", new IOException("Disk quota exceeded"))));
    assertEquals(null, Errors.spaceProblem(new IOException("Input/output error")));
  }

  @Test
  void refusesToDeleteOutsideTheRoot() {
    assertThrows(
        IOException.class, () -> FileTrees.deleteInside(root, root.resolve("../elsewhere")));
    assertThrows(IOException.class, () -> FileTrees.deleteInside(root, root));
  }

  private Path fakeInstance(String name, long pid, String start) throws IOException {
    Path dir = Files.createDirectory(root.resolve(name));
    Files.createFile(dir.resolve(OwnedDirectory.LOCK));
    Files.writeString(
        dir.resolve(OwnedDirectory.OWNER),
        "pid=" + pid + "\nstart=" + start + "\n",
        StandardCharsets.UTF_8);
    return dir;
  }

  /** The pid of a process that has exited. */
  static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    return p.pid();
  }

  private static <T> T record(AtomicReference<Path> seen, Path file, T value) throws IOException {
    assertTrue(Files.exists(file));
    Files.writeString(file, "bytes");
    seen.set(file);
    return value;
  }

  private static void assertGone(Path file) {
    assertFalse(Files.exists(file), file + " was left behind");
  }

  private static ScratchSpace.Budget budgetOf(ScratchSpace space) throws Exception {
    var field = ScratchSpace.class.getDeclaredField("budget");
    field.setAccessible(true);
    return (ScratchSpace.Budget) field.get(space);
  }

  static List<Path> filesIn(Path dir) throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(p -> p.getFileName().toString().startsWith("v-")).forEach(files::add);
    }
    return files;
  }

  static List<Path> children(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }
}
