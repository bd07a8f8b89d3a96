package dev.hose.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hose.detect.SyntheticVideo;
import dev.hose.support.HoseProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.Loader;

/**
 * Detect: for each resolution, generates H.264 clips (cached between runs) and decodes them with
 * decode-only {@code ffmpeg -i CLIP -f null -} and with hose: (1) a warm worker JVM running
 * detect's per-video code, clip by clip in turn with ffmpeg, and (2) the {@code hose detect} job on
 * DirectRunner over all clips, JVM start-up and pipeline included. Detectors see every frame
 * ({@code --sampleFps} = the clips' frame rate), the most work detect can be given.
 */
final class DetectSuite {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The decode-only baseline binary and the environment it runs in. */
  record Ffmpeg(String path, Map<String, String> env) {}

  private final Settings settings;
  private final Ffmpeg ffmpeg;
  private final Path work;

  private DetectSuite(Settings settings, Ffmpeg ffmpeg) {
    this.settings = settings;
    this.ffmpeg = ffmpeg;
    this.work = settings.work().resolve("detect");
  }

  static List<Run> run(Settings settings, Ffmpeg ffmpeg) throws Exception {
    return new DetectSuite(settings, ffmpeg).runAll();
  }

  /**
   * The ffmpeg executable: {@code --ffmpeg}, else the one in the JavaCV jar. Fails with one line
   * saying what to install when it cannot run here.
   */
  static Ffmpeg ffmpeg(Settings settings) throws IOException {
    if (settings.ffmpeg() != null) {
      return new Ffmpeg(settings.ffmpeg(), Map.of());
    }
    String path;
    try {
      path = Loader.load(org.bytedeco.ffmpeg.ffmpeg.class);
    } catch (UnsatisfiedLinkError e) {
      throw new IllegalStateException(
          "the ffmpeg executable in the JavaCV jar cannot load ("
              + e.getMessage()
              + "): install its one system dependency with `sudo apt-get install libpulse0`, pass"
              + " --ffmpeg=/usr/bin/ffmpeg, or run --suites=archive");
    }
    // JavaCPP's cache holds libva as libva.so while the executable asks for libva.so.2.
    Path cache = Path.of(path).getParent();
    Path links = Files.createDirectories(settings.work().resolve("ffmpeg-libs"));
    for (String name : List.of("libva", "libva-drm")) {
      Path link = links.resolve(name + ".so.2");
      Files.deleteIfExists(link);
      Files.createSymbolicLink(link, cache.resolve(name + ".so"));
    }
    return new Ffmpeg(path, Map.of("LD_LIBRARY_PATH", cache + ":" + links));
  }

  private List<Run> runAll() throws Exception {
    List<Run> runs = new ArrayList<>();
    int i = 0;
    for (String resolution : settings.resolutions()) {
      i++;
      System.out.printf("%n[detect %d/%d] %s%n", i, settings.resolutions().size(), resolution);
      List<Path> clips = clips(resolution);
      runs.addAll(interleaved(resolution, clips).stream().map(DetectSuite::report).toList());
      runs.add(report(job(resolution, clips)));
    }
    Benchmarks.deleteTree(work);
    return runs;
  }

  private List<Path> clips(String resolution) throws IOException {
    int[] wh = Settings.dimensions(resolution);
    Path dir = Files.createDirectories(settings.work().resolveSibling("bench-clips"));
    List<Path> clips = new ArrayList<>();
    long start = System.nanoTime();
    avutil.av_log_set_level(avutil.AV_LOG_ERROR); // the encoder's settings are not news
    for (int i = 0; i < settings.clips(); i++) {
      Path f =
          dir.resolve(
              String.format(
                  "clip-%d-%dx%d-%dfps-%ds-h264.mp4",
                  i, wh[0], wh[1], settings.fps(), settings.clipSeconds()));
      if (!Files.exists(f)) {
        Path tmp = f.resolveSibling(f.getFileName() + ".tmp.mp4");
        SyntheticVideo.create()
            .size(wh[0], wh[1])
            .fps(settings.fps())
            .frames(settings.clipSeconds() * settings.fps())
            .codec("libopenh264", "mp4")
            .write(tmp);
        Files.move(tmp, f);
      }
      clips.add(f);
    }
    System.out.printf(
        "  %d clips of %d s at %dx%d, %d fps, H.264 (%s, %.0f s)%n",
        clips.size(),
        settings.clipSeconds(),
        wh[0],
        wh[1],
        settings.fps(),
        dir,
        Benchmarks.secondsSince(start));
    return clips;
  }

  /** ffmpeg and the warm worker take turns clip by clip. */
  private List<Run> interleaved(String resolution, List<Path> clips) throws Exception {
    Path scratch = Files.createDirectories(work.resolve("scratch-worker"));
    List<String> cmd = Child.java(settings.heap(), "-cp", System.getProperty("java.class.path"));
    cmd.addAll(
        List.of(
            DetectWorker.class.getName(),
            scratch.toString(),
            settings.detectors(),
            String.valueOf(settings.fps())));
    Path log = log(Run.Tool.HOSE_DETECT, resolution);
    Files.createDirectories(log.getParent());
    long ffFrames = 0;
    double ffSeconds = 0;
    long hoseFrames = 0;
    double hoseSeconds = 0;
    String hoseOutcome = Run.COMPLETED;
    List<ProcessSampler.Sample> ffSamples;
    List<ProcessSampler.Sample> hoseSamples;
    System.out.printf(
        "  %s and %s, clip by clip …%n", Run.Tool.FFMPEG.label, Run.Tool.HOSE_DETECT.label);
    // ffmpeg runs for about a second per clip: sample it often enough to see it.
    try (ProcessSampler ffSampler =
            ProcessSampler.start(
                Run.Tool.FFMPEG.key() + " " + resolution, Math.min(50, settings.intervalMillis()));
        ProcessSampler hoseSampler = sampler(Run.Tool.HOSE_DETECT, resolution)) {
      ProcessBuilder pb =
          new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.to(log.toFile()));
      Process worker = pb.start();
      hoseSampler.watch("hose", worker.pid(), true);
      try (PrintWriter toWorker =
              new PrintWriter(worker.getOutputStream(), true, StandardCharsets.UTF_8);
          BufferedReader fromWorker =
              new BufferedReader(
                  new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8))) {
        toWorker.println(clips.get(0)); // warm-up, not timed
        String warm = fromWorker.readLine();
        if (warm == null || !warm.startsWith("ok ")) {
          throw new IllegalStateException(
              "detect worker failed to warm up: " + warm + "; see " + log);
        }
        for (Path clip : clips) {
          long[] frames = new long[1];
          ffSeconds += decodeOnly(clip, ffSampler, frames);
          ffFrames += frames[0];
          toWorker.println(clip);
          String answer = fromWorker.readLine();
          if (answer == null || !answer.startsWith("ok ")) {
            hoseOutcome = "failed: " + answer;
            break;
          }
          String[] parts = answer.split(" ");
          hoseFrames += Long.parseLong(parts[1]);
          hoseSeconds += Double.parseDouble(parts[2]);
        }
      } finally {
        worker.getOutputStream().close();
        if (!worker.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
          Child.stop(worker);
        }
      }
      ffSamples = ffSampler.samples();
      hoseSamples = hoseSampler.samples();
    }
    Map<String, Object> ffDetails = new LinkedHashMap<>();
    ffDetails.put("clips", clips.size());
    ffDetails.put("binary", ffmpeg.path());
    Map<String, Object> hoseDetails = new LinkedHashMap<>();
    hoseDetails.put("clips", clips.size());
    hoseDetails.put("detectors", settings.detectors());
    hoseDetails.put("sampleFps", settings.fps());
    hoseDetails.put(
        "percentOfDecodeOnly", 100 * (hoseFrames / hoseSeconds) / (ffFrames / ffSeconds));
    return List.of(
        new Run(
            Run.Tool.FFMPEG, resolution, ffFrames, ffSeconds, Run.COMPLETED, ffDetails, ffSamples),
        new Run(
            Run.Tool.HOSE_DETECT,
            resolution,
            hoseOutcome.equals(Run.COMPLETED) ? hoseFrames : 0,
            hoseSeconds,
            hoseOutcome,
            hoseDetails,
            hoseSamples));
  }

  /** Decodes {@code clip} with ffmpeg; returns its seconds, frames in {@code frames[0]}. */
  private double decodeOnly(Path clip, ProcessSampler sampler, long[] frames) throws Exception {
    List<String> cmd =
        List.of(
            ffmpeg.path(),
            "-hide_banner",
            "-nostdin",
            "-v",
            "error",
            "-i",
            clip.toString(),
            "-f",
            "null",
            "-progress",
            "pipe:1",
            "-");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(ffmpeg.env());
    long start = System.nanoTime();
    Process p = pb.start();
    sampler.watch("ffmpeg", p.pid(), false);
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith("frame=")) {
          frames[0] = Long.parseLong(line.substring(6).strip());
        }
      }
    }
    if (p.waitFor() != 0) {
      throw new IllegalStateException("ffmpeg failed on " + clip);
    }
    return Benchmarks.secondsSince(start);
  }

  /** {@code hose detect} on all clips, as a user runs it. */
  private Run job(String resolution, List<Path> clips) throws Exception {
    Path dir = Files.createDirectories(work.resolve("job-" + resolution));
    Path list = dir.resolve("clips.txt");
    Files.write(list, clips.stream().map(c -> c.toUri().toString()).toList());
    Path out = dir.resolve("out");
    List<String> cmd =
        Child.java(settings.heap(), "-jar", HoseProcess.jar().toAbsolutePath().toString());
    cmd.addAll(
        List.of(
            "detect",
            "--input=" + list,
            "--output=" + out,
            "--scratchDir=" + dir.resolve("scratch"),
            "--allowLocalFiles",
            "--detectors=" + settings.detectors(),
            "--sampleFps=" + settings.fps()));
    Child.Exit e;
    List<ProcessSampler.Sample> samples;
    try (ProcessSampler sampler = sampler(Run.Tool.HOSE_DETECT_CLI, resolution)) {
      e =
          Child.run(
              cmd,
              Map.of(),
              log(Run.Tool.HOSE_DETECT_CLI, resolution),
              settings.runTimeoutSeconds(),
              sampler,
              "hose",
              true);
      samples = sampler.samples();
    }
    long frames = 0;
    int videos = 0;
    if (e.ok()) {
      try (Stream<Path> files = Files.list(out)) {
        for (Path f :
            files.filter(f -> f.getFileName().toString().startsWith("detections-")).toList()) {
          try (BufferedReader r =
              new BufferedReader(
                  new InputStreamReader(
                      new GZIPInputStream(Files.newInputStream(f)), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
              JsonNode video = JSON.readTree(line);
              frames += video.path("framesDecoded").asLong();
              videos++;
            }
          }
        }
      }
    }
    String outcome =
        e.timedOut()
            ? "time limit"
            : e.code() != 0
                ? "failed (exit " + e.code() + "): " + e.lastLine("error")
                : videos == clips.size() ? Run.COMPLETED : "only " + videos + " videos detected";
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("clips", clips.size());
    details.put("videosDetected", videos);
    details.put("runner", "DirectRunner, targetParallelism=1 (runner-configs/direct.properties)");
    return new Run(
        Run.Tool.HOSE_DETECT_CLI,
        resolution,
        outcome.equals(Run.COMPLETED) ? frames : 0,
        e.seconds(),
        outcome,
        details,
        samples);
  }

  private static Run report(Run r) {
    System.out.printf(
        "  %-48s %7.1f s %,8.0f frames/s  peak RSS %s MB  %s%n",
        r.tool().label,
        r.wallSeconds(),
        r.perSecond(),
        Benchmarks.rolesMb(r.peakRssByRole()),
        r.outcome());
    return r;
  }

  private ProcessSampler sampler(Run.Tool tool, String resolution) {
    return ProcessSampler.start(tool.key() + " " + resolution, settings.intervalMillis());
  }

  private Path log(Run.Tool tool, String resolution) {
    return settings.out().resolve("logs").resolve(tool.key() + "-" + resolution + ".log");
  }
}
