package dev.hose.bench;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The benchmark's flags; {@link #parse} fails with one line on an unknown or bad flag. */
record Settings(
    List<String> suites,
    List<Long> rows,
    List<String> runners,
    String heap,
    long stockTimeoutSeconds,
    long runTimeoutSeconds,
    int taskManagers,
    List<String> resolutions,
    int clips,
    int clipSeconds,
    int fps,
    String detectors,
    List<String> codecs,
    double sampleFps,
    int threads,
    int jobClips,
    long intervalMillis,
    Path out,
    Path work,
    Path publish,
    String ffmpeg,
    List<Long> scaleRows,
    int scaleTables,
    List<String> args) {

  static final String USAGE =
      """
      java -cp target/hose.jar:hose-test-support/target/classes:hose-it/target/test-classes dev.hose.bench.Benchmarks [flags]
        --suites=archive,detect          what to run (also: restore, for restore vs pg_restore and
                                         verify vs sha256sum + zcat; needs tools/bench-packages.sh;
                                         and scale, for the large-table and many-table runs:
                                         about an hour and 60 GB of disk at its defaults)
        --rows=250000,1000000,4000000    archive table sizes (~1 KB of JSON per row)
        --runners=direct,zlib,zstd,parquet,flink
                                         where hose archive runs (flink: a local session cluster;
                                         zlib: DirectRunner with gzip by java.util.zip, as a
                                         machine without libdeflate runs; zstd: DirectRunner with
                                         --compression=zstd; parquet: --format=parquet)
        --heap=256m                      -Xmx of every forked JVM; each Flink TaskManager JVM gets
                                         the same -Xmx (128m framework + the rest as task heap)
        --stockTimeout=300               seconds before the stock Beam baseline is stopped
        --runTimeout=1800                seconds before any other run is stopped
        --taskManagers=2                 one slot each; the job runs with parallelism = this
        --resolutions=720p,1080p         detect clip sizes
        --clips=3 --clipSeconds=20 --fps=30   generated clips per resolution (cached)
        --detectors=motion               detect's detectors
        --codecs=h264-high,hevc,vp9,openh264   detect clip codecs (h264-high and hevc are made
                                         with the system ffmpeg's libx264/libx265)
        --sampleFps=2                    detect's sample rate in the "defaults" runs (the
                                         "every frame" runs use --fps)
        --threads=N                      decoder threads of the per-video runs and of ffmpeg
                                         (default: this machine's cores)
        --jobClips=50                    videos in each whole-job run (the clips, repeated)
        --interval=500                   memory sampling interval, ms
        --out=target/bench               results, charts, logs
        --work=target/bench-work         PostgreSQL data, the Flink cluster, outputs (removed at
                                         the end); clips are cached in target/bench-clips
        --publish=DIR                    also copy results, charts and README-table.md to DIR
                                         (e.g. docs/bench) and put the table in README.md
                                         between its bench markers
        --ffmpeg=PATH                    decode-only baseline binary (default: JavaCV's, the
                                         FFmpeg that hose decodes with)
        --scaleRows=4000000,40000000     scale: one table of each size; the first is the
                                         reference the largest is judged against
        --scaleTables=1000               scale: tables archived in one run (1,000 to 100,000
                                         rows each, log-spaced); 0 skips them
      """;

  static final List<Long> FULL_ROWS = List.of(250_000L, 1_000_000L, 4_000_000L);

  static Settings parse(String[] args) {
    Map<String, String> a = new LinkedHashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (!arg.startsWith("--") || eq < 0) {
        throw new IllegalArgumentException("bad argument " + arg + " (expected --name=value)");
      }
      a.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
    Settings s =
        new Settings(
            list(a.remove("suites"), "archive,detect"),
            list(a.remove("rows"), "250000,1000000,4000000").stream()
                .map(v -> Long.parseLong(v.replace("_", "")))
                .toList(),
            list(a.remove("runners"), "direct,zlib,zstd,parquet,flink"),
            or(a.remove("heap"), "256m"),
            Long.parseLong(or(a.remove("stockTimeout"), "300")),
            Long.parseLong(or(a.remove("runTimeout"), "1800")),
            Integer.parseInt(or(a.remove("taskManagers"), "2")),
            list(a.remove("resolutions"), "720p,1080p"),
            Integer.parseInt(or(a.remove("clips"), "3")),
            Integer.parseInt(or(a.remove("clipSeconds"), "20")),
            Integer.parseInt(or(a.remove("fps"), "30")),
            or(a.remove("detectors"), "motion"),
            list(a.remove("codecs"), "h264-high,hevc,vp9,openh264"),
            Double.parseDouble(or(a.remove("sampleFps"), "2")),
            Integer.parseInt(
                or(a.remove("threads"), "" + Runtime.getRuntime().availableProcessors())),
            Integer.parseInt(or(a.remove("jobClips"), "50")),
            Long.parseLong(or(a.remove("interval"), "500")),
            Path.of(or(a.remove("out"), "target/bench")).toAbsolutePath(),
            Path.of(or(a.remove("work"), "target/bench-work")).toAbsolutePath(),
            a.containsKey("publish") ? Path.of(a.remove("publish")) : null,
            a.remove("ffmpeg"),
            list(a.remove("scaleRows"), "4000000,40000000").stream()
                .map(v -> Long.parseLong(v.replace("_", "")))
                .toList(),
            Integer.parseInt(or(a.remove("scaleTables"), "1000")),
            List.of(args));
    if (!a.isEmpty()) {
      throw new IllegalArgumentException("unknown flag --" + a.keySet().iterator().next());
    }
    for (String suite : s.suites) {
      if (!List.of("archive", "detect", "restore", "scale").contains(suite)) {
        throw new IllegalArgumentException("unknown suite " + suite);
      }
    }
    for (String runner : s.runners) {
      if (!List.of("direct", "zlib", "zstd", "parquet", "flink").contains(runner)) {
        throw new IllegalArgumentException("unknown runner " + runner);
      }
    }
    for (String r : s.resolutions) {
      dimensions(r);
    }
    for (String c : s.codecs) {
      if (!DetectSuite.CODECS.contains(c)) {
        throw new IllegalArgumentException(
            "unknown codec " + c + " (known: " + DetectSuite.CODECS + ")");
      }
    }
    if (s.runners.contains("flink") && s.heapMb() < 192) {
      throw new IllegalArgumentException("--heap must be at least 192m with the flink runner");
    }
    return s;
  }

  /** Whether this run is smaller than the full benchmark's defaults. */
  boolean isSmokeRun() {
    return (runs("archive") && !rows.equals(FULL_ROWS))
        || (runs("detect") && (clips < 3 || clipSeconds < 20 || jobClips < 50));
  }

  boolean runs(String suite) {
    return suites.contains(suite);
  }

  /** The heap in MiB. */
  int heapMb() {
    String h = heap.toLowerCase();
    long n = Long.parseLong(h.replaceAll("[^0-9]", ""));
    return (int) (h.endsWith("g") ? n * 1024 : h.endsWith("k") ? n / 1024 : n);
  }

  /** Flink's fixed framework heap (cluster.sh); the TaskManager's task heap is the rest. */
  static final int FLINK_FRAMEWORK_HEAP_MB = 128;

  int flinkTaskHeapMb() {
    return heapMb() - FLINK_FRAMEWORK_HEAP_MB;
  }

  /** The command line that reproduces this run. */
  String command() {
    return "mvn -B -q package -DskipTests && java -cp target/hose.jar:hose-test-support/target/classes:hose-it/target/test-classes"
        + " dev.hose.bench.Benchmarks"
        + (args.isEmpty() ? "" : " " + String.join(" ", args));
  }

  /** {@code 720p} → {1280, 720}; also accepts {@code WxH}. */
  static int[] dimensions(String resolution) {
    return switch (resolution) {
      case "480p" -> new int[] {854, 480};
      case "720p" -> new int[] {1280, 720};
      case "1080p" -> new int[] {1920, 1080};
      case "1440p" -> new int[] {2560, 1440};
      default -> {
        String[] wh = resolution.split("x");
        if (wh.length != 2) {
          throw new IllegalArgumentException("unknown resolution " + resolution);
        }
        yield new int[] {Integer.parseInt(wh[0]), Integer.parseInt(wh[1])};
      }
    };
  }

  private static List<String> list(String value, String fallback) {
    return Stream.of(or(value, fallback).split(","))
        .map(String::strip)
        .filter(v -> !v.isEmpty())
        .toList();
  }

  private static String or(String value, String fallback) {
    return value == null ? fallback : value;
  }
}
