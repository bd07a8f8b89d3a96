package dev.hose.common;

import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the hose JVM a temp directory of its own, so that what libraries unpack there (snappy's
 * native library, Flink's RPC jar and MiniCluster directories, Beam's staged jars) goes when the
 * JVM does, however it ends.
 *
 * <p>{@link #claim} creates {@code java.io.tmpdir/hose-jvm-<uuid>/} as an {@link OwnedDirectory},
 * points {@code java.io.tmpdir} at it, deletes it at exit, and sweeps the directories of hose JVMs
 * that were killed (SIGKILL, the OOM killer) and so never ran their exit hooks. Embedded
 * PostgreSQL's unpacked binaries are a cache shared by runs and stay where they were.
 */
public final class JvmTemp {
  static final String PREFIX = "hose-jvm-";
  private static final Logger LOG = LoggerFactory.getLogger(JvmTemp.class);

  private JvmTemp() {}

  /** Call first thing in {@code main}, before any library reads {@code java.io.tmpdir}. */
  public static void claim() {
    Path base = Path.of(System.getProperty("java.io.tmpdir"));
    if (System.getProperty("ot.epg.working-dir") == null) {
      System.setProperty("ot.epg.working-dir", base.resolve("embedded-pg").toString());
    }
    OwnedDirectory dir;
    try {
      dir = OwnedDirectory.create(base, PREFIX);
    } catch (IOException | RuntimeException e) {
      // Not a reason to fail the job: libraries then use java.io.tmpdir as they would anyway.
      LOG.warn("cannot create a temp directory of this JVM's own under {}: {}", base, e.toString());
      return;
    }
    System.setProperty("java.io.tmpdir", dir.path().toString());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> remove(dir), "hose-temp-cleanup"));
    try {
      int swept = OwnedDirectory.sweep(dir.root(), PREFIX);
      if (swept > 0) {
        LOG.info("removed the temp directories of {} hose JVMs that were killed", swept);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot sweep the temp directories of earlier hose JVMs: {}", e.toString());
    }
  }

  private static void remove(OwnedDirectory dir) {
    try {
      dir.close();
    } catch (IOException | RuntimeException e) {
      // Logging may already be shut down; the next hose JVM sweeps what is left.
      System.err.println("hose: could not remove " + dir.path() + ": " + e);
    }
  }
}
