package dev.hose.common;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The jars one build makes. {@code hose.jar} holds every command and Flink itself; each job jar
 * holds one pipeline and leaves Flink to the cluster, so it is what a Flink submission stages.
 */
public enum JobJar {
  ARCHIVE("hose-archive.jar"),
  DETECT("hose-detect.jar"),
  ALL("hose.jar");

  private final String fileName;

  JobJar(String fileName) {
    this.fileName = fileName;
  }

  public String fileName() {
    return fileName;
  }

  /**
   * The jar to stage for this pipeline: the running jar when it is this job jar or a classes
   * directory; beside {@code hose.jar}, the job jar that the same build put next to it.
   */
  public String stagedPath() {
    Path running = running();
    if (running.getFileName().toString().equals(ALL.fileName)) {
      Path sibling = running.resolveSibling(fileName);
      if (Files.isRegularFile(sibling)) {
        return sibling.toString();
      }
    }
    return running.toString();
  }

  /** The jar (or classes directory) that hose runs from. */
  public static Path running() {
    try {
      return Path.of(JobJar.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
