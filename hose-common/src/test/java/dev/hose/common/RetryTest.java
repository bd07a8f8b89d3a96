package dev.hose.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetryTest {
  @Test
  void stopsAtTheFirstSuccess() {
    AtomicInteger calls = new AtomicInteger();
    Optional<Exception> failure =
        Retry.bestEffort(
            5,
            0,
            () -> {
              if (calls.incrementAndGet() < 3) {
                throw new IOException("not yet");
              }
            });
    assertEquals(Optional.empty(), failure);
    assertEquals(3, calls.get());
  }

  @Test
  void givesUpAfterTheLastAttemptWithItsFailure() {
    AtomicInteger calls = new AtomicInteger();
    Optional<Exception> failure =
        Retry.bestEffort(
            4,
            0,
            () -> {
              throw new IllegalStateException("attempt " + calls.incrementAndGet());
            });
    assertEquals(4, calls.get());
    assertEquals("attempt 4", failure.orElseThrow().getMessage());
  }

  @Test
  void anInterruptEndsTheRetriesAndStaysSet() {
    AtomicInteger calls = new AtomicInteger();
    Thread.currentThread().interrupt();
    try {
      Optional<Exception> failure =
          Retry.bestEffort(
              5,
              1,
              () -> {
                calls.incrementAndGet();
                throw new IOException("away");
              });
      assertEquals(1, calls.get());
      assertTrue(failure.isPresent());
      assertTrue(Thread.currentThread().isInterrupted());
    } finally {
      Thread.interrupted();
    }
  }
}
