package dev.hose.bench;

import dev.hose.common.FileTrees;
import dev.hose.support.HoseProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The benchmark command (not a test). Archive: seeds PostgreSQL tables of each size and archives
 * them with hose on DirectRunner and on a local Flink session cluster, beside {@code psql \copy
 * row_to_json | gzip} and stock Beam {@code JdbcIO.readWithPartitions → TextIO}. Detect: decodes
 * generated clips with hose and with decode-only ffmpeg. Every process's RSS and every JVM's heap
 * are sampled over time. Writes CSV, JSON, SVG charts and a README snippet under {@code --out}
 * ({@link Report}).
 *
 * <pre>
 * mvn -B -q package -DskipTests
 * java -cp target/hose.jar:hose-test-support/target/classes:hose-it/target/test-classes dev.hose.bench.Benchmarks                 # full
 * java -cp target/hose.jar:hose-test-support/target/classes:hose-it/target/test-classes dev.hose.bench.Benchmarks \
 *     --rows=20000,50000 --clips=1 --clipSeconds=4 --stockTimeout=60                    # quick
 * </pre>
 */
public final class Benchmarks {
  private Benchmarks() {}

  public static void main(String[] args) throws Exception {
    if (List.of(args).contains("--help")) {
      System.out.print(Settings.USAGE);
      return;
    }
    Settings settings;
    try {
      settings = Settings.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("benchmarks: error: " + e.getMessage());
      System.err.print(Settings.USAGE);
      System.exit(2);
      return;
    }
    System.exit(run(settings));
  }

  static int run(Settings settings) throws Exception {
    DetectSuite.Ffmpeg ffmpeg = null;
    try {
      HoseProcess.jar();
      if ((settings.runs("archive") || settings.runs("scale")) && !onPath("psql")) {
        throw new IllegalStateException(
            "psql is not installed: `sudo apt-get install postgresql-client`, or run"
                + " --suites=detect");
      }
      if (settings.runs("restore") && !onPath("pg_restore")) {
        throw new IllegalStateException(
            "pg_dump and pg_restore are not installed: run tools/bench-packages.sh, or leave out"
                + " --suites=restore");
      }
      if (settings.runs("detect")) {
        Files.createDirectories(settings.work());
        ffmpeg = DetectSuite.ffmpeg(settings);
        if (settings.codecs().contains("h264-high") || settings.codecs().contains("hevc")) {
          SystemFfmpeg.ensure();
        }
      }
    } catch (IllegalStateException e) {
      System.err.println("benchmarks: error: " + e.getMessage());
      return 2;
    }
    // Interrupted (Ctrl-C): end what this run started (PostgreSQL, a tool's JVM), by pid.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> ProcessHandle.current().descendants().forEach(ProcessHandle::destroy),
                "stop-children"));
    long start = System.nanoTime();
    FileTrees.delete(settings.out());
    Files.createDirectories(settings.out());
    Map<String, Object> machine = Report.machine();
    System.out.println("machine: " + machine);
    System.out.println("command: " + settings.command());
    System.out.println("logs:    " + settings.out().resolve("logs"));
    List<Run> runs = new ArrayList<>();
    if (settings.runs("archive")) {
      runs.addAll(ArchiveSuite.run(settings));
    }
    if (settings.runs("detect")) {
      runs.addAll(DetectSuite.run(settings, ffmpeg));
    }
    List<RestoreSuite.Timing> restore = List.of();
    if (settings.runs("restore")) {
      // Writes its own restore.csv: the report's charts are archive's and detect's.
      restore = RestoreSuite.run(settings);
    }
    List<ScaleSuite.Timing> scale = List.of();
    if (settings.runs("scale")) {
      // Writes its own scale.csv, as restore does.
      scale = ScaleSuite.run(settings);
    }
    FileTrees.delete(settings.work());
    Report report = new Report(settings, machine, runs, secondsSince(start));
    boolean readme = false;
    if (!runs.isEmpty()) {
      report.write(settings.out());
      readme = settings.publish() != null && report.publish(settings.out(), settings.publish());
    }
    String when = machine.get("date").toString().substring(0, 16).replace('T', ' ') + " UTC";
    if (!restore.isEmpty()) {
      readme |=
          section(
              settings,
              when,
              "restore",
              RestoreSuite.markdown(restore, "measured " + when),
              RestoreSuite.targets(restore));
    }
    if (!scale.isEmpty()) {
      readme |=
          section(
              settings,
              when,
              "scale",
              ScaleSuite.markdown(scale, "measured " + when),
              ScaleSuite.targets(scale));
    }
    System.out.println();
    if (!runs.isEmpty()) {
      System.out.print(report.summary());
    }
    System.out.printf("%nwritten: %s (%.1f min)%n", settings.out(), secondsSince(start) / 60);
    if (settings.publish() != null) {
      System.out.println(
          "published: "
              + settings.publish().toAbsolutePath()
              + (readme ? "; docs/benchmarks.md and the README's targets updated" : ""));
    }
    return 0;
  }

  /**
   * A suite that writes its own {@code SUITE.csv}: its Markdown goes to {@code SUITE.md}, and with
   * --publish into docs/benchmarks.md between the {@code bench-SUITE} markers, its targets into the
   * README between the {@code bench-SUITE-targets} markers. Returns whether it published.
   */
  private static boolean section(
      Settings settings, String when, String suite, String md, List<String> targets)
      throws IOException {
    Files.writeString(settings.out().resolve(suite + ".md"), md);
    System.out.println();
    targets.forEach(t -> System.out.println("  " + t.replace("**", "")));
    if (settings.publish() == null) {
      return false;
    }
    Files.createDirectories(settings.publish());
    Files.copy(
        settings.out().resolve(suite + ".csv"),
        settings.publish().resolve(suite + ".csv"),
        StandardCopyOption.REPLACE_EXISTING);
    Report.replaceBetween(
        Report.PROJECT.resolve("docs/benchmarks.md"),
        "<!-- bench-" + suite + ":begin -->",
        "<!-- bench-" + suite + ":end -->",
        md);
    StringBuilder lines =
        new StringBuilder(
            "<!-- Written by dev.hose.bench.Benchmarks --suites="
                + suite
                + " --publish, "
                + when
                + ". -->\n");
    targets.forEach(t -> lines.append("- ").append(t).append('\n'));
    return Report.replaceBetween(
        Report.PROJECT.resolve("README.md"),
        "<!-- bench-" + suite + "-targets:begin -->",
        "<!-- bench-" + suite + "-targets:end -->",
        lines.toString());
  }

  static double secondsSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** {@code role MB, role MB} for progress lines. */
  static String rolesMb(Map<String, Double> byRole) {
    StringJoiner j = new StringJoiner(", ");
    byRole.forEach((role, mb) -> j.add(String.format("%s %.0f", role, mb)));
    return j.toString();
  }

  private static boolean onPath(String program) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }
}
