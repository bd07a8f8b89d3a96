package dev.hose.common;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory that belongs to one live process, and the sweep of those whose process is gone.
 *
 * <p>{@link #create} makes {@code ROOT/<prefix><uuid>/}, holds an exclusive lock on its {@code
 * .lock} file for the owner's life and records the pid and process start time in {@code owner}.
 * {@link #sweep} deletes the sibling directories with the same prefix whose owner is gone: the lock
 * is free and no process with the recorded pid and start time runs. A process killed with SIGKILL
 * (or by the OOM killer) therefore has its directory removed by the next one, and a live owner's
 * files are never touched. Nothing outside {@code ROOT} is deleted and symbolic links are removed,
 * never followed.
 */
public final class OwnedDirectory implements Closeable {
  public static final String LOCK = ".lock";
  public static final String OWNER = "owner";

  /** A directory without an owner record is only swept once it is this old (it may be new). */
  static final Duration GRACE = Duration.ofMinutes(1);

  private static final Logger LOG = LoggerFactory.getLogger(OwnedDirectory.class);

  /** Directories of this JVM; the lock table cannot be asked about our own locks. */
  private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

  private final Path root;
  private final Path path;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private OwnedDirectory(Path root, Path path, FileChannel lockChannel, FileLock lock) {
    this.root = root;
    this.path = path;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /** Creates and locks {@code root/<prefix><uuid>/} for this process. */
  public static OwnedDirectory create(Path root, String prefix) throws IOException {
    Files.createDirectories(root);
    Path realRoot = root.toRealPath();
    Path dir = realRoot.resolve(prefix + UUID.randomUUID());
    LIVE.add(dir);
    FileChannel channel = null;
    try {
      Files.createDirectory(dir);
      channel =
          FileChannel.open(
              dir.resolve(LOCK), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      FileLock lock = channel.lock();
      writeOwner(dir);
      return new OwnedDirectory(realRoot, dir, channel, lock);
    } catch (IOException | RuntimeException | Error e) {
      LIVE.remove(dir);
      if (channel != null) {
        channel.close();
      }
      FileTrees.deleteInside(realRoot, dir);
      throw e;
    }
  }

  /** The directory. */
  public Path path() {
    return path;
  }

  /** The real path of the root it was created under. */
  public Path root() {
    return root;
  }

  /** Deletes the directory and everything in it, and releases the lock. */
  @Override
  public void close() throws IOException {
    try {
      FileTrees.deleteInside(root, path);
    } finally {
      LIVE.remove(path);
      try {
        lock.release();
      } catch (IOException e) {
        // The channel may already be closed; closing it below releases the lock anyway.
      }
      lockChannel.close();
    }
  }

  /**
   * Deletes the directories named {@code prefix*} under {@code root} whose owner process is gone.
   * Returns how many it removed.
   */
  public static int sweep(Path root, String prefix) throws IOException {
    Path realRoot = root.toRealPath();
    int removed = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(realRoot, prefix + "*")) {
      for (Path dir : entries) {
        if (LIVE.contains(dir) || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        try {
          if (sweepIfDead(realRoot, dir)) {
            removed++;
          }
        } catch (NoSuchFileException e) {
          // Another process swept it first.
        } catch (IOException e) {
          LOG.warn("Cannot sweep directory {}: {}", dir, e.toString());
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
      FileTrees.deleteInside(root, dir);
      return true;
    }
    if (!Files.isRegularFile(lockFile, LinkOption.NOFOLLOW_LINKS)) {
      FileTrees.deleteInside(root, dir);
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
        FileTrees.deleteInside(root, dir);
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
   * Records the owner. The lock alone protects a live owner, so a full disk (the record needs a
   * block, the empty lock file does not) must not stop the process: without the record, a dead
   * owner's directory is swept once it is older than {@link #GRACE}.
   */
  private static void writeOwner(Path dir) throws IOException {
    Path owner = dir.resolve(OWNER);
    try {
      Files.writeString(owner, ownerRecord(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      if (!Errors.isOutOfSpace(e)) {
        throw e;
      }
      deleteQuietly(owner);
      LOG.warn("Disk full: {} has no owner record (its lock still guards it)", dir);
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

  /** Deletes one file, logging rather than throwing when it cannot. */
  public static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Cannot delete {}: {}", file, e.toString());
    }
  }
}
