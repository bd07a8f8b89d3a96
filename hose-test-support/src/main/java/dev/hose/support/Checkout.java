package dev.hose.support;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the tests find the checkout: its root (the jars in target/), and hose-it's test classes.
 */
public final class Checkout {
  private Checkout() {}

  /**
   * The checkout's root: {@code -Dhose.root}, or the nearest directory at or above the working
   * directory that holds the build's modules.
   */
  public static Path root() {
    String set = System.getProperty("hose.root");
    if (set != null) {
      return Path.of(set).toAbsolutePath().normalize();
    }
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path d = dir; d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("hose-common/pom.xml"))) {
        return d;
      }
    }
    return dir;
  }

  /** hose-it's compiled test classes, which the Flink tests stage beside hose.jar. */
  public static Path itTestClasses() {
    String set = System.getProperty("hose.testClasses");
    return set != null ? Path.of(set) : root().resolve("hose-it/target/test-classes");
  }
}
