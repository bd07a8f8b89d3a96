package dev.hose.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputClaimTest {
  @TempDir Path dir;

  /**
   * Some S3-compatible servers check a PUT's condition and then write. A renewal whose condition
   * passed before the run released its claim must not land after the release: the output would look
   * held by a finished run until the claim went stale (seen under Airflow, six tables at once).
   */
  @Test
  void aRenewalInFlightNeverBringsTheClaimBackAfterRelease() throws Exception {
    CheckThenWriteStore store = new CheckThenWriteStore(dir.resolve("out").toString());
    OutputClaim claim =
        OutputClaim.acquire(List.of(store), "run1", "test", false, Duration.ofMillis(20));
    assertTrue(store.conditionPassed.await(10, TimeUnit.SECONDS), "no renewal started");

    Thread closing = new Thread(claim::close);
    closing.start();
    Thread.sleep(200); // let close() reach the delete, if it does not wait for the renewal
    store.write.countDown();
    closing.join(10_000);
    assertTrue(store.written.await(10, TimeUnit.SECONDS), "the renewal never wrote");

    assertEquals(Optional.empty(), store.read().map(s -> new String(s.content())));
  }

  /** A local store whose renewal checks the version, then waits (uninterruptibly), then writes. */
  private static final class CheckThenWriteStore implements OutputClaim.Store {
    final OutputClaim.LocalStore local;
    final CountDownLatch conditionPassed = new CountDownLatch(1);
    final CountDownLatch write = new CountDownLatch(1);
    final CountDownLatch written = new CountDownLatch(1);

    CheckThenWriteStore(String output) {
      local = new OutputClaim.LocalStore(output);
    }

    @Override
    public String renew(String version, byte[] content) throws IOException {
      Optional<OutputClaim.Stored> current = read();
      if (current.isEmpty() || !current.get().version().equals(version)) {
        return null;
      }
      conditionPassed.countDown();
      boolean interrupted = false;
      while (true) {
        try {
          write.await();
          break;
        } catch (InterruptedException e) {
          interrupted = true; // a request on the wire is not called back by an interrupt
        }
      }
      local.delete();
      String renewedVersion = local.createIfAbsent(content);
      written.countDown();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      return renewedVersion;
    }

    @Override
    public Optional<OutputClaim.Stored> read() throws IOException {
      return local.read();
    }

    @Override
    public String createIfAbsent(byte[] content) throws IOException {
      return local.createIfAbsent(content);
    }

    @Override
    public String replace(String version, byte[] content) throws IOException {
      return local.replace(version, content);
    }

    @Override
    public void delete() throws IOException {
      local.delete();
    }

    @Override
    public boolean racy() {
      return false;
    }

    @Override
    public String where() {
      return local.where();
    }
  }
}
