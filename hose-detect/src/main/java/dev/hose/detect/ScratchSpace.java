package dev.hose.detect;

import dev.hose.common.OwnedDirectory;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scratch directory of one detection DoFn instance, and the only way to create scratch files.
 *
 * <p>{@link #open} creates {@code ROOT/hose-detect-<uuid>/} as an {@link OwnedDirectory} (locked
 * for the instance's life, owner pid and start time recorded) and then sweeps sibling directories
 * whose owner is gone. A worker killed mid-job therefore starts its next life clean, and a live
 * instance's files are never touched. Nothing outside {@code ROOT} is deleted and symbolic links
 * are removed, never followed.
 *
 * <p>{@link #use} creates a file, runs the caller's work on it and deletes it on every exit:
 * return, exception, interrupt, {@link Error}. Downloads draw on a per-JVM byte budget per root.
 */
public final class ScratchSpace implements Closeable {
  static final String PREFIX = "hose-detect-";

  private static final Logger LOG = LoggerFactory.getLogger(ScratchSpace.class);

  private static final Map<Path, Budget> BUDGETS = new ConcurrentHashMap<>();

  private final OwnedDirectory owned;
  private final Path directory;
  private final Budget budget;
  private final AtomicLong counter = new AtomicLong();

  private ScratchSpace(OwnedDirectory owned, Budget budget) {
    this.owned = owned;
    this.directory = owned.path();
    this.budget = budget;
  }

  /** Work done on a scratch file; the file is gone once it returns or throws. */
  @FunctionalInterface
  public interface Work<T, E extends Exception> {
    T apply(Path file) throws E, IOException, InterruptedException;
  }

  /**
   * Creates this instance's directory under {@code root} and sweeps what dead instances left.
   * {@code budgetBytes} bounds the bytes reserved at once by all instances of this JVM on {@code
   * root}.
   */
  public static ScratchSpace open(Path root, long budgetBytes) throws IOException {
    OwnedDirectory owned = OwnedDirectory.create(root, PREFIX);
    try {
      Budget budget = BUDGETS.computeIfAbsent(owned.root(), r -> new Budget(budgetBytes));
      ScratchSpace space = new ScratchSpace(owned, budget);
      int swept = sweep(owned.root());
      if (swept > 0) {
        LOG.info(
            "Removed {} scratch directories left by dead workers under {}", swept, owned.root());
      }
      return space;
    } catch (IOException | RuntimeException | Error e) {
      owned.close();
      throw e;
    }
  }

  /** This instance's directory. */
  public Path directory() {
    return directory;
  }

  /**
   * Reserves {@code reserveBytes} of the budget, waiting while other downloads hold it at most
   * until {@code deadline} (then {@link Reason#TIMEOUT}; null waits as long as it takes), creates a
   * file named after a hash of {@code key}, runs {@code work} on it, then deletes the file and
   * returns the reservation, whatever happened.
   */
  <T, E extends Exception> T use(String key, long reserveBytes, Deadline deadline, Work<T, E> work)
      throws E, VideoFailure, IOException, InterruptedException {
    return useReserved(key, budget.acquire(reserveBytes, deadline), work);
  }

  private <T, E extends Exception> T useReserved(String key, long reserved, Work<T, E> work)
      throws E, IOException, InterruptedException {
    try {
      Path file =
          directory.resolve(
              "v-" + UrlPolicy.sha256(key).substring(0, 24) + "-" + counter.incrementAndGet());
      try {
        Files.createFile(file);
        return work.apply(file);
      } finally {
        OwnedDirectory.deleteQuietly(file);
      }
    } finally {
      budget.release(reserved);
    }
  }

  /** The most bytes one reservation can get. */
  public long budgetBytes() {
    return budget.total;
  }

  /** Removes this instance's directory (a safety net: {@link #use} already removed its files). */
  @Override
  public void close() throws IOException {
    owned.close();
  }

  /**
   * Deletes the instance directories under {@code root} whose owner process is gone. Returns how
   * many it removed.
   */
  public static int sweep(Path root) throws IOException {
    return OwnedDirectory.sweep(root, PREFIX);
  }

  /**
   * Fails with {@link Reason#SCRATCH_FULL} when {@code bytes} cannot fit on the scratch disk even
   * after every download of this JVM on it has finished: its free space plus what they reserved.
   */
  public void checkRoom(long bytes) throws VideoFailure, IOException {
    long usable = Files.getFileStore(directory).getUsableSpace();
    long reclaimable = budget.total - budget.available();
    if (bytes > usable + reclaimable) {
      throw new VideoFailure(
          Reason.SCRATCH_FULL,
          bytes + " bytes do not fit on the scratch disk (" + usable + " bytes free)");
    }
  }

  /** Bytes of scratch disk that concurrent downloads of one JVM may reserve. */
  static final class Budget {
    private final long total;
    private long available;
    private final java.util.ArrayDeque<Object> queue = new java.util.ArrayDeque<>();

    Budget(long total) {
      this.total = total;
      this.available = total;
    }

    /** Reserves {@code bytes}, capped at the whole budget; returns what was reserved. */
    synchronized long acquire(long bytes) throws InterruptedException {
      try {
        return acquire(bytes, null);
      } catch (VideoFailure e) {
        throw new IllegalStateException("no deadline, no timeout", e);
      }
    }

    /**
     * Reserves {@code bytes}, capped at the whole budget, first come first served: a large
     * reservation is not starved by a stream of small ones, and waits behind earlier ones. Fails
     * with {@link Reason#TIMEOUT} once {@code deadline} (if any) has passed.
     */
    synchronized long acquire(long bytes, Deadline deadline)
        throws InterruptedException, VideoFailure {
      long want = Math.max(0, Math.min(bytes, total));
      Object ticket = new Object();
      queue.addLast(ticket);
      try {
        while (queue.peekFirst() != ticket || available < want) {
          if (deadline == null) {
            wait();
          } else {
            deadline.check();
            wait(Math.max(1, deadline.remainingMillis()));
          }
        }
        available -= want;
        return want;
      } finally {
        queue.remove(ticket);
        notifyAll();
      }
    }

    /** Reservations waiting their turn. */
    synchronized int waiting() {
      return queue.size();
    }

    synchronized void release(long bytes) {
      available += bytes;
      notifyAll();
    }

    synchronized long available() {
      return available;
    }
  }
}
