package dev.hose.common;

import java.lang.reflect.Field;
import java.net.URLConnection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the DoFns of a job share in one worker JVM (a connection pool), and what they leave behind
 * there, released when the last of them tears down.
 *
 * <p>On a Flink session cluster each job's classes live in a classloader of their own, which the
 * TaskManager can unload only once nothing outside it refers to it. The libraries a job uses leave
 * threads and registrations that pin it: Beam's S3 filesystem executor threads, the PostgreSQL
 * driver in {@link DriverManager}, pooled connections and their cleaner thread. Each pinned job
 * keeps about 6,300 classes, 34 MB of metaspace and 27 MB of heap, so a session cluster that runs
 * the nightly job runs out of metaspace within days (docs/design/flink-session-classloaders.md). So
 * when the last DoFn of this classloader tears down, the shared pools are closed and, if the
 * classes were loaded by a per-job classloader, its JDBC drivers are deregistered and the executors
 * of Beam's filesystems shut down. A DoFn that sets up after that (a later stage of the same job)
 * gets all of it back: {@link #open} re-registers the drivers and Beam's filesystems.
 */
public final class WorkerResources implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerResources.class);
  private static final Object LOCK = new Object();

  // All guarded by LOCK.
  private static int open;
  private static final Map<String, AutoCloseable> SHARED = new HashMap<>();
  private static final List<Driver> DEREGISTERED = new ArrayList<>();
  private static boolean fileSystemsReleased;

  private boolean closed;

  private WorkerResources() {}

  /** Call in {@code @Setup}; close in {@code @Teardown}. */
  public static WorkerResources open(PipelineOptions options) {
    synchronized (LOCK) {
      if (perJobClassLoader()) {
        // A jar: URL opened with caching (libraries reading a resource by URL) keeps the job jar
        // open in the JDK's static cache forever: 13 MB of heap per job for its central
        // directory, and the deleted 300 MB blob file stays on disk. JVM-wide, as servlet
        // containers do it.
        URLConnection.setDefaultUseCaches("jar", false);
      }
      for (Driver d : DEREGISTERED) {
        try {
          DriverManager.registerDriver(d);
        } catch (SQLException e) {
          LOG.warn(
              "cannot register the JDBC driver {} again: {}", d.getClass().getName(), e.toString());
        }
      }
      DEREGISTERED.clear();
      if (fileSystemsReleased) {
        // Its revision was reset, so this registers Beam's filesystems anew.
        FileSystems.setDefaultPipelineOptions(options);
        fileSystemsReleased = false;
      }
      open++;
      return new WorkerResources();
    }
  }

  /** The instance of {@code key} shared by this JVM's DoFns, made by {@code factory} at first. */
  @SuppressWarnings("unchecked")
  public <T extends AutoCloseable> T shared(String key, Supplier<T> factory) {
    synchronized (LOCK) {
      return (T) SHARED.computeIfAbsent(key, k -> factory.get());
    }
  }

  @Override
  public void close() {
    synchronized (LOCK) {
      if (closed) {
        return;
      }
      closed = true;
      if (--open > 0) {
        return;
      }
      for (AutoCloseable c : SHARED.values()) {
        try {
          c.close();
        } catch (Exception e) {
          LOG.warn("cannot close {}: {}", c.getClass().getName(), e.toString());
        }
      }
      SHARED.clear();
      if (perJobClassLoader()) {
        deregisterDrivers();
        releaseFileSystems();
      }
    }
  }

  /** Whether hose was loaded by a classloader of the job's (Flink) rather than the JVM's own. */
  static boolean perJobClassLoader() {
    return WorkerResources.class.getClassLoader() != ClassLoader.getSystemClassLoader();
  }

  private static void deregisterDrivers() {
    ClassLoader mine = WorkerResources.class.getClassLoader();
    for (Driver d : Collections.list(DriverManager.getDrivers())) {
      if (d.getClass().getClassLoader() == mine) {
        try {
          DriverManager.deregisterDriver(d);
          DEREGISTERED.add(d);
        } catch (SQLException | RuntimeException e) {
          LOG.warn(
              "cannot deregister the JDBC driver {}: {}", d.getClass().getName(), e.toString());
        }
      }
    }
  }

  /**
   * Shuts down the executors of Beam's registered filesystems (S3's fixed pool never ends on its
   * own) and resets their registration, so the next {@link #open} or operator registers new ones.
   * Beam has no API for this; if its internals change, this logs once and does nothing.
   */
  private static void releaseFileSystems() {
    try {
      Field registry = FileSystems.class.getDeclaredField("SCHEME_TO_FILESYSTEM");
      Field revision = FileSystems.class.getDeclaredField("FILESYSTEM_REVISION");
      registry.setAccessible(true);
      revision.setAccessible(true);
      Map<?, ?> fileSystems = (Map<?, ?>) ((AtomicReference<?>) registry.get(null)).get();
      ((AtomicReference<?>) revision.get(null)).set(null);
      fileSystemsReleased = true;
      for (Object fs : fileSystems.values()) {
        for (Class<?> c = fs.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
          for (Field f : c.getDeclaredFields()) {
            if (ExecutorService.class.isAssignableFrom(f.getType())
                && !java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
              f.setAccessible(true);
              ExecutorService executor = (ExecutorService) f.get(fs);
              if (executor != null) {
                executor.shutdownNow();
              }
            }
          }
        }
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn(
          "cannot shut down Beam's filesystem threads ({}); on a session cluster this job's"
              + " classes stay in the TaskManager's metaspace",
          e.toString());
    }
  }
}
