package dev.hose.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One tool on one size: its figures and the memory samples of its processes.
 *
 * @param units rows (archive) or frames (detect) the tool finished; 0 when it did not complete
 * @param details further figures by name (JSON MB, gzip MB, Flink job seconds, how far a failed
 *     baseline got, …)
 */
record Run(
    Tool tool,
    String size,
    long units,
    double wallSeconds,
    String outcome,
    Map<String, Object> details,
    List<ProcessSampler.Sample> samples) {

  static final String COMPLETED = "completed";

  /** The tools, in the order tables and charts show them. */
  enum Tool {
    PSQL_GZIP("archive", "psql \\copy row_to_json | gzip -6", "#7f7f7f"),
    HOSE_DIRECT("archive", "hose archive, DirectRunner", "#1f77b4"),
    HOSE_ZLIB(
        "archive",
        "hose archive, gzip by java.util.zip (HOSE_LIBDEFLATE=off), DirectRunner",
        "#17becf"),
    HOSE_FLINK("archive", "hose archive, Flink session cluster", "#2ca02c"),
    HOSE_ZSTD("archive", "hose archive --compression=zstd, DirectRunner", "#ff7f0e"),
    HOSE_PARQUET("archive", "hose archive --format=parquet (zstd), DirectRunner", "#8c564b"),
    STOCK_BEAM("archive", "stock Beam readWithPartitions → TextIO gzip", "#d62728"),
    FFMPEG("detect", "ffmpeg -threads N -f null (decode only)", "#7f7f7f"),
    HOSE_DETECT("detect", "hose detect per video, defaults (warm JVM)", "#1f77b4"),
    HOSE_DETECT_EVERY("detect", "hose detect per video, every frame sampled", "#2ca02c"),
    HOSE_DETECT_CLI(
        "detect", "hose detect job, DirectRunner, 2 at once (incl. JVM start)", "#9467bd");

    final String suite;
    final String label;
    final String color;

    Tool(String suite, String label, String color) {
      this.suite = suite;
      this.label = label;
      this.color = color;
    }

    String key() {
      return name().toLowerCase().replace('_', '-');
    }
  }

  boolean completed() {
    return outcome.equals(COMPLETED);
  }

  /** Rows/s or frames/s over the wall time; 0 when the tool did not complete. */
  double perSecond() {
    return completed() && wallSeconds > 0 ? units / wallSeconds : 0;
  }

  /** Peak RSS in MB of each process role. */
  Map<String, Double> peakRssByRole() {
    Map<String, Double> peaks = new LinkedHashMap<>();
    for (ProcessSampler.Sample s : samples) {
      peaks.merge(s.role(), s.rssMb(), Math::max);
    }
    return peaks;
  }

  /** Peak heap used in MB of each JVM role. */
  Map<String, Double> peakHeapByRole() {
    Map<String, Double> peaks = new LinkedHashMap<>();
    for (ProcessSampler.Sample s : samples) {
      if (!Double.isNaN(s.heapUsedMb())) {
        peaks.merge(s.role(), s.heapUsedMb(), Math::max);
      }
    }
    return peaks;
  }

  /** Peak of the run's processes' RSS added up at the same instant. */
  double peakTotalRss() {
    Map<Double, Double> byTick = new TreeMap<>();
    for (ProcessSampler.Sample s : samples) {
      byTick.merge(s.seconds(), s.rssMb(), Double::sum);
    }
    return byTick.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
  }

  /** Largest peak RSS among the roles whose name starts with {@code prefix}. */
  double peakRss(String prefix) {
    return peakRssByRole().entrySet().stream()
        .filter(e -> e.getKey().startsWith(prefix))
        .mapToDouble(Map.Entry::getValue)
        .max()
        .orElse(0);
  }
}
