package dev.hose.bench;

import dev.hose.detect.DecodeMode;
import dev.hose.detect.DetectConfig;
import dev.hose.detect.ScratchSpace;
import dev.hose.detect.VideoProcessor;
import dev.hose.detect.VideoRef;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A forked JVM that runs hose detect's per-video work ({@link VideoProcessor}: the code each
 * DetectVideoFn call runs) on the clips the benchmark sends, one path per stdin line, and answers
 * each with {@code ok FRAMES SECONDS} or {@code failed REASON}. The benchmark sends a warm-up clip
 * first, so native loading and JIT compilation (once per worker) are not timed, and interleaves the
 * clips with the decode-only ffmpeg runs, so changes in machine load hit both alike.
 *
 * <p>Usage: {@code DetectWorker SCRATCH_DIR DETECTORS SAMPLE_FPS [DECODE [THREADS]]}; the answer
 * line ends with the decode mode used.
 */
public final class DetectWorker {
  private DetectWorker() {}

  public static void main(String[] args) throws Exception {
    DetectConfig config =
        new DetectConfig(
            args[0],
            List.of(args[1].split(",")),
            Double.parseDouble(args[2]),
            DecodeMode.parse(args.length > 3 ? args[3] : "auto"),
            args.length > 4 ? Integer.parseInt(args[4]) : 0,
            1,
            640,
            1L << 32,
            1L << 33,
            Duration.ofHours(1),
            10_000,
            30_000,
            true,
            List.of()); // any host
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try (ScratchSpace space = ScratchSpace.open(Path.of(args[0]), config.scratchBudgetBytes());
        VideoProcessor processor = new VideoProcessor(config, space)) {
      for (String line; (line = in.readLine()) != null; ) {
        Path clip = Path.of(line.strip());
        long start = System.nanoTime();
        VideoProcessor.Outcome o =
            processor.process(new VideoRef(clip.toString(), clip.toUri().toString()));
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.println(
            o.failure() != null
                ? "failed " + o.failure().reason() + " " + o.failure().message()
                : "ok " + o.result().framesDecoded() + " " + seconds + " " + o.result().decode());
        System.out.flush();
      }
    }
  }
}
