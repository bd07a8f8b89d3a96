package dev.hose.common;

import java.time.Duration;
import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a stop from outside (SIGTERM from Airflow's {@code execution_timeout} or "mark failed",
 * from Kubernetes or systemd, or Ctrl-C) into the path a failed run takes: the step in progress is
 * ended (the pipeline cancelled, the snapshot's connection aborted), the command's own cleanup runs
 * (uncommitted output removed, uploads aborted, claims released), and only then does the JVM exit.
 *
 * <p>A JVM shutdown hook does it, so the command's thread must say {@link #finished()} before a
 * normal exit. SIGKILL cannot be caught: claims that expire and the commit fence ({@link
 * OutputClaim#fence}) cover that.
 */
public final class StopSignal {
  private static final Logger LOG = LoggerFactory.getLogger(StopSignal.class);

  /**
   * How long the hook waits for the command's cleanup: inside Airflow's default {@code
   * killed_task_cleanup_time} (60 s), after which SIGKILL follows.
   */
  static final Duration GRACE = Duration.ofSeconds(45);

  private static final Deque<Runnable> ACTIONS = new ConcurrentLinkedDeque<>();
  private static final CountDownLatch FINISHED = new CountDownLatch(1);
  private static volatile boolean stopping;
  private static boolean installed;

  private StopSignal() {}

  /** A run that a stop from outside ended: its message is the one line a user sees. */
  public static final class Stopped extends RuntimeException {
    public Stopped(Throwable cause) {
      super(
          "stopped from outside (SIGTERM) before the run ended; what it had not committed was removed",
          cause);
    }
  }

  /** Installs the hook (once per JVM); only the command line does, never a test or a worker. */
  public static synchronized void install() {
    if (!installed) {
      Runtime.getRuntime().addShutdownHook(new Thread(StopSignal::stop, "hose-stop"));
      installed = true;
    }
  }

  /** The command's cleanup is over: a shutdown from now on is the normal exit. */
  public static void finished() {
    FINISHED.countDown();
  }

  /** Whether the JVM is being stopped from outside. */
  public static boolean stopping() {
    return stopping;
  }

  /**
   * Registers what a stop must do to end the current step early; closing the returned handle
   * unregisters it. Actions run newest first, each at most once.
   */
  public static AutoCloseable onStop(String what, Runnable action) {
    Runnable named =
        () -> {
          LOG.info("stopping: {}", what);
          action.run();
        };
    ACTIONS.push(named);
    if (stopping) {
      runQuietly(named); // registered while a stop is under way: end this step too
    }
    return () -> ACTIONS.remove(named);
  }

  private static void stop() {
    if (FINISHED.getCount() == 0) {
      return; // the command ended and exits normally
    }
    stopping = true;
    LOG.warn(
        "stopping: the JVM was asked to exit (SIGTERM or Ctrl-C) before the run ended; ending"
            + " it and cleaning up (at most {} s)",
        GRACE.toSeconds());
    for (Runnable action : ACTIONS) {
      runQuietly(action);
    }
    try {
      if (!FINISHED.await(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("stopping: cleanup did not end within {} s; exiting anyway", GRACE.toSeconds());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void runQuietly(Runnable action) {
    try {
      action.run();
    } catch (RuntimeException e) {
      LOG.warn("stopping: {}", e.toString());
    }
  }
}
