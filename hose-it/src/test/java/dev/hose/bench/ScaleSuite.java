package dev.hose.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hose.common.FileTrees;
import dev.hose.embedded.EmbeddedPostgresServer;
import dev.hose.support.BenchTable;
import dev.hose.support.Checkout;
import dev.hose.support.FlinkSessionCluster;
import dev.hose.support.HoseProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Scale (opt-in, {@code --suites=scale}; not in CI), on an embedded PostgreSQL 16 with the archive
 * suite's ~1 KB/row table:
 *
 * <ul>
 *   <li><b>One large table</b> of each {@code --scaleRows} size (default 4M, the reference, and
 *       40M, about 36 GB of JSON): {@code psql \copy … | gzip -6}, hose archive on DirectRunner,
 *       hose verify of that archive, hose archive on a local Flink session cluster of {@code
 *       --taskManagers} TaskManagers, then hose restore {@code --create} of the DirectRunner
 *       archive (the source table is dropped first, so that both fit on the disk). Targets (issue
 *       21): the largest size's wall time per row within 10% of the smallest's, and its peak RSS
 *       within 15%, on DirectRunner and on Flink.
 *   <li><b>Many tables</b>: {@code --scaleTables} tables (default 1,000) whose sizes run from 1,000
 *       to 100,000 rows, evenly spaced on a log scale (as a real database's are skewed: most tables
 *       small, a few large; 1,000 tables hold about 21.5M rows), archived by one {@code hose
 *       archive} against a {@code psql \copy … | gzip -6} loop over the same tables. Target (issue
 *       21): hose within 1.5×.
 * </ul>
 *
 * Each run records wall time, rows/s, peak RSS and the database's own load: the most client
 * backends seen at once, and the temporary files PostgreSQL wrote during the run ({@code
 * pg_stat_database}). Writes {@code scale.csv}.
 */
final class ScaleSuite {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PASSWORD_ENV = ArchiveSuite.PASSWORD_ENV;

  static final String TABLE = "one table";
  static final String TABLES = "many tables";
  static final String PSQL = "psql | gzip -6";
  static final String PSQL_LOOP = "psql | gzip -6, a loop over the tables";
  static final String DIRECT = "hose archive, DirectRunner";
  static final String FLINK = "hose archive, Flink session cluster";
  static final String VERIFY = "hose verify";
  static final String RESTORE = "hose restore --create";

  /** Issue 21: the large table's time per row within 10% of the reference's, RSS within 15%. */
  private static final double PER_ROW_TARGET = 1.10;

  private static final double RSS_TARGET = 1.15;

  /** Issue 21: 1,000 tables in one run within 1.5× the psql loop. */
  private static final double TABLES_TARGET = 1.5;

  private static final long SMALLEST_TABLE = 1_000;
  private static final long LARGEST_TABLE = 100_000;

  private final Settings settings;
  private final Path work;
  private final String password = "bench-" + UUID.randomUUID();
  private EmbeddedPostgresServer pg;
  private FlinkSessionCluster cluster;

  /**
   * One timed run.
   *
   * @param peakRssMb the hose JVM's (DirectRunner), the largest TaskManager's (Flink), or the
   *     baseline's processes together
   * @param peakBackends the most client backends the database had at once, the sampler's excluded
   * @param tempFiles temporary files PostgreSQL wrote during the run, and their bytes
   */
  record Timing(
      String scenario,
      String tool,
      long rows,
      int tables,
      double seconds,
      double peakRssMb,
      int peakBackends,
      long tempFiles,
      long tempBytes,
      String outcome) {
    double rowsPerSecond() {
      return rows / seconds;
    }

    boolean completed() {
      return outcome.equals(Run.COMPLETED);
    }
  }

  private ScaleSuite(Settings settings) {
    this.settings = settings;
    this.work = settings.work().resolve("scale");
  }

  static List<Timing> run(Settings settings) throws Exception {
    return new ScaleSuite(settings).runAll();
  }

  private List<Timing> runAll() throws Exception {
    List<Timing> timings = new ArrayList<>();
    FileTrees.delete(work);
    Files.createDirectories(work);
    try (EmbeddedPostgresServer server =
        EmbeddedPostgresServer.start(work.resolve("pg"), password)) {
      pg = server;
      // Interrupted (Ctrl-C): the cluster's JVMs are not this JVM's children, so stop them here.
      Thread onInterrupt = new Thread(this::stopCluster, "stop-flink-cluster");
      Runtime.getRuntime().addShutdownHook(onInterrupt);
      try {
        for (long rows : settings.scaleRows()) {
          System.out.printf("%n[scale] one table of %,d rows%n", rows);
          timings.addAll(oneTable(rows));
          writeCsv(timings);
        }
        if (settings.scaleTables() > 0) {
          System.out.printf("%n[scale] %,d tables in one run%n", settings.scaleTables());
          timings.addAll(manyTables(settings.scaleTables()));
        }
      } finally {
        stopCluster();
        Runtime.getRuntime().removeShutdownHook(onInterrupt);
      }
    }
    FileTrees.delete(work);
    writeCsv(timings);
    return timings;
  }

  private List<Timing> oneTable(long rows) throws Exception {
    String table = "big_" + rows;
    long seedStart = System.nanoTime();
    try (Connection c = pg.connect("postgres")) {
      BenchTable.create(c, table, rows);
    }
    System.out.printf(
        "  seeded %s (%s) in %.0f s%n", table, size(table), Benchmarks.secondsSince(seedStart));
    Path baseline = work.resolve("psql.jsonl.gz");
    Path direct = work.resolve("out-direct");
    Path flink = work.resolve("out-flink");
    Path shards = direct.resolve("public." + table);
    List<Timing> t = new ArrayList<>();
    // The baseline is judged by its exit status: reading 36 GB back to count lines would take
    // longer than writing it.
    t.add(timed(TABLE, PSQL, rows, 1, psqlGzip(table, baseline), "postgres", () -> true));
    Files.deleteIfExists(baseline);
    t.add(
        timed(
            TABLE,
            DIRECT,
            rows,
            1,
            archive(direct, false, "public." + table),
            "postgres",
            () -> rowCount(direct) == rows));
    t.add(
        timed(TABLE, VERIFY, rows, 1, hose("verify", "--input=" + shards), "postgres", () -> true));
    startCluster();
    try {
      t.add(
          timed(
              TABLE,
              FLINK,
              rows,
              1,
              archive(flink, true, "public." + table),
              "postgres",
              () -> rowCount(flink) == rows));
    } finally {
      stopCluster();
      FileTrees.delete(flink);
    }
    try (Connection c = pg.connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE " + table); // the restored copy needs its room on the disk
      s.execute("DROP DATABASE IF EXISTS restored");
      s.execute("CREATE DATABASE restored");
    }
    t.add(
        timed(
            TABLE,
            RESTORE,
            rows,
            1,
            hose(
                "restore",
                "--input=" + shards,
                "--jdbcUrl=" + pg.jdbcUrl("restored"),
                "--username=postgres",
                "--passwordEnv=" + PASSWORD_ENV,
                "--create"),
            "restored",
            () -> count("restored", "public." + table) == rows));
    try (Connection c = pg.connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE restored");
    }
    FileTrees.delete(direct);
    return t;
  }

  private List<Timing> manyTables(int n) throws Exception {
    List<String> tables = new ArrayList<>();
    long total = 0;
    long seedStart = System.nanoTime();
    try (Connection c = pg.connect("postgres")) {
      for (int i = 0; i < n; i++) {
        long rows = tableRows(i, n);
        String table = String.format("many_%04d", i);
        BenchTable.insert(c, table, rows);
        tables.add("public." + table);
        total += rows;
        if ((i + 1) % 100 == 0 || i + 1 == n) {
          System.out.printf("  seeded %,d of %,d tables (%,d rows)%n", i + 1, n, total);
        }
      }
      BenchTable.settle(c);
    }
    System.out.printf(
        "  seeded %,d tables, %,d rows, in %.0f s%n", n, total, Benchmarks.secondsSince(seedStart));
    Path list = work.resolve("tables.txt");
    Files.write(list, tables);
    Path loopOut = Files.createDirectories(work.resolve("out-psql"));
    Path out = work.resolve("out-many");
    long rows = total;
    List<Timing> t = new ArrayList<>();
    String loop =
        "set -o pipefail; while read -r t; do psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "
            + pg.port()
            + " -U postgres -d postgres -c \"\\copy (SELECT row_to_json(x) FROM $t x) TO STDOUT\""
            + " | gzip -6 > '"
            + loopOut
            + "'/$t.jsonl.gz || exit 1; done < '"
            + list
            + "'";
    t.add(
        timed(
            TABLES,
            PSQL_LOOP,
            rows,
            n,
            List.of("bash", "-c", loop),
            "postgres",
            () -> fileCount(loopOut) == n));
    FileTrees.delete(loopOut);
    t.add(
        timed(
            TABLES,
            DIRECT,
            rows,
            n,
            archive(out, false, String.join(",", tables)),
            "postgres",
            () -> rowCount(out) == rows && manifests(out) == n));
    FileTrees.delete(out);
    return t;
  }

  /**
   * Table {@code i} of {@code n}: {@value #SMALLEST_TABLE} to {@value #LARGEST_TABLE} rows, evenly
   * spaced on a log scale.
   */
  static long tableRows(int i, int n) {
    double f = n == 1 ? 1 : i / (double) (n - 1);
    return Math.round(SMALLEST_TABLE * Math.pow((double) LARGEST_TABLE / SMALLEST_TABLE, f));
  }

  private interface Check {
    boolean ok() throws Exception;
  }

  private Timing timed(
      String scenario,
      String tool,
      long rows,
      int tables,
      List<String> command,
      String database,
      Check check)
      throws Exception {
    System.out.printf("  %s …%n", tool);
    boolean jvm = command.get(0).endsWith("java");
    boolean onFlink = tool.equals(FLINK);
    Child.Exit e;
    List<ProcessSampler.Sample> samples;
    DbLoad load;
    try (DbLoad l = DbLoad.start(pg, database, settings.intervalMillis());
        ProcessSampler sampler =
            ProcessSampler.start("scale " + tool + " " + rows, settings.intervalMillis())) {
      load = l;
      if (onFlink) {
        List<Long> pids = cluster.pids();
        sampler.watch("jobmanager", pids.get(0), true);
        for (int i = 1; i < pids.size(); i++) {
          sampler.watch("taskmanager-" + i, pids.get(i), true);
        }
      }
      e =
          Child.run(
              command,
              Map.of(PASSWORD_ENV, password, "PGPASSWORD", password),
              log(tool, rows),
              settings.runTimeoutSeconds(),
              sampler,
              onFlink ? "client" : "tool",
              jvm);
      samples = sampler.samples();
    }
    double peak = 0;
    for (ProcessSampler.Sample s : samples) {
      if (!onFlink || s.role().startsWith("taskmanager")) {
        peak = Math.max(peak, s.rssMb());
      }
    }
    String outcome =
        e.timedOut()
            ? "time limit"
            : e.code() != 0
                ? "failed (exit " + e.code() + "): " + e.lastLine("rror")
                : check.ok() ? Run.COMPLETED : "completed with wrong rows";
    Timing t =
        new Timing(
            scenario,
            tool,
            rows,
            tables,
            e.seconds(),
            peak,
            load.peakBackends(),
            load.tempFiles(),
            load.tempBytes(),
            outcome);
    System.out.printf(
        "  %-40s %7.1f s %,9.0f rows/s  peak RSS %5.0f MB  backends %d  temp files %d (%.0f MB)"
            + "  %s%n",
        tool,
        t.seconds(),
        t.rowsPerSecond(),
        peak,
        t.peakBackends(),
        t.tempFiles(),
        t.tempBytes() / 1e6,
        t.outcome());
    return t;
  }

  /**
   * The database's own load during a run: client backends (polled; the poller's own excluded) and
   * the temporary files of every database ({@code pg_stat_database}, read before and after).
   */
  private static final class DbLoad implements AutoCloseable {
    private final Connection connection;
    private final long[] tempBefore;
    private final Thread poller;
    private volatile boolean running = true;
    private volatile int peakBackends;
    private long[] tempAfter;

    private DbLoad(Connection connection, long intervalMillis) throws SQLException {
      this.connection = connection;
      this.tempBefore = temp();
      this.poller = new Thread(() -> poll(intervalMillis), "db-load");
      poller.setDaemon(true);
      poller.start();
    }

    static DbLoad start(EmbeddedPostgresServer pg, String database, long intervalMillis)
        throws SQLException {
      return new DbLoad(pg.connect(database), intervalMillis);
    }

    private void poll(long intervalMillis) {
      while (running) {
        try (Statement s = connection.createStatement();
            ResultSet rs =
                s.executeQuery(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                        + " AND pid <> pg_backend_pid()")) {
          rs.next();
          peakBackends = Math.max(peakBackends, rs.getInt(1));
          Thread.sleep(intervalMillis);
        } catch (SQLException | InterruptedException e) {
          return;
        }
      }
    }

    private long[] temp() throws SQLException {
      try (Statement s = connection.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT coalesce(sum(temp_files), 0), coalesce(sum(temp_bytes), 0)"
                      + " FROM pg_stat_database")) {
        rs.next();
        return new long[] {rs.getLong(1), rs.getLong(2)};
      }
    }

    int peakBackends() {
      return peakBackends;
    }

    long tempFiles() {
      return tempAfter[0] - tempBefore[0];
    }

    long tempBytes() {
      return tempAfter[1] - tempBefore[1];
    }

    @Override
    public void close() throws Exception {
      running = false;
      poller.interrupt();
      poller.join();
      // Backends report their statistics when they end, which may be just after the run.
      Thread.sleep(1_000);
      tempAfter = temp();
      connection.close();
    }
  }

  private void startCluster() throws Exception {
    cluster = ArchiveSuite.startCluster(settings, work.resolve("flink"), password);
  }

  private void stopCluster() {
    FlinkSessionCluster c = cluster;
    cluster = null;
    ArchiveSuite.stopQuietly(c);
    try {
      FileTrees.delete(work.resolve("flink"));
    } catch (IOException e) {
      System.err.println("could not remove the Flink cluster's files: " + e.getMessage());
    }
  }

  private List<String> psqlGzip(String table, Path out) {
    return List.of(
        "bash",
        "-c",
        "set -o pipefail; psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "
            + pg.port()
            + " -U postgres -d postgres -c \"\\copy (SELECT row_to_json(t) FROM "
            + table
            + " t) TO STDOUT\" | gzip -6 > '"
            + out
            + "'");
  }

  /** hose archive as deployed: the job jar on DirectRunner; hose.jar submits it to Flink. */
  private List<String> archive(Path out, boolean onFlink, String tables) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--jdbcUrl=" + pg.jdbcUrl("postgres"),
                "--username=postgres",
                "--passwordEnv=" + PASSWORD_ENV,
                "--tables=" + tables,
                "--output=" + out));
    if (onFlink) {
      args.addAll(
          List.of(
              "--runner=FlinkRunner",
              "--runnerConfig="
                  + Checkout.root().resolve("runner-configs/flink-cluster.properties"),
              "--flinkMaster=" + cluster.flinkMaster(),
              "--parallelism=" + settings.taskManagers()));
    }
    return hose("archive", args.toArray(String[]::new));
  }

  private List<String> hose(String command, String... args) {
    List<String> all = new ArrayList<>(List.of(command));
    all.addAll(List.of(args));
    List<String> cmd =
        Child.java(settings.heap(), "-jar", HoseProcess.jarFor(all).toAbsolutePath().toString());
    cmd.addAll(all);
    return cmd;
  }

  /** The rows of every manifest under {@code out}. */
  private static long rowCount(Path out) throws IOException {
    long rows = 0;
    for (Path m : manifestFiles(out)) {
      rows += JSON.readTree(m.toFile()).path("rowCount").asLong();
    }
    return rows;
  }

  private static int manifests(Path out) throws IOException {
    return manifestFiles(out).size();
  }

  private static List<Path> manifestFiles(Path out) throws IOException {
    if (!Files.isDirectory(out)) {
      return List.of();
    }
    try (Stream<Path> dirs = Files.list(out)) {
      return dirs.map(d -> d.resolve("_manifest.json")).filter(Files::isRegularFile).toList();
    }
  }

  private static long fileCount(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toFile().length() > 0).count();
    }
  }

  private long count(String database, String table) throws SQLException {
    try (Connection c = pg.connect(database);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private String size(String table) throws SQLException {
    try (Connection c = pg.connect("postgres");
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT pg_size_pretty(pg_total_relation_size('" + table + "'))")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private Path log(String tool, long rows) {
    return settings
        .out()
        .resolve("logs")
        .resolve("scale-" + tool.toLowerCase().replaceAll("[^a-z0-9]+", "-") + "-" + rows + ".log");
  }

  /** The scale targets of issue 21, each met or not; other runs as references. */
  static List<String> targets(List<Timing> timings) {
    List<String> lines = new ArrayList<>();
    List<Long> sizes =
        timings.stream()
            .filter(t -> t.scenario().equals(TABLE))
            .map(Timing::rows)
            .distinct()
            .sorted()
            .toList();
    if (sizes.size() >= 2) {
      long small = sizes.get(0);
      long large = sizes.get(sizes.size() - 1);
      for (String tool : List.of(DIRECT, FLINK)) {
        Timing s = find(timings, TABLE, tool, small);
        Timing l = find(timings, TABLE, tool, large);
        if (s == null || l == null || !s.completed() || !l.completed()) {
          lines.add(
              String.format(
                  "%s at %,d rows: **NOT met** (%s)",
                  tool, large, l == null ? "not run" : l.outcome()));
          continue;
        }
        double perRow = (l.seconds() / large) / (s.seconds() / small);
        double rss = l.peakRssMb() / s.peakRssMb();
        lines.add(
            String.format(
                "%s at %,d rows: wall time per row within %.0f%% of the %,d-row run's: **%s**"
                    + " (%+.1f%%: %,.0f against %,.0f rows/s); peak RSS%s within %.0f%%: **%s**"
                    + " (%.0f against %.0f MB, %+.1f%%)",
                tool,
                large,
                (PER_ROW_TARGET - 1) * 100,
                small,
                perRow <= PER_ROW_TARGET ? "met" : "NOT met",
                (perRow - 1) * 100,
                l.rowsPerSecond(),
                s.rowsPerSecond(),
                tool.equals(FLINK) ? " (largest TaskManager)" : "",
                (RSS_TARGET - 1) * 100,
                rss <= RSS_TARGET ? "met" : "NOT met",
                l.peakRssMb(),
                s.peakRssMb(),
                (rss - 1) * 100));
      }
      for (String tool : List.of(VERIFY, RESTORE)) {
        Timing s = find(timings, TABLE, tool, small);
        Timing l = find(timings, TABLE, tool, large);
        if (s != null && l != null && s.completed() && l.completed()) {
          lines.add(
              String.format(
                  "%s at %,d rows: %,.0f rows/s against %,.0f at %,d rows; peak RSS %.0f against"
                      + " %.0f MB (reference)",
                  tool,
                  large,
                  l.rowsPerSecond(),
                  s.rowsPerSecond(),
                  small,
                  l.peakRssMb(),
                  s.peakRssMb()));
        }
      }
    }
    Timing loop = timings.stream().filter(t -> t.tool().equals(PSQL_LOOP)).findFirst().orElse(null);
    Timing many =
        timings.stream()
            .filter(t -> t.scenario().equals(TABLES) && t.tool().equals(DIRECT))
            .findFirst()
            .orElse(null);
    if (loop != null && many != null) {
      double r = many.seconds() / loop.seconds();
      boolean ok = many.completed() && loop.completed() && r <= TABLES_TARGET;
      lines.add(
          String.format(
              "hose archive of %,d tables (%,d rows) in one run ≤ %s× a psql | gzip -6 loop over"
                  + " them: **%s** (%.2f×: %.0f against %.0f s%s)",
              many.tables(),
              many.rows(),
              String.valueOf(TABLES_TARGET),
              ok ? "met" : "NOT met",
              r,
              many.seconds(),
              loop.seconds(),
              many.completed() ? "" : "; " + many.outcome()));
    }
    return lines;
  }

  private static Timing find(List<Timing> timings, String scenario, String tool, long rows) {
    return timings.stream()
        .filter(t -> t.scenario().equals(scenario) && t.tool().equals(tool) && t.rows() == rows)
        .findFirst()
        .orElse(null);
  }

  /** The timings as a Markdown table with the targets under it. */
  static String markdown(List<Timing> timings, String when) {
    StringBuilder md =
        new StringBuilder(
            "<!-- Written by dev.hose.bench.Benchmarks --suites=scale; --publish puts it in"
                + " docs/benchmarks.md between the bench-scale markers. -->\n");
    md.append("Scale, ")
        .append(when)
        .append(", embedded PostgreSQL 16; peak RSS is the hose JVM's on DirectRunner and the")
        .append(" largest TaskManager's on Flink; backends and temporary files are the")
        .append(" database's:\n\n");
    md.append(
        "| scenario | tool | rows | tables | wall s | rows/s | peak RSS MB | peak backends |"
            + " temp files (MB) | outcome |\n"
            + "|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (Timing t : timings) {
      md.append(
          String.format(
              "| %s | %s | %,d | %,d | %.1f | %,.0f | %.0f | %d | %d (%.0f) | %s |%n",
              t.scenario(),
              t.tool().replace("|", "\\|"),
              t.rows(),
              t.tables(),
              t.seconds(),
              t.rowsPerSecond(),
              t.peakRssMb(),
              t.peakBackends(),
              t.tempFiles(),
              t.tempBytes() / 1e6,
              t.outcome()));
    }
    md.append("\nTargets:\n\n");
    targets(timings).forEach(l -> md.append("- ").append(l).append('\n'));
    return md.toString();
  }

  private void writeCsv(List<Timing> timings) throws IOException {
    StringBuilder csv =
        new StringBuilder(
            "scenario,tool,rows,tables,wall_s,rows_per_s,peak_rss_mb,peak_backends,temp_files,"
                + "temp_bytes,outcome\n");
    for (Timing t : timings) {
      csv.append(
          String.format(
              "%s,%s,%d,%d,%.2f,%.0f,%.0f,%d,%d,%d,%s%n",
              t.scenario(),
              t.tool().replace(",", ";"),
              t.rows(),
              t.tables(),
              t.seconds(),
              t.rowsPerSecond(),
              t.peakRssMb(),
              t.peakBackends(),
              t.tempFiles(),
              t.tempBytes(),
              t.outcome().replace(',', ';')));
    }
    Files.createDirectories(settings.out());
    Files.writeString(settings.out().resolve("scale.csv"), csv.toString());
  }
}
