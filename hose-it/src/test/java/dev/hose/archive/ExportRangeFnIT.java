package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.common.CommandLine;
import dev.hose.common.JobJar;
import dev.hose.support.JsonLines;
import dev.hose.support.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * ExportRangeFn against a real PostgreSQL: each range of the launcher's exported snapshot becomes
 * one temp shard holding exactly that snapshot's rows, whatever commits after it was taken.
 */
@ExtendWith(TestPipelineExtension.class)
class ExportRangeFnIT {
  private static final String RUN = "20261203T000000Z-exportfn";
  private static TestServers servers;

  @TempDir static Path serversDir;
  @TempDir Path out;

  @BeforeAll
  static void start() throws Exception {
    servers = TestServers.start(serversDir);
  }

  @AfterAll
  static void stop() throws Exception {
    servers.close();
  }

  @Test
  void eachRangeIsOneTempShardOfTheSnapshotsRows(TestPipeline pipeline) throws Exception {
    servers.sql(
        "DROP TABLE IF EXISTS public.fn_export",
        "CREATE TABLE public.fn_export (id bigint PRIMARY KEY, note text)",
        "INSERT INTO public.fn_export SELECT g, 'row ' || g FROM generate_series(1, 5000) g");
    ArchiveOptions options = options("public.fn_export");
    ArchiveFiles files = new ArchiveFiles(out.toString(), RUN);
    JdbcIO.DataSourceConfiguration source = ArchivePipeline.dataSource(options);
    try (LauncherSnapshot snapshot = LauncherSnapshot.open(source, options)) {
      LauncherSnapshot.Planned planned = snapshot.plan(settings(options), options, RUN);
      assertTrue(planned.ranges().size() >= 4, "ranges: " + planned.ranges().size());
      // Committed after the snapshot: no range may see it.
      servers.sql("DELETE FROM public.fn_export WHERE id % 2 = 0");

      PCollection<ShardResult> shards = export(pipeline, source, files, planned, options);
      int ranges = planned.ranges().size();
      PAssert.that(shards)
          .satisfies(
              results -> {
                List<ShardResult> all = new ArrayList<>();
                results.forEach(all::add);
                assertEquals(ranges, all.size());
                assertEquals(5000, all.stream().mapToLong(ShardResult::rows).sum());
                for (ShardResult r : all) {
                  assertTrue(r.snapshotImported(), r.toString());
                  checkShard(r);
                }
                return null;
              });
      pipeline.run().waitUntilFinish();
    }
  }

  @Test
  void aRangeWhoseSnapshotIsGoneFailsAndLeavesNoTempShard(TestPipeline pipeline) throws Exception {
    servers.sql(
        "DROP TABLE IF EXISTS public.fn_gone",
        "CREATE TABLE public.fn_gone (id bigint PRIMARY KEY)",
        "INSERT INTO public.fn_gone SELECT g FROM generate_series(1, 100) g");
    ArchiveOptions options = options("public.fn_gone");
    ArchiveFiles files = new ArchiveFiles(out.toString(), RUN);
    JdbcIO.DataSourceConfiguration source = ArchivePipeline.dataSource(options);
    LauncherSnapshot.Planned planned;
    try (LauncherSnapshot snapshot = LauncherSnapshot.open(source, options)) {
      planned = snapshot.plan(settings(options), options, RUN);
    }
    export(pipeline, source, files, planned, options);

    Exception e = assertThrows(Exception.class, () -> pipeline.run().waitUntilFinish());

    assertTrue(String.valueOf(e.getMessage()).contains("snapshot"), String.valueOf(e));
    try (Stream<Path> left = Files.walk(out)) {
      assertEquals(List.of(), left.filter(Files::isRegularFile).toList());
    }
  }

  private static PCollection<ShardResult> export(
      TestPipeline pipeline,
      JdbcIO.DataSourceConfiguration source,
      ArchiveFiles files,
      LauncherSnapshot.Planned planned,
      ArchiveOptions options) {
    return pipeline
        .apply(Create.of(planned.ranges()).withCoder(SerializableCoder.of(ExportRange.class)))
        .apply(
            ParDo.of(
                new ExportRangeFn(
                    source,
                    planned.plans(),
                    files,
                    ExportSettings.of(options, planned.snapshotId(), planned.standby()))))
        .setCoder(SerializableCoder.of(ShardResult.class));
  }

  /** The temp shard holds the range's rows, with the size and sha256 the result reports. */
  private static void checkShard(ShardResult r) {
    try {
      Path shard = Path.of(r.tempPath());
      byte[] bytes = Files.readAllBytes(shard);
      assertEquals(r.compressedBytes(), bytes.length);
      assertEquals(
          r.sha256(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
      assertEquals(r.rows(), JsonLines.read(shard).size());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static ArchiveOptions options(String table) {
    List<String> args = new ArrayList<>(servers.archiveArgs());
    args.add("--tables=" + table);
    args.add("--output=/unused");
    args.add("--maxRowsPerBundle=1000");
    return CommandLine.parse(args.toArray(new String[0]), ArchiveOptions.class, JobJar.ALL);
  }

  private static Map<TableRef, TableSettings> settings(ArchiveOptions options) {
    return TableSettings.of(options, TableRef.parseList(options.getTables()));
  }
}
