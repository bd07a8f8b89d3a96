package dev.hose.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hose.embedded.DemoData;
import dev.hose.support.ArchiveRun;
import dev.hose.support.Readers;
import dev.hose.support.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.Inflater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The pyarrow and DuckDB recipes of docs/reading.md, run for real with the venv's pinned packages,
 * over a local directory and over S3 (S3Proxy), for each format and compression: every recipe reads
 * the manifest's row count, the exact sum of a numeric(12,2) column, and a timestamptz column's
 * earliest and latest instants, as PostgreSQL has them. The gzip shards hold more than one gzip
 * member each where libdeflate writes them (docs/archive.md#compression), as CI's do.
 */
class ReadingRecipesIT {
  private static final String TABLE = "public.orders";
  @TempDir static Path dir;
  static TestServers servers;
  static Map<String, String> expected;

  @BeforeAll
  static void start() throws Exception {
    servers = TestServers.start(dir);
    try (Connection c = servers.connect()) {
      DemoData.seed(c, 20_000);
    }
    for (String[] f :
        List.of(
            new String[] {"jsonl", "gzip"},
            new String[] {"jsonl", "zstd"},
            new String[] {"parquet", "zstd"},
            new String[] {"parquet", "snappy"})) {
      for (String output :
          List.of(
              dir.resolve("local").resolve(f[0] + "-" + f[1]) + "/",
              "s3://" + TestServers.BUCKET + "/recipes/" + f[0] + "-" + f[1] + "/")) {
        ArchiveRun.archive(
            servers,
            "--tables=" + TABLE,
            "--output=" + output,
            "--format=" + f[0],
            "--compression=" + f[1],
            "--maxRowsPerBundle=8000"); // ~1.5 MB of JSON a shard: two gzip members
      }
    }
    try (Connection c = servers.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*), sum(amount)::text,"
                    + " to_char(min(placed_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS'),"
                    + " to_char(max(placed_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
                    + " FROM "
                    + TABLE)) {
      rs.next();
      expected =
          Map.of(
              "rows",
              rs.getString(1),
              "sum",
              rs.getString(2),
              "min",
              rs.getString(3) + "+00:00",
              "max",
              rs.getString(4) + "+00:00");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    servers.close();
  }

  @Test
  void gzipShardsOfMoreThanOneMebibyteAreSeveralMembersOnCi() throws Exception {
    List<Integer> members = new ArrayList<>();
    try (Stream<Path> shards =
        Files.list(dir.resolve("local").resolve("jsonl-gzip").resolve(TABLE))) {
      for (Path shard : shards.filter(p -> p.toString().endsWith(".jsonl.gz")).toList()) {
        members.add(gzipMembers(Files.readAllBytes(shard)));
      }
    }
    assertEquals(3, members.size(), "shards of 8,000, 8,000 and 4,000 rows");
    if ("true".equals(System.getenv("CI"))) { // .ci/run installs libdeflate0
      assertTrue(members.stream().anyMatch(m -> m >= 2), "members per shard: " + members);
    }
  }

  /** The gzip members one after another in {@code file} (each with a 10-byte header, FLG 0). */
  private static int gzipMembers(byte[] file) throws Exception {
    int count = 0;
    for (int at = 0; at < file.length; count++) {
      assertEquals(0x8b1f, (file[at] & 0xff) | (file[at + 1] & 0xff) << 8, "gzip magic at " + at);
      assertEquals(0, file[at + 3], "no optional header fields");
      Inflater inflater = new Inflater(true);
      inflater.setInput(file, at + 10, file.length - at - 10);
      byte[] sink = new byte[1 << 16];
      while (!inflater.finished()) {
        inflater.inflate(sink);
      }
      at += 10 + (int) inflater.getBytesRead() + 8;
      inflater.end();
    }
    return count;
  }

  @ParameterizedTest
  @CsvSource({
    "jsonl-gzip, local",
    "jsonl-gzip, s3",
    "jsonl-zstd, local",
    "jsonl-zstd, s3",
    "parquet-zstd, local",
    "parquet-zstd, s3",
    "parquet-snappy, local",
    "parquet-snappy, s3"
  })
  void pyarrowAndDuckDbReadExactlyWhatPostgresHolds(String archive, String where) throws Exception {
    String tableDir =
        where.equals("local")
            ? dir.resolve("local").resolve(archive).resolve(TABLE).toString()
            : "s3://" + TestServers.BUCKET + "/recipes/" + archive + "/" + TABLE + "/";
    JsonNode r =
        Readers.recipes(
            tableDir,
            "amount",
            "placed_at",
            Map.of(
                "AWS_ENDPOINT_URL", servers.s3.endpoint().toString(),
                "AWS_ACCESS_KEY_ID", TestServers.ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY", TestServers.SECRET_KEY));
    assertEquals(expected.get("rows"), r.path("manifestRows").asText(), "the manifest's rows");
    for (String reader : List.of("pyarrow", "duckdb")) {
      JsonNode got = r.path(reader);
      String at = archive + " " + where + " " + reader;
      assertEquals(expected.get("rows"), got.path("rows").asText(), at + ": rows");
      assertEquals(expected.get("sum"), got.path("sum").asText(), at + ": sum(amount), exact");
      assertEquals(expected.get("min"), got.path("min").asText(), at + ": min(placed_at)");
      assertEquals(expected.get("max"), got.path("max").asText(), at + ": max(placed_at)");
    }
    assertEquals("2.0.1", r.at("/versions/duckdb").asText());
    assertEquals("25.0.1", r.at("/versions/pyarrow").asText());
  }
}
