package dev.hose.detect;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scratch directory of one detection DoFn instance, and the only way to create scratch files.
 *
 * <p>{@link #open} creates {@code ROOT/hose-detect-<uuid>/}, holds an exclusive lock on its {@code
 * .lock} file for the instance's life and records the pid and process start time in {@code owner}.
 * It then sweeps sibling directories whose owner is gone: the lock is free and no process with the
 * recorded pid and start time runs. A worker killed mid-job therefore starts its next life clean,
 * and a live instance's files are never touched. Nothing outside {@code ROOT} is deleted and
 * symbolic links are removed, never followed.
 *
 * <p>{@link #use} creates a file, runs the caller's work on it and deletes it on every exit:
 * return, exception, interrupt, {@link Error}. Downloads draw on a per-JVM byte budget per root.
 */
public final class ScratchSpace implements Closeable {
  static final String PREFIX = "hose-detect-";
  static final String LOCK = ".lock";
  static final String OWNER = "owner";

  /** A directory without an owner record is only swept once it is this old (it may be new). */
  static final Duration GRACE = Duration.ofMinutes(1);

  private static final Logger LOG = LoggerFactory.getLogger(ScratchSpace.class);

  /** Instance directories of this JVM; the lock table cannot be asked about our own locks. */
  private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

  private static final Map<Path, Budget> BUDGETS = new ConcurrentHashMap<>();

  private final Path root;
  private final Path directory;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Budget budget;
  private final AtomicLong counter = new AtomicLong();

  private ScratchSpace(
      Path root, Path directory, FileChannel lockChannel, FileLock lock, Budget budget) {
    this.root = root;
    this.directory = directory;
    this.lockChannel = lockChannel;
    this.lock = lock;
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
    Files.createDirectories(root);
    Path realRoot = root.toRealPath();
    Path dir = realRoot.resolve(PREFIX + UUID.randomUUID());
    LIVE.add(dir);
    FileChannel channel = null;
    try {
      Files.createDirectory(dir);
      channel =
          FileChannel.open(
              dir.resolve(LOCK), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      FileLock lock = channel.lock();
      writeOwner(dir);
      Budget budget = BUDGETS.computeIfAbsent(realRoot, r -> new Budget(budgetBytes));
      ScratchSpace space = new ScratchSpace(realRoot, dir, channel, lock, budget);
      int swept = sweep(realRoot);
      if (swept > 0) {
        LOG.info("Removed {} scratch directories left by dead workers under {}", swept, realRoot);
      }
      return space;
    } catch (IOException | RuntimeException | Error e) {
      LIVE.remove(dir);
      if (channel != null) {
        channel.close();
      }
      deleteTree(realRoot, dir);
      throw e;
    }
  }

  /** This instance's directory. */
  public Path directory() {
    return directory;
  }

  /**
   * Reserves {@code reserveBytes} of the budget (waiting while other downloads hold it), creates a
   * file named after a hash of {@code key}, runs {@code work} on it, then deletes the file and
   * returns the reservation, whatever happened.
   */
  public <T, E extends Exception> T use(String key, long reserveBytes, Work<T, E> work)
      throws E, IOException, InterruptedException {
    return useReserved(key, budget.acquire(reserveBytes), work);
  }

  /**
   * As {@link #use(String, long, Work)}, waiting for the budget at most until {@code deadline}
   * (then {@link Reason#TIMEOUT}); null waits as long as it takes.
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
        deleteQuietly(file);
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
    try {
      deleteTree(root, directory);
    } finally {
      LIVE.remove(directory);
      try {
        lock.release();
      } catch (IOException e) {
        // The channel may already be closed; closing it below releases the lock anyway.
      }
      lockChannel.close();
    }
  }

  /**
   * Deletes the instance directories under {@code root} whose owner process is gone. Returns how
   * many it removed.
   */
  public static int sweep(Path root) throws IOException {
    Path realRoot = root.toRealPath();
    int removed = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(realRoot, PREFIX + "*")) {
      for (Path dir : entries) {
        if (LIVE.contains(dir) || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        try {
          if (sweepIfDead(realRoot, dir)) {
            removed++;
          }
        } catch (NoSuchFileException e) {
          // Another worker swept it first.
        } catch (IOException e) {
          LOG.warn("Cannot sweep scratch directory {}: {}", dir, e.toString());
        }
      }
    }
    return removed;
  }

  private static boolean sweepIfDead(Path root, Path dir) throws IOException {
    Optional<Properties> owner = readOwner(dir.resolve(OWNER));
    if (owner.isPresent() && isAlive(owner.get())) {
      return false;
    }
    Path lockFile = dir.resolve(LOCK);
    if (!Files.exists(lockFile, LinkOption.NOFOLLOW_LINKS)) {
      if (owner.isEmpty() && isYoung(dir)) {
        return false;
      }
      deleteTree(root, dir);
      return true;
    }
    if (!Files.isRegularFile(lockFile, LinkOption.NOFOLLOW_LINKS)) {
      deleteTree(root, dir);
      return true;
    }
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        return false;
      }
      if (lock == null) {
        return false;
      }
      try {
        if (owner.isEmpty() && isYoung(dir)) {
          return false;
        }
        deleteTree(root, dir);
        return true;
      } finally {
        lock.release();
      }
    }
  }

  private static boolean isYoung(Path dir) throws IOException {
    Instant modified = Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS).toInstant();
    return modified.isAfter(Instant.now().minus(GRACE));
  }

  /**
   * Records the owner. The lock alone protects a live instance, so a full disk (the record needs a
   * block, the empty lock file does not) must not stop the worker: without the record, a dead
   * instance's directory is swept once it is older than {@link #GRACE}.
   */
  private static void writeOwner(Path dir) throws IOException {
    Path owner = dir.resolve(OWNER);
    try {
      Files.writeString(owner, ownerRecord(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      if (!isOutOfSpace(e)) {
        throw e;
      }
      deleteQuietly(owner);
      LOG.warn("Scratch disk full: {} has no owner record (its lock still guards it)", dir);
    }
  }

  /** Whether {@code e} says the disk or the quota is full (ENOSPC, EDQUOT). */
  static boolean isOutOfSpace(IOException e) {
    return spaceProblem(e) != null;
  }

  /** "No space left on device" or "Disk quota exceeded" if {@code e} says so, else null. */
  static String spaceProblem(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String m = t instanceof java.nio.file.FileSystemException f ? f.getReason() : t.getMessage();
      if (m == null) {
        m = t.getMessage();
      }
      if (m != null) {
        for (String known : new String[] {"No space left on device", "Disk quota exceeded"}) {
          if (m.contains(known)) {
            return known;
          }
        }
      }
    }
    return null;
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

  static String ownerRecord() {
    ProcessHandle self = ProcessHandle.current();
    return "pid="
        + self.pid()
        + "\nstart="
        + self.info().startInstant().map(Instant::toString).orElse("")
        + "\n";
  }

  private static Optional<Properties> readOwner(Path file) {
    try {
      Properties p = new Properties();
      p.load(new java.io.StringReader(Files.readString(file, StandardCharsets.UTF_8)));
      return p.getProperty("pid") == null ? Optional.empty() : Optional.of(p);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Whether the process that wrote {@code owner} still runs (same pid and start time). */
  static boolean isAlive(Properties owner) {
    long pid;
    try {
      pid = Long.parseLong(owner.getProperty("pid").strip());
    } catch (NumberFormatException e) {
      return false;
    }
    Optional<ProcessHandle> process = ProcessHandle.of(pid);
    if (process.isEmpty() || !process.get().isAlive()) {
      return false;
    }
    String recorded = owner.getProperty("start", "").strip();
    Optional<Instant> started = process.get().info().startInstant();
    if (recorded.isEmpty() || started.isEmpty()) {
      return true;
    }
    return started.get().toString().equals(recorded);
  }

  /**
   * Deletes {@code dir} and everything in it, refusing anything that is not inside {@code root}.
   */
  static void deleteTree(Path root, Path dir) throws IOException {
    Path normalized = dir.toAbsolutePath().normalize();
    if (!normalized.startsWith(root) || normalized.equals(root)) {
      throw new IOException("refusing to delete " + dir + ": not inside " + root);
    }
    if (!Files.exists(normalized, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        normalized,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null && !(e instanceof NoSuchFileException)) {
              throw e;
            }
            Files.deleteIfExists(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Cannot delete scratch file {}: {}", file, e.toString());
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
