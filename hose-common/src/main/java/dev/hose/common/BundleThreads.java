package dev.hose.common;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A DoFn's own threads, for elements that each wait on I/O (a cursor, a COPY): up to {@code
 * threads} of a bundle's elements run at once; {@link #submit} blocks while they all are busy, so a
 * bundle never queues more work than that. {@link #finish} (from {@code @FinishBundle}) waits for
 * all of them. One instance per DoFn instance, made in its setup and closed in its teardown.
 */
public final class BundleThreads<R> implements AutoCloseable {
  private final ExecutorService pool;
  private final Semaphore slots;
  private final List<Future<R>> inFlight = new ArrayList<>();

  public BundleThreads(String name, int threads) {
    AtomicInteger n = new AtomicInteger();
    pool =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, name + "-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    slots = new Semaphore(threads);
  }

  /** Runs {@code work} on one of the threads once one is free; waits until then. */
  public void submit(Callable<R> work) throws InterruptedException {
    slots.acquire();
    try {
      inFlight.add(
          pool.submit(
              () -> {
                try {
                  return work.call();
                } finally {
                  slots.release();
                }
              }));
    } catch (RuntimeException e) {
      slots.release();
      throw e;
    }
  }

  /**
   * Waits for everything submitted since the last call, hands each result to {@code done} in the
   * order submitted, then throws the first failure, if any, once all have ended.
   */
  public void finish(Consumer<R> done) throws Exception {
    Exception failure = null;
    for (Future<R> f : inFlight) {
      try {
        done.accept(f.get());
      } catch (ExecutionException e) {
        if (failure == null) {
          failure = e.getCause() instanceof Exception ex ? ex : e;
        }
      }
    }
    inFlight.clear();
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
