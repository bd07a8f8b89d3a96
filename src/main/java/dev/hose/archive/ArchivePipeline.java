package dev.hose.archive;

/** The archive pipeline. */
public final class ArchivePipeline {
  private ArchivePipeline() {}

  public static void run(ArchiveOptions options) {
    throw new UnsupportedOperationException("in progress");
  }
}
