package dev.hose.detect;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Run in a forked JVM by {@link DetectMemoryIT}: processes {@code args[2]} videos, cycling over the
 * files given after it, through the same {@link VideoProcessor} the DoFn uses, and prints {@code
 * DONE n} after each so the parent can sample this process's RSS.
 */
public final class RssProbeMain {
  private RssProbeMain() {}

  public static void main(String[] args) throws Exception {
    Path scratch = Path.of(args[0]);
    String detectors = args[1];
    int count = Integer.parseInt(args[2]);
    DetectConfig config =
        new DetectConfig(
            scratch.toString(),
            List.of(detectors.split(",")),
            5.0,
            DecodeMode.AUTO,
            0,
            1,
            640,
            1L << 30,
            1L << 31,
            Duration.ofMinutes(1),
            5_000,
            5_000,
            true,
            List.of()); // any host
    try (ScratchSpace space = ScratchSpace.open(scratch, config.scratchBudgetBytes());
        VideoProcessor processor = new VideoProcessor(config, space)) {
      for (int i = 0; i < count; i++) {
        String url = args[3 + i % (args.length - 3)];
        VideoProcessor.Outcome outcome = processor.process(new VideoRef("v" + i, url));
        if (outcome.failure() != null && !url.contains("bad")) {
          System.out.println("FAILED " + outcome.failure());
        }
        System.out.println("DONE " + (i + 1));
        System.out.flush();
      }
    }
  }
}
