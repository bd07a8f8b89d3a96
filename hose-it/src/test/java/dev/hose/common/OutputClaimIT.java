package dev.hose.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.support.LocalS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The output claim against a real S3 API server (conditional PUTs) and a local directory (hard
 * links): racing runs, live and stale holders, and waiting.
 */
class OutputClaimIT {
  private static final String BUCKET = "claims";

  @TempDir static Path dir;
  static LocalS3 s3;
  static HoseOptions options;
  static software.amazon.awssdk.services.s3.S3Client client;
  private static int prefixes;

  @BeforeAll
  static void start() throws Exception {
    s3 = LocalS3.start(dir.resolve("s3"), BUCKET, "AKIACLAIM", "claim-secret");
    options = s3.options();
    client = s3.client();
  }

  @AfterAll
  static void stop() throws Exception {
    if (s3 != null) {
      s3.close();
    }
  }

  private static synchronized String newOutput(String kind) {
    prefixes++;
    return kind.equals("s3")
        ? "s3://" + BUCKET + "/out-" + prefixes + "/"
        : dir.resolve("local-" + prefixes).toString();
  }

  @ParameterizedTest
  @ValueSource(strings = {"s3", "local"})
  void ofRunsStartedTogetherExactlyOneHoldsTheOutput(String kind) throws Exception {
    String output = newOutput(kind);
    int runs = 8;
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(runs);
    try {
      List<Future<OutputClaim>> tries = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        String runId = "run-" + i;
        Callable<OutputClaim> claim =
            () -> {
              go.await();
              try {
                return OutputClaim.acquire(output, runId, "test", options, false);
              } catch (UserError refused) {
                return null;
              }
            };
        tries.add(pool.submit(claim));
      }
      go.countDown();
      List<OutputClaim> held = new ArrayList<>();
      for (Future<OutputClaim> f : tries) {
        OutputClaim c = f.get(60, TimeUnit.SECONDS);
        if (c != null) {
          held.add(c);
        }
      }
      assertEquals(1, held.size(), "runs holding " + output);
      held.get(0).close();
      try (OutputClaim next = OutputClaim.acquire(output, "after", "test", options, false)) {
        assertEquals("after", next.holder().runId(), "a released claim is free");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"s3", "local"})
  void aLiveHolderIsNamedInTheRefusal(String kind) throws Exception {
    String output = newOutput(kind);
    try (OutputClaim first =
        OutputClaim.acquire(output, "first-run", "hose archive", options, false)) {
      UserError refused =
          assertThrows(
              UserError.class,
              () -> OutputClaim.acquire(output, "second-run", "hose archive", options, false));
      String line = refused.getMessage();
      assertFalse(line.contains("\n"), line);
      assertTrue(line.contains("first-run"), line);
      assertTrue(line.contains("host " + first.holder().host()), line);
      assertTrue(line.contains("pid " + ProcessHandle.current().pid()), line);
      assertTrue(line.contains("started " + first.holder().startedAt()), line);
      assertTrue(line.contains("--wait"), line);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"s3", "local"})
  void waitingRunStartsWhenTheHolderEnds(String kind) throws Exception {
    String output = newOutput(kind);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      OutputClaim first = OutputClaim.acquire(output, "first", "test", options, false);
      Future<OutputClaim> waiting =
          pool.submit(() -> OutputClaim.acquire(output, "second", "test", options, true));
      Thread.sleep(3_000); // longer than a poll: the waiting run must still be waiting
      assertFalse(waiting.isDone(), "a waiting run does not start while the holder lives");
      first.close();
      try (OutputClaim second = waiting.get(60, TimeUnit.SECONDS)) {
        assertEquals("second", second.holder().runId());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"s3", "local"})
  void aClaimOfAnotherHostIsTakenOverOnlyOnceExpired(String kind) throws Exception {
    String output = newOutput(kind);
    Instant now = Instant.now();
    plant(output, new OutputClaim.Holder("remote-live", "test", "elsewhere", 1, now, now));
    UserError refused =
        assertThrows(
            UserError.class, () -> OutputClaim.acquire(output, "next", "test", options, false));
    assertTrue(refused.getMessage().contains("remote-live"), refused.getMessage());

    if (kind.equals("local")) {
      // Staleness is the claim's age by the storage's clock: here the file's modification time.
      Instant old = now.minus(OutputClaim.TTL).minus(Duration.ofSeconds(5));
      plant(output, new OutputClaim.Holder("remote-dead", "test", "elsewhere", 1, old, old));
      Files.setLastModifiedTime(
          Path.of(output, OutputClaim.NAME), java.nio.file.attribute.FileTime.from(old));
      try (OutputClaim next = OutputClaim.acquire(output, "next", "test", options, false)) {
        assertEquals("next", next.holder().runId());
      }
    } else {
      // S3 gives no way to age an object: check that the age comes from the server's clock.
      Duration fresh = store(output).read().orElseThrow().age();
      Thread.sleep(2_100);
      Duration later = store(output).read().orElseThrow().age();
      assertTrue(fresh.toSeconds() <= 1, "a new claim is " + fresh + " old");
      assertTrue(later.compareTo(fresh) > 0 && later.toSeconds() >= 1, later + " after " + fresh);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"s3", "local"})
  void aRunOfSeveralOutputsClaimsAllOrNone(String kind) throws Exception {
    String a = newOutput(kind);
    String b = newOutput(kind);
    String c = newOutput(kind);
    try (OutputClaim first = OutputClaim.acquire(List.of(a, b), "first", "test", options, false)) {
      assertTrue(store(a).read().isPresent() && store(b).read().isPresent());
      UserError refused =
          assertThrows(
              UserError.class,
              () -> OutputClaim.acquire(List.of(c, b), "second", "test", options, false));
      assertTrue(refused.getMessage().contains("run first"), refused.getMessage());
      assertTrue(store(c).read().isEmpty(), "a refused run gives back what it had claimed");
      try (OutputClaim other = OutputClaim.acquire(List.of(c), "third", "test", options, false)) {
        assertEquals("third", other.holder().runId());
      }
    }
    assertTrue(store(a).read().isEmpty() && store(b).read().isEmpty());
  }

  @ParameterizedTest
  @ValueSource(strings = {"s3", "local"})
  void theFenceLetsOnlyTheHolderCommitWhileItsClaimIsFresh(String kind) throws Exception {
    String output = newOutput(kind);
    try (OutputClaim.Fence fence = new OutputClaim.Fence(options)) {
      assertTrue(fence.check(output, "mine").contains("is gone"));
      try (OutputClaim mine = OutputClaim.acquire(output, "mine", "test", options, false)) {
        assertEquals(null, fence.check(output, "mine"));
        assertTrue(fence.check(output, "other").contains("held by run mine"));
      }
      Instant now = Instant.now();
      plant(output, new OutputClaim.Holder("mine", "test", "elsewhere", 1, now, now));
      if (kind.equals("local")) {
        Files.setLastModifiedTime(
            Path.of(output, OutputClaim.NAME),
            java.nio.file.attribute.FileTime.from(now.minus(OutputClaim.FENCE).minusSeconds(5)));
        String why = fence.check(output, "mine");
        assertTrue(why != null && why.contains("last renewed"), why);
      }
      store(output).delete();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"s3", "local"})
  void aClaimOfADeadProcessOnThisHostIsTakenOverAtOnce(String kind) throws Exception {
    String output = newOutput(kind);
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Instant now = Instant.now();
    String host;
    try (OutputClaim probe =
        OutputClaim.acquire(newOutput(kind), "probe", "test", options, false)) {
      host = probe.holder().host();
    }
    plant(output, new OutputClaim.Holder("killed", "test", host, gone.pid(), now, now));
    try (OutputClaim next = OutputClaim.acquire(output, "rerun", "test", options, false)) {
      assertEquals("rerun", next.holder().runId());
    }
    Optional<OutputClaim.Stored> left = store(output).read();
    assertTrue(left.isEmpty(), "the claim is released when the run ends");
  }

  @ParameterizedTest
  @ValueSource(strings = {"s3", "local"})
  void aRunRacingForAStaleClaimWinsOnlyOnce(String kind) throws Exception {
    String output = newOutput(kind);
    Instant old = Instant.now().minus(OutputClaim.TTL).minus(Duration.ofSeconds(5));
    plant(output, new OutputClaim.Holder("stale", "test", "elsewhere", 1, old, old));
    OutputClaim.Store store = store(output);
    String version = store.read().orElseThrow().version();
    String a = store.replace(version, "{\"runId\":\"a\"}".getBytes());
    String b = store.replace(version, "{\"runId\":\"b\"}".getBytes());
    assertNotNull(a, "the first replace of the stale claim wins");
    assertEquals(null, b, "the second, on the same stale version, loses");
    store.delete();
  }

  private static void plant(String output, OutputClaim.Holder holder) throws Exception {
    OutputClaim.Store store = store(output);
    store.delete();
    assertNotNull(store.createIfAbsent(holder.toJson()));
    if (!output.startsWith("s3://")) {
      assertTrue(Files.exists(Path.of(output, OutputClaim.NAME)));
    }
  }

  private static OutputClaim.Store store(String output) {
    return output.startsWith("s3://")
        ? new OutputClaim.S3Store(output, client, false)
        : new OutputClaim.LocalStore(output);
  }
}
