package dev.hose.detect;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.Loader;

/**
 * Detect throughput beside decode-only ffmpeg (the binary shipped in the JavaCV jar) on the same
 * generated clips, in one invocation. Not a test: run after {@code mvn -o package -DskipTests}:
 *
 * <pre>
 * java -cp target/hose.jar:target/test-classes dev.hose.detect.DetectBenchmark [--clips=6]
 *     [--seconds=10] [--width=1280] [--height=720] [--fps=30] [--codec=libopenh264]
 *     [--detectors=motion] [--sampleFps=30] [--dir=target/detect-bench]
 * </pre>
 */
public final class DetectBenchmark {
  private DetectBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      a.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
    int clips = Integer.parseInt(a.getOrDefault("clips", "6"));
    int seconds = Integer.parseInt(a.getOrDefault("seconds", "10"));
    int width = Integer.parseInt(a.getOrDefault("width", "1280"));
    int height = Integer.parseInt(a.getOrDefault("height", "720"));
    double fps = Double.parseDouble(a.getOrDefault("fps", "30"));
    String codec = a.getOrDefault("codec", "libopenh264");
    String detectors = a.getOrDefault("detectors", "motion");
    double sampleFps = Double.parseDouble(a.getOrDefault("sampleFps", String.valueOf(fps)));
    Path dir = Path.of(a.getOrDefault("dir", "target/detect-bench"));
    Files.createDirectories(dir);

    List<Path> files = new ArrayList<>();
    for (int i = 0; i < clips; i++) {
      Path f = dir.resolve(String.format("clip-%d-%dx%d-%s.mp4", i, width, height, codec));
      if (!Files.exists(f)) {
        SyntheticVideo.create()
            .size(width, height)
            .fps(fps)
            .frames((int) Math.round(seconds * fps))
            .codec(codec, "mp4")
            .write(f);
      }
      files.add(f);
    }
    System.out.printf(
        "%d clips of %d s, %dx%d at %.0f fps (%s); detectors=%s sampleFps=%.1f; %d CPUs%n",
        clips,
        seconds,
        width,
        height,
        fps,
        codec,
        detectors,
        sampleFps,
        Runtime.getRuntime().availableProcessors());

    String ffmpeg;
    try {
      ffmpeg = Loader.load(org.bytedeco.ffmpeg.ffmpeg.class);
    } catch (UnsatisfiedLinkError e) {
      throw new IllegalStateException(
          "cannot load the ffmpeg executable from the JavaCV jar (its libavdevice needs the"
              + " system's libpulse.so.0: apt-get install libpulse0): "
              + e.getMessage(),
          e);
    }
    String libraryPath = ffmpegLibraryPath(Path.of(ffmpeg).getParent(), dir.resolve("ffmpeg-libs"));
    DetectConfig config =
        new DetectConfig(
            dir.resolve("scratch").toString(),
            List.of(detectors.split(",")),
            sampleFps,
            640,
            1L << 32,
            1L << 33,
            Duration.ofHours(1),
            10_000,
            30_000,
            true);
    // The three runs take turns clip by clip, so changes in machine load hit them alike.
    Run baseline = new Run(0, 0, 0);
    Run oneThread = new Run(0, 0, 0);
    Run detect = new Run(0, 0, 0);
    try (ScratchSpace space =
            ScratchSpace.open(dir.resolve("scratch"), config.scratchBudgetBytes());
        VideoProcessor processor = new VideoProcessor(config, space)) {
      // Untimed warm-up: loading the native libraries and JIT compilation happen once per worker.
      processor.process(new VideoRef("warm-up", files.get(0).toUri().toString()));
      for (Path f : files) {
        baseline = baseline.plus(ffmpeg(ffmpeg, libraryPath, List.of(f), List.of()));
        oneThread =
            oneThread.plus(ffmpeg(ffmpeg, libraryPath, List.of(f), List.of("-threads", "1")));
        long start = System.nanoTime();
        VideoProcessor.Outcome o =
            processor.process(new VideoRef(f.toString(), f.toUri().toString()));
        if (o.failure() != null) {
          throw new IllegalStateException(o.failure().toString());
        }
        detect =
            detect.plus(
                new Run(
                    (System.nanoTime() - start) / 1e9,
                    o.result().framesDecoded(),
                    peakRssKb(ProcessHandle.current().pid())));
      }
    }

    System.out.printf(
        "%-34s %9s %11s %13s %13s%n", "", "videos/s", "frames/s", "peak RSS MiB", "wall s");
    print("ffmpeg -i F -f null - (decode only)", clips, baseline);
    print("ffmpeg -threads 1 (decode only)", clips, oneThread);
    print("hose detect (download+decode+" + detectors + ")", clips, detect);
    System.out.printf(
        "detect frames/s = %.0f%% of decode-only ffmpeg, %.0f%% of single-threaded ffmpeg%n",
        100 * detect.fps() / baseline.fps(), 100 * detect.fps() / oneThread.fps());
  }

  record Run(double seconds, long frames, long peakRssKb) {
    double fps() {
      return frames / seconds;
    }

    Run plus(Run o) {
      return new Run(seconds + o.seconds, frames + o.frames, Math.max(peakRssKb, o.peakRssKb));
    }
  }

  private static void print(String name, int clips, Run r) {
    System.out.printf(
        "%-34s %9.2f %11.0f %13.0f %13.2f%n",
        name, clips / r.seconds(), r.fps(), r.peakRssKb() / 1024.0, r.seconds());
  }

  /** Runs ffmpeg decode-only on each file in turn; frames counted from its progress output. */
  /**
   * JavaCPP's cache holds libva as libva.so while the executable asks for libva.so.2: link the
   * versioned names in a private directory and put both on LD_LIBRARY_PATH.
   */
  private static String ffmpegLibraryPath(Path cache, Path links) throws Exception {
    Files.createDirectories(links);
    for (String name : List.of("libva", "libva-drm")) {
      Path link = links.resolve(name + ".so.2");
      Files.deleteIfExists(link);
      Files.createSymbolicLink(link, cache.resolve(name + ".so"));
    }
    return cache + ":" + links.toAbsolutePath();
  }

  private static Run ffmpeg(String ffmpeg, String libraryPath, List<Path> files, List<String> extra)
      throws Exception {
    long frames = 0;
    long peak = 0;
    long start = System.nanoTime();
    for (Path f : files) {
      List<String> cmd =
          new ArrayList<>(List.of(ffmpeg, "-hide_banner", "-nostdin", "-v", "error"));
      cmd.addAll(extra);
      cmd.addAll(List.of("-i", f.toString(), "-f", "null", "-progress", "pipe:1", "-"));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().put("LD_LIBRARY_PATH", libraryPath);
      Process p = pb.start();
      long last = 0;
      try (var reader =
          new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
        String line;
        while ((line = reader.readLine()) != null) {
          if (line.startsWith("frame=")) {
            last = Long.parseLong(line.substring(6).strip());
          }
          peak = Math.max(peak, peakRssKb(p.pid()));
        }
      }
      if (p.waitFor() != 0) {
        throw new IllegalStateException("ffmpeg failed on " + f);
      }
      frames += last;
    }
    return new Run((System.nanoTime() - start) / 1e9, frames, peak);
  }

  /** VmHWM (peak resident set) of a process in kB, 0 once it is gone. */
  static long peakRssKb(long pid) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (l.startsWith("VmHWM:")) {
          return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
      }
    } catch (Exception e) {
      return 0;
    }
    return 0;
  }
}
