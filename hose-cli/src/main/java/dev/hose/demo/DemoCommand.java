package dev.hose.demo;

import dev.hose.archive.ArchiveOptions;
import dev.hose.archive.ArchivePipeline;
import dev.hose.common.Command;
import dev.hose.common.CommandLine;
import dev.hose.common.JobJar;
import dev.hose.common.UserError;
import dev.hose.embedded.DemoData;
import dev.hose.embedded.EmbeddedPostgresServer;
import dev.hose.embedded.Sandbox;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * {@code hose demo [--dir=DIR] [--rows=N]}: the embedded default end to end. Starts a real
 * PostgreSQL server and an S3 server, creates sample tables, archives them to {@code s3://hose/} on
 * DirectRunner, and shows where the output is and how to read it; then runs detect on a few
 * generated videos served over local HTTP and prints the detections.
 */
public final class DemoCommand implements Command {
  private final PrintStream out;

  public DemoCommand() {
    this(System.out);
  }

  DemoCommand(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "demo";
  }

  @Override
  public String summary() {
    return "embedded PostgreSQL + S3 server: archive sample tables, detect on generated videos";
  }

  /*
   * Steps:
   * 1) Split the demo's own options (--dir, --rows) from archive's and Beam's.
   * 2) Start PostgreSQL and the S3 server, and seed the sample tables.
   * 3) Archive them to s3://hose/demo/archive/ and show where the output is.
   * 4) Run detect on generated videos.
   */
  @Override
  public int run(String[] args) throws Exception {
    List<String> own = new ArrayList<>();
    List<String> extra = new ArrayList<>();
    for (String arg : args) {
      if (!arg.startsWith("--")) {
        throw new UserError("demo: unexpected argument " + arg);
      }
      // --dir and --rows are the demo's; the rest are archive's and Beam's, e.g.
      // --runnerConfig=runner-configs/flink-local.properties
      (arg.startsWith("--dir=") || arg.startsWith("--rows=") ? own : extra).add(arg);
    }
    SandboxOptions options = SandboxCommand.parse(own.toArray(new String[0]));
    Path dir =
        Path.of(options.getDir() == null ? "target/demo" : options.getDir()).toAbsolutePath();
    long rows = CommandLine.isGiven(args, "rows") ? options.getRows() : 200_000;
    out.println("hose demo: starting embedded PostgreSQL and S3 server under " + dir);
    try (Sandbox sandbox = Sandbox.start(dir, 0)) {
      try (Connection c = sandbox.postgres.connect("postgres")) {
        DemoData.seed(c, rows);
      }
      System.setProperty("aws.accessKeyId", Sandbox.ACCESS_KEY);
      System.setProperty("aws.secretAccessKey", Sandbox.SECRET_KEY);
      showArchive(sandbox, archive(sandbox, rows, extra));
    }
    out.println();
    out.println("hose demo: detect on generated videos served over local HTTP");
    DetectDemo.run(dir.resolve("detect"), out);
    out.println();
    out.println("hose demo: done; the servers have stopped and the data stays under " + dir + ".");
    return 0;
  }

  /** Archives the sample tables on the sandbox's servers, with the user's extra options. */
  private List<ArchivePipeline.TableSummary> archive(Sandbox sandbox, long rows, List<String> extra)
      throws Exception {
    String tables = "public.orders,sales.Order Items,public.type_zoo";
    List<String> archiveArgs =
        new ArrayList<>(
            List.of(
                "--jdbcUrl=" + sandbox.postgres.jdbcUrl("postgres"),
                "--username=" + EmbeddedPostgresServer.USER,
                "--passwordFile=" + sandbox.passwordFile,
                "--tables=" + tables,
                "--output=s3://" + Sandbox.BUCKET + "/demo/archive/",
                "--maxRowsPerBundle=50000",
                "--awsRegion=us-east-1",
                "--endpoint=" + sandbox.s3.endpoint(),
                "--overwrite"));
    archiveArgs.addAll(extra);
    out.printf(
        "hose demo: archiving %s (%,d orders) to s3://%s/demo/archive/%n",
        tables, rows, Sandbox.BUCKET);
    long start = System.nanoTime();
    List<ArchivePipeline.TableSummary> summaries =
        ArchivePipeline.run(
            CommandLine.parse(
                archiveArgs.toArray(new String[0]), ArchiveOptions.class, JobJar.ALL));
    out.printf("%nhose demo: archived in %.1f s%n", (System.nanoTime() - start) / 1e9);
    for (ArchivePipeline.TableSummary s : summaries) {
      out.printf(
          "  %-22s %,9d rows  %3d shards  %8.1f MB JSON -> %6.1f MB %s%n",
          s.table(),
          s.rows(),
          s.shards(),
          s.jsonBytes() / 1e6,
          s.compressedBytes() / 1e6,
          s.codec());
    }
    return summaries;
  }

  /** Where the archive is on disk, how to read it, and its first rows. */
  private void showArchive(Sandbox sandbox, List<ArchivePipeline.TableSummary> summaries)
      throws IOException {
    Path tableDir = sandbox.objectPath("demo/archive/public.orders");
    Path firstShard =
        tableDir.resolve(
            "part-00000-of-" + String.format("%05d", summaries.get(0).shards()) + ".jsonl.gz");
    out.println();
    out.println("The S3 server keeps objects as files, so you can read them directly:");
    out.println("  ls '" + sandbox.objectPath("demo/archive") + "'");
    out.println("  cat '" + tableDir.resolve("_manifest.json") + "'");
    out.println("  zcat '" + firstShard + "' | head -2");
    out.println("First rows of " + firstShard.getFileName() + ":");
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(firstShard)), StandardCharsets.UTF_8))) {
      for (int i = 0; i < 2; i++) {
        out.println("  " + r.readLine());
      }
    }
  }
}
