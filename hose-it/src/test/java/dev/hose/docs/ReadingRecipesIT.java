package dev.hose.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hose.embedded.DemoData;
import dev.hose.support.ArchiveRun;
import dev.hose.support.Readers;
import dev.hose.support.TestServers;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The pyarrow and DuckDB recipes of docs/reading.md, run for real with the venv's pinned packages,
 * over a local directory and over S3 (S3Proxy), for each format and compression: every recipe reads
 * the manifest's row count, the exact sum of a numeric(12,2) column, and a timestamptz column's
 * earliest and latest instants, as PostgreSQL has them.
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
      DemoData.seed(c, 5_000);
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
            "--maxRowsPerBundle=2000");
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
