package dev.hose.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hose.support.Checkout;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Everything a benchmark run writes:
 *
 * <ul>
 *   <li>{@code results.json}: machine, command, settings, targets, and per tool and size the
 *       figures, peaks by process and details;
 *   <li>{@code results.csv}: the same figures, one line per tool and size;
 *   <li>{@code memory.csv}: every memory sample (tool, size, process role, seconds, RSS, heap);
 *   <li>SVG charts: archive rows/s, archive peak RSS, archive RSS and heap over time, detect
 *       frames/s against decode-only, detect RSS over time;
 *   <li>{@code README-table.md}: the README's figures section, ready to paste.
 * </ul>
 */
final class Report {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Wall time against psql | gzip, by table size: DirectRunner, and the Flink session cluster. */
  static final Map<Long, Double> DIRECT_WALL_TARGETS =
      Map.of(250_000L, 1.3, 1_000_000L, 1.0, 4_000_000L, 0.8);

  static final Map<Long, Double> FLINK_WALL_TARGETS = Map.of(250_000L, 2.5);

  /** Issue 21: seconds from the command's start to the first range query, and last shard → exit. */
  static final double START_TARGET_S = 1.0;

  static final double END_TARGET_S = 0.2;

  /** Seconds a Flink client takes before the job runs on the cluster. */
  static final double CLIENT_BEFORE_JOB_TARGET_S = 5;

  /**
   * Job jar sizes: the archive jar in MB, the detect jar as a share of the 317 MB hose.jar of
   * 2026-12-01.
   */
  static final double ARCHIVE_JAR_TARGET_MB = 80;

  static final double DETECT_JAR_TARGET_SHARE = 0.4;

  static final double HOSE_JAR_BEFORE_SPLIT_MB = 317.3;
  static final double RSS_GROWTH_TARGET = 0.15;
  static final double EVERY_FRAME_TARGET = 0.6;
  static final double JOB_TARGET = 0.8;

  static final List<String> FILES =
      List.of(
          "results.json",
          "results.csv",
          "memory.csv",
          "README-table.md",
          "archive-rows-per-second.svg",
          "archive-peak-rss.svg",
          "archive-memory-rss.svg",
          "archive-memory-heap.svg",
          "detect-frames-per-second.svg",
          "detect-memory.svg");

  static final Path PROJECT = Checkout.root();
  static final String BEGIN = "<!-- bench:begin -->";
  static final String END = "<!-- bench:end -->";

  /** JSON lines with zstd: wall time over hose's own gzip-6 path (#20). */
  static final double ZSTD_WALL_TARGET = 0.7;

  /** Parquet with zstd: wall time and size over hose's own gzip JSON-lines path (#20). */
  static final double PARQUET_WALL_TARGET = 1.0;

  static final double PARQUET_SIZE_TARGET = 0.5;

  /** DuckDB's count(*) and sum(numeric) over the Parquet archive on S3, over the JSON lines'. */
  static final double DUCKDB_QUERY_TARGET = 0.25;

  static final String TARGETS_BEGIN = "<!-- bench-targets:begin -->";
  static final String TARGETS_END = "<!-- bench-targets:end -->";

  private final Settings settings;
  private final Map<String, Object> machine;
  private final List<Run> runs;
  private final double totalSeconds;
  private final String loadAtEnd;
  private String linkPrefix = "";

  Report(Settings settings, Map<String, Object> machine, List<Run> runs, double totalSeconds)
      throws IOException {
    this.settings = settings;
    this.machine = machine;
    this.runs = runs;
    this.totalSeconds = totalSeconds;
    this.loadAtEnd = Files.readString(Path.of("/proc/loadavg")).strip();
  }

  static Map<String, Object> machine() throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("date", Instant.now().toString());
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put(
        "cpu",
        Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
            .filter(l -> l.startsWith("model name"))
            .findFirst()
            .map(l -> l.substring(l.indexOf(':') + 1).strip())
            .orElse("?"));
    long memKb =
        Long.parseLong(
            Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("[^0-9]", ""));
    m.put("memoryGiB", Math.round(memKb / 1048576.0 * 10) / 10.0);
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    m.put("loadAverageAtStart", Files.readString(Path.of("/proc/loadavg")).strip());
    return m;
  }

  void write(Path dir) throws IOException {
    linkPrefix = ""; // README-table.md sits beside the charts
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("results.json"), JSON.writeValueAsString(json()));
    Files.writeString(dir.resolve("results.csv"), resultsCsv());
    try (Writer w = Files.newBufferedWriter(dir.resolve("memory.csv"))) {
      w.write("suite,tool,size,role,seconds,rss_mb,rss_anon_mb,heap_used_mb,heap_committed_mb\n");
      for (Run r : runs) {
        for (ProcessSampler.Sample s : r.samples()) {
          w.write(
              String.format(
                  Locale.ROOT,
                  "%s,%s,%s,%s,%.2f,%.1f,%.1f,%s,%s%n",
                  r.tool().suite,
                  r.tool().key(),
                  r.size(),
                  s.role(),
                  s.seconds(),
                  s.rssMb(),
                  s.rssAnonMb(),
                  mb(s.heapUsedMb()),
                  mb(s.heapCommittedMb())));
        }
      }
    }
    List<Run> archive = suite("archive");
    List<Run> detect = suite("detect");
    if (!archive.isEmpty()) {
      Files.writeString(dir.resolve("archive-rows-per-second.svg"), rateBars(archive, "rows/s"));
      Files.writeString(dir.resolve("archive-peak-rss.svg"), peakBars(archive));
      Files.writeString(
          dir.resolve("archive-memory-rss.svg"), memory(archive, false, "Archive: RSS over time"));
      Files.writeString(
          dir.resolve("archive-memory-heap.svg"),
          memory(archive, true, "Archive: JVM heap used over time (committed: memory.csv)"));
    }
    if (!detect.isEmpty()) {
      Files.writeString(dir.resolve("detect-frames-per-second.svg"), rateBars(detect, "frames/s"));
      Files.writeString(
          dir.resolve("detect-memory.svg"), memory(detect, false, "Detect: RSS over time"));
    }
    Files.writeString(dir.resolve("README-table.md"), markdown());
  }

  /**
   * Copies the small outputs (not the logs) to {@code target}, e.g. docs/bench, and puts
   * README-table.md into docs/benchmarks.md between {@link #BEGIN} and {@link #END}, and the
   * targets into README.md between {@link #TARGETS_BEGIN} and {@link #TARGETS_END}; returns whether
   * docs/benchmarks.md had its markers.
   */
  boolean publish(Path from, Path target) throws IOException {
    Files.createDirectories(target);
    for (String f : FILES) {
      Path p = from.resolve(f);
      if (Files.exists(p)) {
        Files.copy(p, target.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      } else {
        Files.deleteIfExists(target.resolve(f));
      }
    }
    // Links in docs/benchmarks.md are relative to docs/, where it lives.
    linkPrefix =
        PROJECT
            .resolve("docs")
            .relativize(target.toAbsolutePath())
            .toString()
            .replaceAll("/?$", "/");
    boolean figures = replaceBetween(PROJECT.resolve("docs/benchmarks.md"), BEGIN, END, markdown());
    linkPrefix = "";
    StringBuilder targets = new StringBuilder();
    targets.append(
        String.format(
            "<!-- Written by dev.hose.bench.Benchmarks --publish, from the run of %s UTC. -->%n",
            machine.get("date").toString().substring(0, 16).replace('T', ' ')));
    targets().forEach(t -> targets.append("- ").append(t).append('\n'));
    replaceBetween(PROJECT.resolve("README.md"), TARGETS_BEGIN, TARGETS_END, targets.toString());
    return figures;
  }

  /** Puts {@code body} between the markers in {@code file}; false if the file lacks them. */
  static boolean replaceBetween(Path file, String begin, String end, String body)
      throws IOException {
    String text = Files.exists(file) ? Files.readString(file) : "";
    int b = text.indexOf(begin);
    int e = text.indexOf(end);
    if (b < 0 || e < b) {
      return false;
    }
    Files.writeString(
        file, text.substring(0, b + begin.length()) + "\n" + body + text.substring(e));
    return true;
  }

  private List<Run> suite(String suite) {
    return runs.stream().filter(r -> r.tool().suite.equals(suite)).toList();
  }

  private List<String> sizes(List<Run> runs) {
    return runs.stream().map(Run::size).distinct().toList();
  }

  private List<Run.Tool> tools(List<Run> runs) {
    return runs.stream().map(Run::tool).distinct().sorted().toList();
  }

  private Run find(Run.Tool tool, String size) {
    return runs.stream()
        .filter(r -> r.tool() == tool && r.size().equals(size))
        .findFirst()
        .orElse(null);
  }

  /** The run's wall time over the baseline's (psql|gzip or ffmpeg) on the same size. */
  private Double ratioToBaseline(Run r) {
    Run.Tool base = r.tool().suite.equals("archive") ? Run.Tool.PSQL_GZIP : Run.Tool.FFMPEG;
    Run b = find(base, r.size());
    if (b == null || r.tool() == base || !r.completed() || !b.completed()) {
      return null;
    }
    return r.tool().suite.equals("archive")
        ? r.wallSeconds() / b.wallSeconds()
        : r.perSecond() / b.perSecond();
  }

  private static String displaySize(Run r) {
    return r.tool().suite.equals("archive")
        ? String.format("%,d rows", Long.parseLong(r.size()))
        : r.size();
  }

  // --- targets ---

  /** One line per target, saying plainly whether it is met. */
  List<String> targets() {
    List<String> lines = new ArrayList<>();
    lines.addAll(jarTargets());
    for (Run.Tool tool : List.of(Run.Tool.HOSE_DIRECT, Run.Tool.HOSE_FLINK)) {
      List<Run> rs = suite("archive").stream().filter(r -> r.tool() == tool).toList();
      if (rs.isEmpty()) {
        continue;
      }
      Map<Long, Double> targets =
          tool == Run.Tool.HOSE_DIRECT ? DIRECT_WALL_TARGETS : FLINK_WALL_TARGETS;
      for (Run r : rs) {
        Double target = targets.get(Long.parseLong(r.size()));
        Double ratio = ratioToBaseline(r);
        String figure =
            ratio == null ? "no figure (" + r.outcome() + ")" : String.format("%.2f×", ratio);
        if (target == null) {
          lines.add(
              String.format(
                  "%s at %s: %s psql|gzip (no target)", tool.label, displaySize(r), figure));
          continue;
        }
        lines.add(
            String.format(
                "%s at %s: wall time ≤ %.1f× psql|gzip: **%s** (%s)",
                tool.label,
                displaySize(r),
                target,
                ratio != null && ratio <= target ? "met" : "NOT met",
                figure));
      }
      lines.addAll(fixedCostTargets(tool, rs));
      if (rs.size() >= 2) {
        lines.add(
            rssGrowth(
                rs,
                tool == Run.Tool.HOSE_DIRECT ? "hose" : "taskmanager",
                tool == Run.Tool.HOSE_DIRECT ? "the hose JVM" : "largest TaskManager"));
      }
    }
    lines.addAll(zlibLines());
    lines.addAll(zstdTargets());
    lines.addAll(parquetTargets());
    lines.addAll(detectTargets());
    return lines;
  }

  /**
   * gzip by java.util.zip (a machine without libdeflate) against psql|gzip and against the default
   * path, size by size: no target, the figure a deployment without libdeflate0 can expect.
   */
  private List<String> zlibLines() {
    List<String> lines = new ArrayList<>();
    for (Run z : suite("archive").stream().filter(r -> r.tool() == Run.Tool.HOSE_ZLIB).toList()) {
      double[] vsGzip = againstGzip(z, lines);
      if (vsGzip == null) {
        continue;
      }
      Double ratio = ratioToBaseline(z);
      lines.add(
          String.format(
              "%s at %s: %s psql|gzip (no target); the default path (gzip: %s) took %.2f× its"
                  + " time, its shards %.2f× the size",
              z.tool().label,
              displaySize(z),
              ratio == null ? "no figure against" : String.format("%.2f×", ratio),
              find(Run.Tool.HOSE_DIRECT, z.size()).details().getOrDefault("gzip", "not logged"),
              1 / vsGzip[0],
              1 / vsGzip[1]));
    }
    return lines;
  }

  /**
   * JSON lines with zstd against hose's own gzip path, size by size in the same run: wall time ≤
   * {@value #ZSTD_WALL_TARGET}×, and the shards' size beside it.
   */
  private List<String> zstdTargets() {
    List<String> lines = new ArrayList<>();
    for (Run z : suite("archive").stream().filter(r -> r.tool() == Run.Tool.HOSE_ZSTD).toList()) {
      double[] vsGzip = againstGzip(z, lines);
      if (vsGzip == null) {
        continue;
      }
      double ratio = vsGzip[0];
      double size = vsGzip[1];
      lines.add(
          String.format(
              "%s at %s: wall time ≤ %.1f× hose's gzip-6 path: **%s** (%.2f×; shards %.2f× the"
                  + " size of the .jsonl.gz)",
              z.tool().label,
              displaySize(z),
              ZSTD_WALL_TARGET,
              ratio <= ZSTD_WALL_TARGET ? "met" : "NOT met",
              ratio,
              size));
    }
    return lines;
  }

  /**
   * A run's wall time and output size over hose's gzip JSON lines at the same size, as {ratio,
   * size}; null, with a "no figure" line added, when either run did not complete.
   */
  private double[] againstGzip(Run r, List<String> lines) {
    Run gzip = find(Run.Tool.HOSE_DIRECT, r.size());
    if (gzip == null || !gzip.completed() || !r.completed()) {
      lines.add(
          String.format("%s at %s: no figure (%s)", r.tool().label, displaySize(r), r.outcome()));
      return null;
    }
    return new double[] {
      r.wallSeconds() / gzip.wallSeconds(),
      ((Number) r.details().get("gzipMB")).doubleValue()
          / ((Number) gzip.details().get("gzipMB")).doubleValue()
    };
  }

  /**
   * The peak-RSS target of one tool's runs: the {@code role} process's growth from the smallest
   * size to the largest is under {@value #RSS_GROWTH_TARGET} (as a fraction).
   */
  private String rssGrowth(List<Run> rs, String role, String who) {
    Run first = rs.get(0);
    Run last = rs.get(rs.size() - 1);
    double a = first.peakRss(role);
    double b = last.peakRss(role);
    double growth = b / a - 1;
    return String.format(
        "%s peak RSS (%s) growth from %s to %s < %.0f%%: **%s** (%.0f → %.0f MB, %+.1f%%)",
        first.tool().label,
        who,
        displaySize(first),
        displaySize(last),
        RSS_GROWTH_TARGET * 100,
        growth < RSS_GROWTH_TARGET && first.completed() && last.completed() ? "met" : "NOT met",
        a,
        b,
        growth * 100);
  }

  /**
   * Parquet (zstd) against hose's own gzip JSON-lines path, size by size in the same run: wall time
   * ≤ {@value #PARQUET_WALL_TARGET}× and output ≤ {@value #PARQUET_SIZE_TARGET}× the .jsonl.gz; and
   * the hose JVM's peak RSS flat from the smallest size to the largest.
   */
  private List<String> parquetTargets() {
    List<String> lines = new ArrayList<>();
    List<Run> parquet =
        suite("archive").stream().filter(r -> r.tool() == Run.Tool.HOSE_PARQUET).toList();
    for (Run p : parquet) {
      double[] vsGzip = againstGzip(p, lines);
      if (vsGzip == null) {
        continue;
      }
      double ratio = vsGzip[0];
      double size = vsGzip[1];
      lines.add(
          String.format(
              "%s at %s: wall time ≤ %.1f× hose's gzip JSON lines: **%s** (%.2f×); size ≤ %.1f×"
                  + " the .jsonl.gz: **%s** (%.2f×)",
              p.tool().label,
              displaySize(p),
              PARQUET_WALL_TARGET,
              ratio <= PARQUET_WALL_TARGET ? "met" : "NOT met",
              ratio,
              PARQUET_SIZE_TARGET,
              size <= PARQUET_SIZE_TARGET ? "met" : "NOT met",
              size));
      Object jsonl = p.details().get("duckdbJsonlS");
      Object pq = p.details().get("duckdbParquetS");
      if (jsonl == null || pq == null) {
        lines.add(
            String.format(
                "DuckDB count(*), sum(amount) over the Parquet archive on S3Proxy at %s: no figure",
                displaySize(p)));
        continue;
      }
      double q = ((Number) pq).doubleValue() / ((Number) jsonl).doubleValue();
      lines.add(
          String.format(
              "DuckDB count(*), sum(amount) on S3Proxy at %s: Parquet ≤ %.2f× the JSON lines:"
                  + " **%s** (%.2f s vs %.2f s, %.3f×; same result: %s)",
              displaySize(p),
              DUCKDB_QUERY_TARGET,
              q <= DUCKDB_QUERY_TARGET ? "met" : "NOT met",
              ((Number) pq).doubleValue(),
              ((Number) jsonl).doubleValue(),
              q,
              p.details().get("duckdbSameResult")));
    }
    if (parquet.size() >= 2) {
      lines.add(rssGrowth(parquet, "hose", "the hose JVM"));
    }
    return lines;
  }

  /**
   * Detect's targets: at the defaults, frames of video per second ≥ 1.5× decode-only ffmpeg on
   * H.264 High and ≥ 1.2× on HEVC; every frame sampled ≥ 60% of decode-only at 720p; the whole job
   * ≥ 80% of the per-video figure. Other codecs are listed for reference.
   */
  private List<String> detectTargets() {
    List<String> lines = new ArrayList<>();
    List<Run> detect = suite("detect");
    for (Run r : detect) {
      Double ratio = ratioToBaseline(r);
      String figure = ratio == null ? r.outcome() : String.format("%.2f×", ratio);
      if (r.tool() == Run.Tool.HOSE_DETECT) {
        double target =
            r.size().endsWith("h264-high") ? 1.5 : r.size().endsWith("hevc") ? 1.2 : Double.NaN;
        lines.add(
            Double.isNaN(target)
                ? String.format(
                    "%s, %s: %s decode-only ffmpeg (reference)", r.tool().label, r.size(), figure)
                : String.format(
                    "%s, %s ≥ %.1f× decode-only ffmpeg: **%s** (%s)",
                    r.tool().label,
                    r.size(),
                    target,
                    ratio != null && ratio >= target ? "met" : "NOT met",
                    figure));
      } else if (r.tool() == Run.Tool.HOSE_DETECT_EVERY) {
        boolean targeted = r.size().startsWith("720p");
        if (targeted && ratio != null) {
          // A percentage like the target's, to one decimal: 59.7% is not met, which 0.60× hid.
          figure = String.format("%.1f%%", ratio * 100);
        }
        lines.add(
            targeted
                ? String.format(
                    "%s, %s ≥ %.0f%% of decode-only ffmpeg: **%s** (%s)",
                    r.tool().label,
                    r.size(),
                    EVERY_FRAME_TARGET * 100,
                    ratio != null && ratio >= EVERY_FRAME_TARGET ? "met" : "NOT met",
                    figure)
                : String.format(
                    "%s, %s: %s decode-only ffmpeg (reference)", r.tool().label, r.size(), figure));
      } else if (r.tool() == Run.Tool.HOSE_DETECT_CLI) {
        Run perVideo = find(Run.Tool.HOSE_DETECT, r.size());
        Double share =
            perVideo == null || !r.completed() || !perVideo.completed()
                ? null
                : r.perSecond() / perVideo.perSecond();
        lines.add(
            String.format(
                "%s, %s ≥ %.0f%% of the per-video frames/s: **%s** (%s; peak RSS %.0f MB)",
                r.tool().label,
                r.size(),
                JOB_TARGET * 100,
                share != null && share >= JOB_TARGET ? "met" : "NOT met",
                share == null ? r.outcome() : String.format("%.0f%%", share * 100),
                r.peakRss("hose")));
      }
    }
    return lines;
  }

  private List<String> jarTargets() {
    List<String> lines = new ArrayList<>();
    Path dir = dev.hose.support.HoseProcess.jar().toAbsolutePath().getParent();
    try {
      double archive = Files.size(dir.resolve("hose-archive.jar")) / 1e6;
      double detect = Files.size(dir.resolve("hose-detect.jar")) / 1e6;
      double all = Files.size(dir.resolve("hose.jar")) / 1e6;
      lines.add(
          String.format(
              "archive job jar ≤ %.0f MB: **%s** (%.1f MB; hose.jar with everything: %.1f MB)",
              ARCHIVE_JAR_TARGET_MB,
              archive <= ARCHIVE_JAR_TARGET_MB ? "met" : "NOT met",
              archive,
              all));
      lines.add(
          String.format(
              "detect job jar ≤ %.0f%% of the %.0f MB hose.jar of 2026-12-01: **%s** (%.1f MB, %.0f%%)",
              DETECT_JAR_TARGET_SHARE * 100,
              HOSE_JAR_BEFORE_SPLIT_MB,
              detect <= DETECT_JAR_TARGET_SHARE * HOSE_JAR_BEFORE_SPLIT_MB ? "met" : "NOT met",
              detect,
              detect / HOSE_JAR_BEFORE_SPLIT_MB * 100));
    } catch (IOException e) {
      lines.add("job jar sizes: not measured (" + e.getMessage() + ")");
    }
    return lines;
  }

  /**
   * DirectRunner: start → first range query plus last shard → exit. Flink: the client's seconds
   * before the job runs on the cluster.
   */
  private static List<String> fixedCostTargets(Run.Tool tool, List<Run> rs) {
    StringJoiner parts = new StringJoiner("; ");
    boolean allMet = true;
    for (Run r : rs) {
      if (tool == Run.Tool.HOSE_DIRECT) {
        Object start = r.details().get("startToFirstQueryS");
        Object end = r.details().get("lastShardToExitS");
        if (start == null || end == null) {
          allMet = false;
          parts.add(displaySize(r) + ": no figure");
          continue;
        }
        allMet &= (Double) start <= START_TARGET_S && (Double) end <= END_TARGET_S;
        parts.add(String.format("%s: %.2f s and %.2f s", displaySize(r), start, end));
      } else {
        Object before = r.details().get("clientSecondsBeforeJob");
        if (before == null) {
          allMet = false;
          parts.add(displaySize(r) + ": no figure");
          continue;
        }
        allMet &= (Double) before <= CLIENT_BEFORE_JOB_TARGET_S;
        parts.add(String.format("%s: %.2f s", displaySize(r), before));
      }
    }
    String what =
        tool == Run.Tool.HOSE_DIRECT
            ? String.format(
                "start → first range query ≤ %.1f s and last shard → exit ≤ %.1f s",
                START_TARGET_S, END_TARGET_S)
            : String.format(
                "the client's time before the job runs ≤ %.0f s", CLIENT_BEFORE_JOB_TARGET_S);
    return List.of(
        String.format("%s: %s: **%s** (%s)", tool.label, what, allMet ? "met" : "NOT met", parts));
  }

  // --- JSON and CSV ---

  private Map<String, Object> json() {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("command", settings.command());
    j.put("machine", machine);
    j.put("loadAverageAtEnd", loadAtEnd);
    j.put("totalMinutes", Math.round(totalSeconds / 6) / 10.0);
    j.put("heapBudget", heapBudget());
    j.put("targets", targets());
    List<Map<String, Object>> results = new ArrayList<>();
    for (Run r : runs) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("suite", r.tool().suite);
      m.put("tool", r.tool().key());
      m.put("label", r.tool().label);
      m.put("size", r.size());
      m.put(r.tool().suite.equals("archive") ? "rows" : "frames", r.units());
      m.put("wallSeconds", round(r.wallSeconds()));
      m.put(
          r.tool().suite.equals("archive") ? "rowsPerSecond" : "framesPerSecond",
          Math.round(r.perSecond()));
      Double ratio = ratioToBaseline(r);
      if (ratio != null) {
        m.put(
            r.tool().suite.equals("archive") ? "wallRatioToPsqlGzip" : "ratioToDecodeOnly",
            round(ratio));
      }
      m.put("outcome", r.outcome());
      m.put("peakRssMB", rounded(r.peakRssByRole()));
      m.put("peakRssSumMB", Math.round(r.peakTotalRss()));
      m.put("peakHeapUsedMB", rounded(r.peakHeapByRole()));
      r.details().forEach((k, v) -> m.put(k, v instanceof Double d ? round(d) : v));
      results.add(m);
    }
    j.put("results", results);
    return j;
  }

  private String resultsCsv() {
    StringBuilder csv =
        new StringBuilder(
            "suite,tool,size,units,wall_s,per_s,ratio_to_baseline,peak_rss_sum_mb,peak_rss_mb,"
                + "peak_heap_used_mb,outcome\n");
    for (Run r : runs) {
      Double ratio = ratioToBaseline(r);
      csv.append(
          String.format(
              Locale.ROOT,
              "%s,%s,%s,%d,%.2f,%.0f,%s,%.0f,\"%s\",\"%s\",\"%s\"%n",
              r.tool().suite,
              r.tool().key(),
              r.size(),
              r.units(),
              r.wallSeconds(),
              r.perSecond(),
              ratio == null ? "" : String.format(Locale.ROOT, "%.3f", ratio),
              r.peakTotalRss(),
              Benchmarks.rolesMb(r.peakRssByRole()),
              Benchmarks.rolesMb(r.peakHeapByRole()),
              r.outcome().replace("\"", "'")));
    }
    return csv.toString();
  }

  // --- charts ---

  private String rateBars(List<Run> rs, String unit) {
    List<String> sizes = sizes(rs);
    List<Charts.Bars> series =
        barsPerTool(
            rs,
            sizes,
            Run::perSecond,
            r -> r.completed() ? shortNumber(r.perSecond()) + ratioLabel(r) : shortOutcome(r));
    String title =
        rs.get(0).tool().suite.equals("archive")
            ? "Archive: rows/s (wall time, start-up included), ×: wall time over psql|gzip"
            : "Detect: frames/s, %: of decode-only ffmpeg";
    return Charts.bars(
        title, unit, sizes.stream().map(s -> displaySize(find(rs, s))).toList(), series);
  }

  /** A bar series per tool with a bar per size (none where the tool did not run that size). */
  private List<Charts.Bars> barsPerTool(
      List<Run> rs, List<String> sizes, ToDoubleFunction<Run> value, Function<Run, String> label) {
    List<Charts.Bars> series = new ArrayList<>();
    for (Run.Tool tool : tools(rs)) {
      double[] values = new double[sizes.size()];
      String[] labels = new String[sizes.size()];
      for (int i = 0; i < sizes.size(); i++) {
        Run r = find(tool, sizes.get(i));
        values[i] = r == null ? 0 : value.applyAsDouble(r);
        labels[i] = r == null ? "" : label.apply(r);
      }
      series.add(new Charts.Bars(tool.label, tool.color, values, labels));
    }
    return series;
  }

  private static Run find(List<Run> rs, String size) {
    return rs.stream().filter(r -> r.size().equals(size)).findFirst().orElseThrow();
  }

  private String ratioLabel(Run r) {
    Double ratio = ratioToBaseline(r);
    if (ratio == null) {
      return "";
    }
    return r.tool().suite.equals("archive")
        ? String.format(" (%.2f×)", ratio)
        : String.format(" (%.0f%%)", ratio * 100);
  }

  private String peakBars(List<Run> rs) {
    List<String> sizes = sizes(rs);
    List<Charts.Bars> series =
        barsPerTool(
            rs,
            sizes,
            Run::peakTotalRss,
            r ->
                String.format(
                    "%.0f MB%s",
                    r.peakTotalRss(), r.completed() ? "" : " (" + shortOutcome(r) + ")"));
    return Charts.bars(
        "Archive: peak RSS, all of a tool's processes added up (Flink: client + JobManager +"
            + " TaskManagers)",
        "MB",
        sizes.stream().map(s -> displaySize(find(rs, s))).toList(),
        series);
  }

  private String memory(List<Run> rs, boolean heap, String title) {
    List<Charts.Panel> panels = new ArrayList<>();
    for (String size : sizes(rs)) {
      List<Charts.Line> lines = new ArrayList<>();
      for (Run r : rs) {
        if (!r.size().equals(size)) {
          continue;
        }
        Map<String, List<double[]>> byRole = new LinkedHashMap<>();
        for (ProcessSampler.Sample s : r.samples()) {
          double v = heap ? s.heapUsedMb() : s.rssMb();
          if (!Double.isNaN(v)) {
            byRole
                .computeIfAbsent(s.role(), k -> new ArrayList<>())
                .add(new double[] {s.seconds(), v});
          }
        }
        int i = 0;
        for (Map.Entry<String, List<double[]>> e : byRole.entrySet()) {
          String name = r.tool().key() + (byRole.size() == 1 ? "" : " " + e.getKey());
          lines.add(new Charts.Line(name, color(r.tool(), e.getKey(), i++), "", e.getValue()));
        }
      }
      panels.add(new Charts.Panel(displaySize(find(rs, size)), lines));
    }
    return Charts.lines(
        title, "seconds since the tool started", heap ? "heap used MB" : "RSS MB", panels);
  }

  /** The tool's colour for its first process; the Flink roles get colours of their own. */
  private static String color(Run.Tool tool, String role, int i) {
    Map<String, String> flink =
        Map.of(
            "client", "#8c564b",
            "jobmanager", "#bcbd22",
            "taskmanager-1", "#2ca02c",
            "taskmanager-2", "#98df8a",
            "taskmanager-3", "#006d2c",
            "taskmanager-4", "#74c476");
    if (tool == Run.Tool.HOSE_FLINK && flink.containsKey(role)) {
      return flink.get(role);
    }
    double f = new double[] {1.0, 0.55, 1.45, 0.8, 1.25}[i % 5];
    int rgb = Integer.parseInt(tool.color.substring(1), 16);
    int r = (int) Math.min(255, ((rgb >> 16) & 255) * f);
    int g = (int) Math.min(255, ((rgb >> 8) & 255) * f);
    int b = (int) Math.min(255, (rgb & 255) * f);
    return String.format("#%02x%02x%02x", r, g, b);
  }

  // --- markdown ---

  private String heapBudget() {
    String forked =
        String.format(
            "every JVM the benchmark forks runs with -Xmx%s (hose through its launcher's"
                + " JAVA_OPTS, stock Beam, the Flink client, the detect worker and job)",
            settings.heap());
    if (!settings.runs("archive") || !settings.runners().contains("flink")) {
      return forked;
    }
    return forked
        + String.format(
            "; each Flink TaskManager JVM has the same -Xmx%dm (%d MiB framework heap + %d MiB"
                + " task heap), one slot, %d TaskManagers, parallelism %d, plus Flink's fixed"
                + " off-heap (256 MiB network, 128 MiB managed, 192 MiB framework and task"
                + " off-heap); the JobManager has -Xmx384m (cluster.sh)",
            settings.heapMb(),
            Settings.FLINK_FRAMEWORK_HEAP_MB,
            settings.flinkTaskHeapMb(),
            settings.taskManagers(),
            settings.taskManagers());
  }

  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append(
        "<!-- Written by dev.hose.bench.Benchmarks; --publish puts it in docs/benchmarks.md"
            + " between the bench markers. -->\n");
    if (settings.isSmokeRun()) {
      md.append(
          "**Smoke run**: smaller tables or shorter clips than the full benchmark (250,000,"
              + " 1,000,000 and 4,000,000 rows; 3 clips of 20 s), so start-up dominates and these"
              + " figures say nothing about the targets.\n\n");
    }
    md.append(
        String.format(
            "Figures from %s on %d cores (%s), %.1f GiB RAM, %s, %s; load average %s at the start"
                + " and %s at the end; %.0f min in all. Raw figures: `%sresults.json`,"
                + " `%sresults.csv`, `%smemory.csv`. Reproduce with:%n%n```bash%n%s%n```%n%n",
            machine.get("date").toString().substring(0, 16).replace('T', ' ') + " UTC",
            machine.get("cores"),
            machine.get("cpu"),
            machine.get("memoryGiB"),
            machine.get("os"),
            machine.get("java"),
            loadFigure((String) machine.get("loadAverageAtStart")),
            loadFigure(loadAtEnd),
            totalSeconds / 60,
            linkPrefix,
            linkPrefix,
            linkPrefix,
            settings.command()));
    md.append("Heap: ").append(heapBudget()).append(".\n\n");
    List<Run> archive = suite("archive");
    if (!archive.isEmpty()) {
      md.append(image("archive-rows-per-second.svg", "archive rows/s"));
      md.append(image("archive-peak-rss.svg", "archive peak RSS"));
      md.append(image("archive-memory-rss.svg", "archive RSS over time"));
      md.append(image("archive-memory-heap.svg", "archive heap over time"));
      md.append(
          "| tool | rows | wall s | rows/s | × psql\\|gzip | peak RSS MB | peak heap used MB |"
              + " outcome |\n");
      md.append("|---|---:|---:|---:|---:|---|---|---|\n");
      for (Run r : archive) {
        Double ratio = ratioToBaseline(r);
        md.append(
            String.format(
                "| %s | %,d | %.1f | %s | %s | %s | %s | %s |%n",
                r.tool().label.replace("|", "\\|"),
                Long.parseLong(r.size()),
                r.wallSeconds(),
                r.completed() ? String.format("%,.0f", r.perSecond()) : "–",
                ratio == null ? "–" : String.format("%.2f", ratio),
                rolesOrDash(r.peakRssByRole()),
                rolesOrDash(r.peakHeapByRole()),
                outcomeNote(r).replace("|", "\\|")));
      }
      md.append('\n');
    }
    List<Run> detect = suite("detect");
    if (!detect.isEmpty()) {
      md.append(image("detect-frames-per-second.svg", "detect frames/s"));
      md.append(image("detect-memory.svg", "detect RSS over time"));
      md.append(
          String.format(
              "Per resolution and codec (%s) %d clip(s) of %d s at %d fps; detectors `%s`, at the"
                  + " defaults (--sampleFps=%s) and with every frame sampled.%n%n",
              String.join(", ", settings.codecs()),
              settings.clips(),
              settings.clipSeconds(),
              settings.fps(),
              settings.detectors(),
              new java.math.BigDecimal(String.valueOf(settings.sampleFps()))
                  .stripTrailingZeros()
                  .toPlainString()));
      md.append(
          "| tool | resolution | frames | wall s | frames/s | % of decode-only | peak RSS MB |"
              + " outcome |\n");
      md.append("|---|---|---:|---:|---:|---:|---|---|\n");
      for (Run r : detect) {
        Double ratio = ratioToBaseline(r);
        md.append(
            String.format(
                "| %s | %s | %,d | %.1f | %s | %s | %s | %s |%n",
                r.tool().label,
                r.size(),
                r.units(),
                r.wallSeconds(),
                r.completed() ? String.format("%,.0f", r.perSecond()) : "–",
                ratio == null ? "–" : String.format("%.0f%%", ratio * 100),
                rolesOrDash(r.peakRssByRole()),
                r.outcome()));
      }
      md.append('\n');
    }
    md.append("Targets:\n\n");
    targets().forEach(t -> md.append("- ").append(t).append('\n'));
    return md.toString();
  }

  /** The summary printed at the end of a run. */
  String summary() {
    StringBuilder s = new StringBuilder();
    for (Run r : runs) {
      s.append(
          String.format(
              "%-7s %-48s %-14s %8.1f s %10.0f/s  peak RSS %-48s %s%n",
              r.tool().suite,
              r.tool().label,
              displaySize(r),
              r.wallSeconds(),
              r.perSecond(),
              Benchmarks.rolesMb(r.peakRssByRole()),
              r.outcome()));
    }
    s.append("\ntargets:\n");
    targets().forEach(t -> s.append("  ").append(t.replace("**", "")).append('\n'));
    return s.toString();
  }

  private static String outcomeNote(Run r) {
    Object job = r.details().get("flinkJobSeconds");
    return r.outcome()
        + (job == null ? "" : String.format("; the job ran %.1f s on the cluster", (Double) job));
  }

  private String image(String file, String alt) {
    return String.format("![%s](%s%s)%n%n", alt, linkPrefix, file);
  }

  private static String loadFigure(String loadavg) {
    return loadavg.split(" ")[0];
  }

  private static String rolesOrDash(Map<String, Double> byRole) {
    return byRole.isEmpty() ? "–" : Benchmarks.rolesMb(byRole).replace("|", "\\|");
  }

  private static String shortOutcome(Run r) {
    String o = r.outcome();
    int semi = o.indexOf(';');
    return semi > 0 ? o.substring(0, semi) : o.length() > 40 ? o.substring(0, 40) + "…" : o;
  }

  private static String shortNumber(double v) {
    return v >= 10_000 ? String.format("%.1fk", v / 1000) : String.format("%.0f", v);
  }

  private static Map<String, Long> rounded(Map<String, Double> byRole) {
    Map<String, Long> m = new LinkedHashMap<>();
    byRole.forEach((k, v) -> m.put(k, Math.round(v)));
    return m;
  }

  private static String mb(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.1f", v);
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
