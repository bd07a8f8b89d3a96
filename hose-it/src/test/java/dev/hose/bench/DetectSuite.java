package dev.hose.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hose.common.FileTrees;
import dev.hose.embedded.SyntheticVideo;
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
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.Loader;

/**
 * Detect: for each resolution and codec, makes clips (cached between runs) and measures frames of
 * video per second against decode-only {@code ffmpeg -threads N -i CLIP -f null -}: (1) a warm
 * worker JVM running detect's per-video code at the defaults ({@code --sampleFps}, {@code
 * --decode=auto}), clip by clip in turn with ffmpeg; (2) the same with every frame sampled; (3) the
 * {@code hose detect} job on DirectRunner with {@code --targetParallelism=2} over {@code
 * --jobClips} videos (the clips, repeated), JVM start-up and pipeline included. Every run counts
 * the frames ffmpeg decodes from the same clips, so skipped frames count as video processed. H.264
 * High (B-frames) and HEVC clips are encoded by the system ffmpeg (libx264, libx265) from a
 * lossless master; VP9 and openh264 clips by JavaCV.
 */
final class DetectSuite {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The codecs {@code --codecs} may name. */
  static final List<String> CODECS = List.of("h264-high", "hevc", "vp9", "openh264");

  /** Frames of each clip, as decode-only ffmpeg counted them. */
  private final Map<Path, Long> clipFrames = new LinkedHashMap<>();

  /** The decode-only baseline binary and the environment it runs in. */
  record Ffmpeg(String path, Map<String, String> env) {}

  private final Settings settings;
  private final Ffmpeg ffmpeg;
  private static final int WARM_UP_CLIPS = 4;
  private final Path work;
  private boolean warmedUp;

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
    int total = settings.resolutions().size() * settings.codecs().size();
    for (String resolution : settings.resolutions()) {
      for (String codec : settings.codecs()) {
        i++;
        String size = resolution + " " + codec;
        System.out.printf("%n[detect %d/%d] %s%n", i, total, size);
        List<Path> clips = clips(resolution, codec);
        runs.addAll(interleaved(size, clips).stream().map(DetectSuite::report).toList());
        if (!warmedUp) {
          warmUp(size, clips);
        }
        runs.add(report(job(size, clips, settings.jobClips())));
      }
    }
    FileTrees.delete(work);
    return runs;
  }

  private List<Path> clips(String resolution, String codec) throws Exception {
    int[] wh = Settings.dimensions(resolution);
    Path dir = Files.createDirectories(settings.work().resolveSibling("bench-clips"));
    List<Path> clips = new ArrayList<>();
    long start = System.nanoTime();
    avutil.av_log_set_level(avutil.AV_LOG_ERROR); // the encoder's settings are not news
    for (int i = 0; i < settings.clips(); i++) {
      String stem =
          String.format(
              "clip-%d-%dx%d-%dfps-%ds", i, wh[0], wh[1], settings.fps(), settings.clipSeconds());
      Path f = dir.resolve(stem + "-" + codec + (codec.equals("vp9") ? ".webm" : ".mp4"));
      if (!Files.exists(f)) {
        Path tmp = f.resolveSibling("tmp-" + f.getFileName());
        switch (codec) {
          case "h264-high", "hevc" -> {
            Path master =
                synthetic(wh, "ffv1", "matroska").write(dir.resolve(stem + "-master.mkv"));
            try {
              SystemFfmpeg.encode(master, tmp, codec);
            } finally {
              Files.deleteIfExists(master);
            }
          }
          case "vp9" -> synthetic(wh, "libvpx-vp9", "webm").write(tmp);
          default -> synthetic(wh, "libopenh264", "mp4").write(tmp);
        }
        Files.move(tmp, f);
      }
      clips.add(f);
    }
    System.out.printf(
        "  %d clips of %d s at %dx%d, %d fps, %s (%s, %.0f s)%n",
        clips.size(),
        settings.clipSeconds(),
        wh[0],
        wh[1],
        settings.fps(),
        codec,
        dir,
        Benchmarks.secondsSince(start));
    return clips;
  }

  private SyntheticVideo synthetic(int[] wh, String encoder, String container) {
    return SyntheticVideo.create()
        .size(wh[0], wh[1])
        .fps(settings.fps())
        .frames(settings.clipSeconds() * settings.fps())
        .codec(encoder, container);
  }

  /**
   * ffmpeg and two warm workers (defaults; every frame sampled) take turns clip by clip, so changes
   * in machine load hit all three alike.
   */
  private List<Run> interleaved(String size, List<Path> clips) throws Exception {
    Worker defaults =
        new Worker(Run.Tool.HOSE_DETECT, size, settings.sampleFps(), settings.intervalMillis());
    Worker every = new Worker(Run.Tool.HOSE_DETECT_EVERY, size, settings.fps(), 0);
    long ffFrames = 0;
    double ffSeconds = 0;
    List<ProcessSampler.Sample> ffSamples;
    System.out.printf("  %s and hose per video, clip by clip …%n", Run.Tool.FFMPEG.label);
    // ffmpeg runs for about a second per clip: sample it often enough to see it.
    try (ProcessSampler ffSampler =
            ProcessSampler.start(
                Run.Tool.FFMPEG.key() + " " + size, Math.min(50, settings.intervalMillis()));
        defaults;
        every) {
      decodeOnly(clips.get(0), ffSampler, new long[1]); // warm-up, not timed: like the workers'
      defaults.start(clips.get(0));
      every.start(clips.get(0));
      for (Path clip : clips) {
        long[] frames = new long[1];
        ffSeconds += decodeOnly(clip, ffSampler, frames);
        ffFrames += frames[0];
        clipFrames.put(clip, frames[0]);
        defaults.process(clip, frames[0]);
        every.process(clip, frames[0]);
      }
      ffSamples = ffSampler.samples();
    }
    Map<String, Object> ffDetails = new LinkedHashMap<>();
    ffDetails.put("clips", clips.size());
    ffDetails.put("binary", ffmpeg.path());
    ffDetails.put("threads", settings.threads());
    Run ff =
        new Run(Run.Tool.FFMPEG, size, ffFrames, ffSeconds, Run.COMPLETED, ffDetails, ffSamples);
    return List.of(ff, defaults.run(ff), every.run(ff));
  }

  /** A warm {@link DetectWorker} JVM and what it measured. */
  private final class Worker implements AutoCloseable {
    final Run.Tool tool;
    final String size;
    final double sampleFps;
    final ProcessSampler sampler;
    final Path log;
    Process process;
    PrintWriter toWorker;
    BufferedReader fromWorker;
    long frames;
    double seconds;
    String outcome = Run.COMPLETED;
    final Map<String, Integer> modes = new TreeMap<>();
    List<ProcessSampler.Sample> samples = List.of();

    Worker(Run.Tool tool, String size, double sampleFps, long intervalMillis) throws IOException {
      this.tool = tool;
      this.size = size;
      this.sampleFps = sampleFps;
      this.sampler =
          ProcessSampler.start(
              tool.key() + " " + size,
              intervalMillis > 0 ? intervalMillis : settings.intervalMillis());
      this.log = log(tool, size);
      Files.createDirectories(log.getParent());
    }

    void start(Path warmUp) throws IOException {
      Path scratch = Files.createDirectories(work.resolve("scratch-" + tool.key()));
      List<String> cmd = Child.java(settings.heap(), "-cp", System.getProperty("java.class.path"));
      cmd.addAll(
          List.of(
              DetectWorker.class.getName(),
              scratch.toString(),
              settings.detectors(),
              String.valueOf(sampleFps),
              "auto",
              String.valueOf(settings.threads())));
      process =
          new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.to(log.toFile())).start();
      sampler.watch("hose", process.pid(), true);
      toWorker = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
      fromWorker =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      toWorker.println(warmUp); // not timed
      String warm = fromWorker.readLine();
      if (warm == null || !warm.startsWith("ok ")) {
        throw new IllegalStateException(
            "detect worker failed to warm up: " + warm + "; see " + log);
      }
    }

    /** One clip; {@code videoFrames} are ffmpeg's count for it. */
    void process(Path clip, long videoFrames) throws IOException {
      if (!outcome.equals(Run.COMPLETED)) {
        return;
      }
      toWorker.println(clip);
      String answer = fromWorker.readLine();
      if (answer == null || !answer.startsWith("ok ")) {
        outcome = "failed: " + answer;
        return;
      }
      String[] parts = answer.split(" ");
      frames += videoFrames;
      seconds += Double.parseDouble(parts[2]);
      modes.merge(parts.length > 3 ? parts[3] : "?", 1, Integer::sum);
    }

    Run run(Run ff) {
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("clips", modes.values().stream().mapToInt(Integer::intValue).sum());
      details.put("detectors", settings.detectors());
      details.put("sampleFps", sampleFps);
      details.put("decodeModes", modes.toString());
      details.put("threads", settings.threads());
      details.put("percentOfDecodeOnly", 100 * (frames / seconds) / ff.perSecond());
      return new Run(
          tool,
          size,
          outcome.equals(Run.COMPLETED) ? frames : 0,
          seconds,
          outcome,
          details,
          samples);
    }

    @Override
    public void close() throws Exception {
      try {
        if (process != null) {
          process.getOutputStream().close();
          if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            Child.stop(process);
          }
        }
      } finally {
        samples = sampler.samples();
        sampler.close();
      }
    }
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
            "-threads",
            String.valueOf(settings.threads()),
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

  /**
   * {@code hose detect} over {@code --jobClips} videos (the clips, repeated under distinct names),
   * as a user runs it, two videos at once.
   */
  /**
   * One untimed job over {@value #WARM_UP_CLIPS} of the clips, so that the timed jobs start from
   * the class cache the launcher records on detect's first run, as every night after a deployment's
   * first does.
   */
  private void warmUp(String size, List<Path> clips) throws Exception {
    System.out.println("  recording the launcher's class cache for detect (untimed)");
    Run run = job(size + " warm-up", clips, WARM_UP_CLIPS);
    if (!run.completed()) {
      throw new IllegalStateException("the untimed warm-up job failed: " + run.outcome());
    }
    warmedUp = true;
  }

  private Run job(String size, List<Path> clips, int count) throws Exception {
    Path dir = Files.createDirectories(work.resolve("job-" + size.replace(' ', '-')));
    Path links = Files.createDirectories(dir.resolve("videos"));
    List<String> urls = new ArrayList<>();
    long videoFrames = 0;
    for (int i = 0; i < count; i++) {
      Path clip = clips.get(i % clips.size());
      Path link = links.resolve(i + "-" + clip.getFileName());
      Files.deleteIfExists(link);
      Files.createSymbolicLink(link, clip);
      urls.add(link.toUri().toString());
      videoFrames += clipFrames.getOrDefault(clip, 0L);
    }
    Path list = Files.write(dir.resolve("clips.txt"), urls);
    // A detect output holds every run's detection files: one left from an earlier run under the
    // same --work would be counted too (a published run once counted 100 videos of 50).
    Path out = dir.resolve("out");
    FileTrees.delete(out);
    List<String> cmd = Child.hose(List.of("detect"));
    cmd.addAll(
        List.of(
            "detect",
            "--input=" + list,
            "--output=" + out,
            "--scratchDir=" + dir.resolve("scratch"),
            "--allowLocalFiles",
            "--targetParallelism=2",
            "--detectors=" + settings.detectors(),
            "--sampleFps=" + settings.sampleFps()));
    Child.Exit e;
    List<ProcessSampler.Sample> samples;
    try (ProcessSampler sampler = sampler(Run.Tool.HOSE_DETECT_CLI, size)) {
      e =
          Child.run(
              cmd,
              Child.hoseEnv(settings, Map.of()),
              log(Run.Tool.HOSE_DETECT_CLI, size),
              settings.runTimeoutSeconds(),
              sampler,
              "hose",
              true);
      samples = sampler.samples();
    }
    int videos = 0;
    Map<String, Integer> modes = new TreeMap<>();
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
              modes.merge(video.path("decode").asText("?"), 1, Integer::sum);
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
                : videos == urls.size() ? Run.COMPLETED : "only " + videos + " videos detected";
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("videos", urls.size());
    details.put("videosDetected", videos);
    details.put("decodeModes", modes.toString());
    details.put("sampleFps", settings.sampleFps());
    details.put("runner", "DirectRunner, --targetParallelism=2, decoder threads cores/2 per video");
    return new Run(
        Run.Tool.HOSE_DETECT_CLI,
        size,
        outcome.equals(Run.COMPLETED) ? videoFrames : 0,
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

  private Path log(Run.Tool tool, String size) {
    return settings
        .out()
        .resolve("logs")
        .resolve(tool.key() + "-" + size.replace(' ', '-') + ".log");
  }
}
