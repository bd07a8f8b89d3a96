package dev.hose.detect;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Run in a forked JVM by {@link ScratchSweepIT}: opens a scratch space under {@code args[0]} and
 * downloads {@code args[1]} (a server that stalls mid-body) into it, printing {@code READY path}
 * once bytes are on disk, then waits to be killed.
 */
public final class ScratchHolderMain {
  private ScratchHolderMain() {}

  public static void main(String[] args) throws Exception {
    ScratchSpace space = ScratchSpace.open(Path.of(args[0]), 1L << 30);
    Fetcher fetcher = new Fetcher(5_000, 600_000, false, java.util.List.of());
    Deadline deadline = Deadline.in(Duration.ofMinutes(10));
    space.use(
        args[1],
        1L << 20,
        null,
        file -> {
          Thread watcher =
              new Thread(
                  () -> {
                    try {
                      while (Files.size(file) == 0) {
                        Thread.sleep(20);
                      }
                      System.out.println("READY " + file);
                      System.out.flush();
                    } catch (Exception e) {
                      System.out.println("FAILED " + e);
                    }
                  });
          watcher.setDaemon(true);
          watcher.start();
          try (Fetcher.Source source = fetcher.open(args[1], deadline)) {
            return Fetcher.copy(source, file, 1L << 30, deadline);
          }
        });
    System.out.println("FINISHED (not expected)");
  }
}
