package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hose.support.ArchiveRun;
import dev.hose.support.BenchTable;
import dev.hose.support.Measure;
import dev.hose.support.TestServers;
import dev.hose.support.faults.Forked;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive of a table several times larger than the heap completes in a forked JVM: rows are
 * never collected, whatever the table's size. Runs the real jar, with the password from an
 * environment variable, to S3.
 *
 * <p>The heap is what the README's estimate asks for these options (~84 MB: 2 writers, 2,000 rows
 * of ~0.9 KB per fetch, 5 MiB upload buffers) and a little more; the run must log that it fits. (A
 * 64 MB heap, below the estimate, passed here but ran out on a CI machine.)
 */
class ArchiveMemoryIT {
  private static final long ROWS = 560_000; // ~450 MB of JSON
  private static final int HEAP_MB = 96;

  @TempDir Path dir;

  @Test
  @Measure
  void tableSeveralTimesTheHeapCompletes() throws Exception {
    try (TestServers servers = TestServers.start(dir)) {
      try (Connection c = servers.connect()) {
        BenchTable.create(c, "big", ROWS);
      }
      for (String compression : List.of("gzip", "zstd")) {
        archiveWithinTheHeap(servers, "jsonl", compression);
      }
      archiveWithinTheHeap(servers, "parquet", "zstd");
    }
  }

  /**
   * One run of the real jar with that format and compression, in the heap the estimate asks for
   * (Parquet: 4 MiB row groups, so that two writers' row groups fit the same heap).
   */
  private void archiveWithinTheHeap(TestServers servers, String format, String compression)
      throws Exception {
    String prefix = "memory-" + format + "-" + compression + "/";
    Forked.Ended r =
        Forked.run(
            List.of("-Xmx" + HEAP_MB + "m"),
            List.of(
                "archive",
                "--jdbcUrl=" + servers.jdbcUrl(),
                "--username=postgres",
                "--passwordEnv=HOSE_PG_PASSWORD",
                "--tables=public.big",
                "--output=s3://hose/" + prefix,
                "--format=" + format,
                "--compression=" + compression,
                "--parquetRowGroupBytes=" + (4 << 20),
                "--awsRegion=us-east-1",
                "--endpoint=" + servers.s3.endpoint(),
                "--maxRowsPerBundle=50000",
                "--s3UploadBufferSizeBytes=5242880"),
            servers.environment(),
            dir.resolve("run-" + format + "-" + compression),
            600);
    assertEquals(0, r.exit(), r.stderr());
    JsonNode m = ArchiveRun.JSON.readTree(servers.object(prefix + "public.big/_manifest.json"));
    assertEquals(ROWS, m.get("rowCount").asLong());
    assertEquals(compression, m.get("compression").asText());
    assertEquals(format, m.get("shardFormat").asText());
    long jsonMb = m.get("jsonBytes").asLong() >> 20;
    assertTrue(jsonMb > 4 * HEAP_MB, "table is several times the heap: " + jsonMb + " MB");
    assertTrue(!r.stderr().contains(TestServers.PASSWORD), "no password in the log");
    assertTrue(
        r.stderr().contains("memory: ~") && r.stderr().contains("this JVM has " + HEAP_MB + " MB"),
        "the heap estimate fits and is logged: " + r.stderr());
    System.out.printf(
        "archived %d MB of rows (%s %s) with -Xmx%dm: peak RSS %d MB%n",
        jsonMb, format, compression, HEAP_MB, r.peakRssKb() >> 10);
  }
}
