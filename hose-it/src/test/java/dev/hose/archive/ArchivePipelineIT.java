package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hose.common.Cli;
import dev.hose.support.ArchiveRun;
import dev.hose.support.JsonLines;
import dev.hose.support.TestServers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The archive job end to end against a real PostgreSQL server and a real S3 server. */
class ArchivePipelineIT {
  @TempDir static Path dir;
  static TestServers servers;

  @BeforeAll
  static void start() throws Exception {
    servers = TestServers.start(dir);
    servers.sql(
        "CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL, kind text)",
        "INSERT INTO events SELECT g, timestamptz '2026-11-20' + g * interval '1 minute',"
            + " 'k' || (g % 5) FROM generate_series(1, 10000) g",
        "CREATE TABLE nullable_keys (k int, v text)",
        "INSERT INTO nullable_keys SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE g END, 'v' || g"
            + " FROM generate_series(1, 1000) g",
        "CREATE TABLE empty_table (id int PRIMARY KEY, v text)",
        "CREATE TABLE no_pk (a text, b int)",
        "INSERT INTO no_pk SELECT md5(g::text), g FROM generate_series(1, 5000) g",
        "CREATE SCHEMA \"Sales Ünït\"",
        "CREATE TABLE \"Sales Ünït\".\"Order Items\" (\"Item Id\" int PRIMARY KEY, \"Größe\" text)",
        "INSERT INTO \"Sales Ünït\".\"Order Items\" VALUES (1, 'groß'), (2, 'klein')",
        "CREATE SEQUENCE hose_seq",
        "ANALYZE");
  }

  @AfterAll
  static void stop() throws Exception {
    servers.close();
  }

  @Test
  void tablesOfOneRunTakeTheirOwnSettingsAndTheSummaryNamesWhatWasWritten() throws Exception {
    Path summary = dir.resolve("summary.json");
    var summaries =
        ArchiveRun.archive(
            servers,
            "--tables=events, \"Sales Ünït\".\"Order Items\",no_pk",
            "--output=s3://hose/settings/",
            "--incrementalColumn=at",
            "--since=2026-11-24T00:00:00Z",
            "--until=2026-11-25T00:00:00Z",
            "--tableOptions={\"no_pk\": {\"incrementalColumn\": null, \"where\": \"b <= 100\"},"
                + " \"\\\"Sales Ünït\\\".\\\"Order Items\\\"\": {\"incrementalColumn\": null},"
                + " \"public.events\": {\"maxRowsPerBundle\": 500}}",
            "--summaryFile=" + summary);
    assertEquals(List.of(1440L, 2L, 100L), summaries.stream().map(s -> s.rows()).toList());
    JsonNode m =
        ArchiveRun.JSON.readTree(servers.object("settings/Sales Ünït.Order Items/_manifest.json"));
    assertEquals(1, m.path("shards").size());
    assertEquals(3, summaries.get(0).shards(), "maxRowsPerBundle=500 for events only");

    JsonNode written = ArchiveRun.JSON.readTree(summary.toFile());
    assertEquals(summaries.get(0).runId(), written.path("runId").asText());
    assertEquals(3, written.path("tables").size());
    JsonNode items = written.path("tables").get(1);
    assertEquals("\"Sales Ünït\".\"Order Items\"", items.path("spec").asText());
    assertEquals("Sales Ünït.Order Items", items.path("table").asText());
    assertEquals("s3://hose/settings/Sales Ünït.Order Items/", items.path("dir").asText());
    assertEquals(
        "s3://hose/settings/Sales Ünït.Order Items/_manifest.json",
        items.path("manifest").asText());
    assertEquals("public.events", written.path("tables").get(0).path("table").asText());
    assertEquals(
        m.path("snapshot").path("id").asText(), written.path("snapshot").asText(), "one snapshot");
  }

  @Test
  void badTableOptionsGetOneLine() {
    String out = "--output=s3://hose/bad-settings/";
    assertBad(
        cli("--tables=events", "--tableOptions={not json", out), "--tableOptions is not JSON");
    assertBad(
        cli("--tables=events", "--tableOptions={\"orders\": {}}", out),
        "--tableOptions names orders, which --tables does not list");
    assertBad(
        cli("--tables=events", "--tableOptions={\"events\": {\"partition\": \"id\"}}", out),
        "unknown setting partition");
    assertBad(
        cli("--tables=events", "--since=2026-01-01", out),
        "--since/--until need --incrementalColumn");
  }

  /**
   * {@code {table}} in --output: each table's directory is named by it, so that one table's nights
   * sit side by side (dt=…) as query engines partition them; each table keeps its temp shards in
   * its own {@code _hose_temp/}, so a night's run never touches another night's.
   */
  @Test
  void anOutputWithTableNamesEachTablesDirectoryAndItsNightsNeverMeet() throws Exception {
    String lake = "s3://hose/lake/raw/{table}/dt=";
    for (String night : List.of("2026-11-24", "2026-11-25")) {
      var summaries =
          ArchiveRun.archive(
              servers,
              "--tables=events,no_pk",
              "--output=" + lake + night + "/",
              "--compression=zstd",
              "--maxRowsPerBundle=4000");
      assertEquals("s3://hose/lake/raw/public.events/dt=" + night + "/", summaries.get(0).dir());
      assertEquals("s3://hose/lake/raw/public.no_pk/dt=" + night + "/", summaries.get(1).dir());
    }
    List<String> keys = servers.keys("lake/");
    for (String key : keys) {
      assertTrue(
          key.matches(
              "lake/raw/public\\.(events|no_pk)/dt=2026-11-2[45]/"
                  + "(part-\\d{5}-of-\\d{5}\\.jsonl\\.zst|_manifest\\.json)"),
          key);
    }
    assertEquals(4, keys.stream().filter(k -> k.endsWith("/_manifest.json")).count());
    assertEquals(0, servers.pendingUploads());

    // A killed run of the first night left a temp shard in that table's _hose_temp/: verify
    // names it, the other night is clean, and the night's next run sweeps it.
    String night1 = "lake/raw/public.events/dt=2026-11-24/";
    String debris =
        night1 + "_hose_temp/20261124T000000Z-0dead000/part-00000-of-00003.jsonl.zst.a1";
    servers
        .s3Client()
        .putObject(
            b -> b.bucket("hose").key(debris),
            software.amazon.awssdk.core.sync.RequestBody.fromString("partial"));
    assertTrue(verify("s3://hose/" + night1).contains("temp debris _hose_temp/"));
    assertEquals("", verify("s3://hose/lake/raw/public.events/dt=2026-11-25/"));
    assertEquals("", verify(lake + "2026-11-25/", "--tables=events,no_pk"), "as archive spells it");
    ArchiveRun.archive(
        servers,
        "--tables=events",
        "--output=" + lake + "2026-11-24/",
        "--compression=zstd",
        "--overwrite");
    assertFalse(servers.keys("lake/").contains(debris), "swept by the night's next run");
    assertEquals("", verify("s3://hose/" + night1));

    Path local = dir.resolve("local-lake");
    ArchiveRun.archive(servers, "--tables=events", "--output=" + local + "/{table}/dt=2026-11-24/");
    Path events = local.resolve("public.events/dt=2026-11-24");
    assertEquals(10000, ArchiveRun.manifest(events).path("rowCount").asLong());
    assertFalse(Files.exists(events.resolve("_hose_temp")), "no temp directory left");
  }

  /** verify's problems for one input, one per line ("" when there are none). */
  private static String verify(String input, String... tables) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--input=" + input,
                "--awsRegion=us-east-1",
                "--endpoint=" + servers.s3.endpoint()));
    args.addAll(List.of(tables));
    var report =
        dev.hose.restore.VerifyPipeline.run(
            dev.hose.common.CommandLine.parse(
                args.toArray(new String[0]),
                dev.hose.restore.VerifyOptions.class,
                dev.hose.common.JobJar.ALL));
    if (tables.length > 0) {
      assertEquals(2, report.tables().size(), report.toString());
    }
    return String.join("\n", report.tables().stream().flatMap(t -> t.problems().stream()).toList());
  }

  @Test
  void archivesSeveralTablesToS3WithManifestsAndCompleteShards() throws Exception {
    var summaries =
        ArchiveRun.archive(
            servers,
            "--tables=public.events,public.no_pk,Sales Ünït.Order Items",
            "--output=s3://hose/multi/",
            "--maxRowsPerBundle=1500");
    assertEquals(3, summaries.size());
    List<String> keys = servers.keys("multi/");
    assertTrue(keys.contains("multi/Sales Ünït.Order Items/_manifest.json"), keys.toString());
    assertTrue(keys.stream().noneMatch(k -> k.contains("_hose_temp")), keys.toString());
    assertEquals(0, servers.pendingUploads());

    JsonNode m = ArchiveRun.JSON.readTree(servers.object("multi/public.events/_manifest.json"));
    assertEquals(10000, m.get("rowCount").asLong());
    assertEquals("key", m.at("/partitioning/strategy").asText());
    assertEquals("id", m.at("/partitioning/column").asText());
    assertTrue(m.at("/snapshot/consistent").asBoolean());
    assertEquals("bigint", m.at("/columns/0/type").asText());
    assertEquals("timestamp with time zone", m.at("/columns/1/type").asText());
    int shards = m.get("shards").size();
    assertTrue(shards >= 7, "10000 rows at most 1500 per bundle: " + shards);
    long rows = 0;
    Set<Long> ids = new HashSet<>();
    for (JsonNode shard : m.get("shards")) {
      String name = shard.get("path").asText();
      assertTrue(name.matches("part-\\d{5}-of-\\d{5}\\.jsonl\\.gz"), name);
      assertTrue(shard.get("rows").asLong() <= 1500);
      byte[] gz = servers.object("multi/public.events/" + name);
      assertEquals(shard.get("compressedBytes").asLong(), gz.length);
      assertEquals(
          shard.get("sha256").asText(),
          HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(gz)));
      List<String> lines = JsonLines.lines(gz);
      for (String line : lines) {
        ids.add(ArchiveRun.JSON.readTree(line).get("id").asLong());
        rows++;
      }
      assertEquals(shard.get("rows").asLong(), lines.size());
    }
    assertEquals(10000, rows);
    assertEquals(10000, ids.size());

    JsonNode noPk = ArchiveRun.JSON.readTree(servers.object("multi/public.no_pk/_manifest.json"));
    assertEquals("ctid", noPk.at("/partitioning/strategy").asText());
    assertEquals(5000, noPk.get("rowCount").asLong());
    assertTrue(noPk.get("shards").size() >= 2, noPk.toString());
  }

  @Test
  void localShardsPassSystemGzipAndNullKeysAreExported() throws Exception {
    Path out = dir.resolve("nulls");
    ArchiveRun.archive(
        servers,
        "--tables=public.nullable_keys",
        "--partitionColumn=k",
        "--maxRowsPerBundle=100",
        "--output=" + out);
    Path table = out.resolve("public.nullable_keys");
    List<JsonNode> rows = ArchiveRun.rows(table);
    assertEquals(1000, rows.size());
    assertEquals(100, rows.stream().filter(r -> r.get("k").isNull()).count());
    assertEquals(1000, rows.stream().map(r -> r.get("v").asText()).distinct().count());
    for (Path shard : ArchiveRun.shards(table)) {
      Process gzip = new ProcessBuilder("gzip", "-t", shard.toString()).inheritIO().start();
      assertEquals(0, gzip.waitFor(), "gzip -t " + shard);
    }
    assertFalse(Files.exists(out.resolve("_hose_temp")));
  }

  @Test
  void emptyTableGivesOneEmptyShardAndAManifest() throws Exception {
    Path out = dir.resolve("empty");
    ArchiveRun.archive(servers, "--tables=empty_table", "--output=" + out);
    Path table = out.resolve("public.empty_table");
    assertEquals(List.of(table.resolve("part-00000-of-00001.jsonl.gz")), ArchiveRun.shards(table));
    assertEquals(0, ArchiveRun.rows(table).size());
    assertEquals(0, ArchiveRun.manifest(table).get("rowCount").asLong());
  }

  @Test
  void incrementalWindowExportsOneDaysRows() throws Exception {
    Path out = dir.resolve("window");
    ArchiveRun.archive(
        servers,
        "--tables=public.events",
        "--incrementalColumn=at",
        "--since=2026-11-22T00:00:00Z",
        "--until=2026-11-23T00:00:00Z",
        "--where=kind <> 'k0'",
        "--maxRowsPerBundle=500",
        "--output=" + out);
    List<JsonNode> rows = ArchiveRun.rows(out.resolve("public.events"));
    assertEquals(1440 * 4 / 5, rows.size());
    for (JsonNode r : rows) {
      assertTrue(r.get("at").asText().startsWith("2026-11-22T"), r.toString());
    }
  }

  @Test
  void rowsChangedDuringTheRunAreNotHalfIncluded() throws Exception {
    servers.sql(
        "CREATE TABLE moving (id bigint PRIMARY KEY, v int)",
        "INSERT INTO moving SELECT g, 0 FROM generate_series(1, 200000) g");
    AtomicBoolean stop = new AtomicBoolean();
    List<Integer> batches = new ArrayList<>();
    Thread writer =
        new Thread(
            () -> {
              try (Connection c = servers.connect();
                  Statement s = c.createStatement()) {
                c.setAutoCommit(false); // each batch's insert and update commit together
                for (int i = 1; !stop.get() && i < 10_000; i++) {
                  s.execute(
                      "INSERT INTO moving SELECT 1000000 + "
                          + i
                          + " * 100 + g, "
                          + i
                          + " FROM generate_series(1, 100) g");
                  s.execute("UPDATE moving SET v = " + i + " WHERE id = " + i);
                  c.commit();
                  batches.add(i);
                }
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            });
    writer.start();
    try {
      Path out = dir.resolve("moving");
      ArchiveRun.archive(servers, "--tables=moving", "--maxRowsPerBundle=20000", "--output=" + out);
      List<JsonNode> rows = ArchiveRun.rows(out.resolve("public.moving"));
      long inserted = rows.stream().filter(r -> r.get("id").asLong() > 1_000_000).count();
      assertEquals(0, inserted % 100, "insert batches are whole: " + inserted);
      long batchesSeen = inserted / 100;
      long updatesSeen =
          rows.stream()
              .filter(r -> r.get("id").asLong() <= 200000 && r.get("v").asInt() > 0)
              .count();
      assertEquals(
          batchesSeen, updatesSeen, "one snapshot: every batch's insert and update together");
      assertEquals(
          rows.size(), ArchiveRun.manifest(out.resolve("public.moving")).get("rowCount").asLong());
    } finally {
      stop.set(true);
      writer.join();
    }
    assertTrue(batches.size() > 0);
  }

  @Test
  void existingManifestIsRefusedUnlessOverwrite() throws Exception {
    Path out = dir.resolve("again");
    ArchiveRun.archive(servers, "--tables=events", "--output=" + out);
    Run second = cli("--tables=events", "--output=" + out);
    assertEquals(2, second.exit);
    assertTrue(second.err.contains("already exists"), second.err);
    ArchiveRun.archive(servers, "--tables=events", "--output=" + out, "--overwrite");
    assertEquals(10000, ArchiveRun.manifest(out.resolve("public.events")).get("rowCount").asLong());
  }

  @Test
  void leftoversOfAKilledRunAreRemovedByCleanupAndByTheNextRun() throws Exception {
    for (boolean viaCleanup : new boolean[] {true, false}) {
      String prefix = "killed-" + viaCleanup + "/";
      leaveDebris(prefix);
      assertEquals(1, servers.pendingUploads());
      if (viaCleanup) {
        ArchiveRun.archive(servers, "--tables=events", "--output=s3://hose/" + prefix, "--cleanup");
        assertEquals(List.of(), servers.keys(prefix));
      } else {
        ArchiveRun.archive(servers, "--tables=events", "--output=s3://hose/" + prefix);
        List<String> keys = servers.keys(prefix);
        assertTrue(keys.stream().noneMatch(k -> k.contains("_hose_temp")), keys.toString());
        assertTrue(
            keys.stream().noneMatch(k -> k.contains("part-00007-of-00009")), keys.toString());
        assertTrue(keys.contains(prefix + "public.events/_manifest.json"));
      }
      assertEquals(0, servers.pendingUploads());
    }
  }

  /** What a run killed mid-way leaves: temp objects, a pending upload, an uncommitted shard. */
  private static void leaveDebris(String prefix) {
    try (var s3 = servers.s3Client()) {
      var body = software.amazon.awssdk.core.sync.RequestBody.fromString("partial");
      s3.putObject(
          b ->
              b.bucket("hose")
                  .key(prefix + "_hose_temp/public.events/dead-run/part-00000-of-00002.jsonl.gz.x"),
          body);
      s3.putObject(
          b -> b.bucket("hose").key(prefix + "public.events/part-00007-of-00009.jsonl.gz"), body);
      String upload =
          s3.createMultipartUpload(
                  b ->
                      b.bucket("hose")
                          .key(
                              prefix
                                  + "_hose_temp/public.events/dead-run/part-00001-of-00002.jsonl.gz.y"))
              .uploadId();
      s3.uploadPart(
          b ->
              b.bucket("hose")
                  .key(prefix + "_hose_temp/public.events/dead-run/part-00001-of-00002.jsonl.gz.y")
                  .uploadId(upload)
                  .partNumber(1),
          software.amazon.awssdk.core.sync.RequestBody.fromBytes(new byte[5 << 20]));
    }
  }

  @Test
  void badInputGetsOneLineAndLeavesNothing() throws Exception {
    String s3 = "--output=s3://hose/bad/";
    assertBad(cli("--tables=public.nope", s3), "table public.nope does not exist");
    assertBad(cli("--tables=nope.events", s3), "does not exist");
    assertBad(cli("--tables=orders; drop table x", s3), "not a plain identifier");
    assertBad(
        cli("--tables=events", "--partitionColumn=id; drop table events", s3),
        "not a plain identifier");
    assertBad(cli("--tables=events", "--partitionColumn=kind2", s3), "not a column");
    Run badSince = cli("--tables=events", "--incrementalColumn=at", "--since=not a date", s3);
    assertBad(badSince, "--since is not a valid timestamp with time zone for public.events.at");
    assertEquals(2, badSince.exit(), "bad input exits 2: " + badSince.err());
    Run badUntil = cli("--tables=events", "--incrementalColumn=id", "--until=0 OR 1=1", s3);
    assertBad(badUntil, "--until is not a valid bigint for public.events.id");
    assertEquals(2, badUntil.exit(), "bad input exits 2: " + badUntil.err());
    assertBad(cli("--tables=events", "--where=1=1; drop table events", s3), "no ';'");
    assertBad(
        cli("--tables=events", "--output=s3://hose/raw/{schema}/{table}/"),
        "--output may hold {table} and no other {…}");
    assertBad(
        cli("--tables=events", "--output=s3://bucket-{table}/raw/"),
        "{table} may not be in the bucket's name");
    Run badCodec = cli("--tables=events", "--compression=lz4", s3);
    assertBad(badCodec, "--compression must be one of gzip, zstd for --format=jsonl, not 'lz4'");
    assertEquals(2, badCodec.exit(), "bad input exits 2: " + badCodec.err());
    Run badFormat = cli("--tables=events", "--format=avro", s3);
    assertBad(badFormat, "--format must be one of jsonl, parquet, not 'avro'");
    assertEquals(2, badFormat.exit(), "bad input exits 2: " + badFormat.err());
    assertBad(
        cli("--tables=events", "--format=parquet", "--compression=gzip", s3),
        "--compression must be one of zstd, snappy for --format=parquet, not 'gzip'");
    assertBad(
        cli("--tables=events", "--format=parquet", "--parquetRowGroupBytes=1000", s3),
        "--parquetRowGroupBytes must be at least 1048576 (1 MiB)");
    assertBad(
        cli("--tables=events", "--compression=zstd", "--zstdLevel=22", s3),
        "--zstdLevel must be between 1 and 19 for zstd");
    // --where is SQL by design; it runs in a read-only transaction, so it cannot write.
    assertBad(
        cli("--tables=events", "--where=nextval('hose_seq') > 0", s3), "read-only transaction");
    assertBad(
        run(
            List.of(
                "--jdbcUrl=" + servers.jdbcUrl(),
                "--username=postgres",
                "--passwordEnv=HOSE_NO_SUCH_VAR",
                "--tables=events",
                "--awsRegion=us-east-1",
                "--endpoint=" + servers.s3.endpoint(),
                s3)),
        "HOSE_NO_SUCH_VAR");
    Path wrong = dir.resolve("wrong-password");
    Files.writeString(wrong, "nope");
    assertBad(
        run(
            List.of(
                "--jdbcUrl=" + servers.jdbcUrl(),
                "--username=postgres",
                "--passwordFile=" + wrong,
                "--tables=events",
                "--awsRegion=us-east-1",
                "--endpoint=" + servers.s3.endpoint(),
                s3)),
        "password authentication failed");
    assertBad(
        run(
            List.of(
                "--jdbcUrl=jdbc:postgresql://127.0.0.1:1/postgres",
                "--username=postgres",
                "--passwordFile=" + servers.passwordFile,
                "--tables=events",
                "--awsRegion=us-east-1",
                "--endpoint=" + servers.s3.endpoint(),
                s3)),
        "cannot connect");
    assertBad(
        run(
            List.of(
                "--jdbcUrl=" + servers.jdbcUrl() + "?password=x",
                "--username=postgres",
                "--tables=events",
                "--output=" + dir.resolve("pw"))),
        "must not carry a password");
    assertBad(
        run(
            List.of(
                "--jdbcUrl=" + servers.jdbcUrl(),
                "--username=postgres",
                "--passwordFile=" + servers.passwordFile,
                "--tables=events",
                s3)),
        "--awsRegion");
    assertBad(
        cli("--tables=events", "--output=s3://no-such-bucket/x/"),
        "cannot write to s3://no-such-bucket/x/");
    assertBad(
        run(
            List.of(
                "--jdbcUrl=" + servers.jdbcUrl(),
                "--username=postgres",
                "--passwordFile=" + servers.passwordFile,
                "--tables=events",
                "--awsRegion=us-east-1",
                "--endpoint=http://127.0.0.1:1",
                s3)),
        "cannot write to s3://hose/bad/");
    Path local = dir.resolve("bad-local");
    assertBad(cli("--tables=public.nope", "--output=" + local), "does not exist");
    assertEquals(List.of(), ArchiveRun.filesUnder(local));
    assertEquals(List.of(), servers.keys("bad/"));
    assertEquals(0, servers.pendingUploads());
  }

  private static void assertBad(Run r, String expected) {
    assertTrue(r.exit != 0, "non-zero exit: " + r.err);
    String[] lines = r.err.strip().split("\n");
    assertEquals(1, lines.length, "one line on stderr: " + r.err);
    assertTrue(lines[0].startsWith("hose archive: error: "), r.err);
    assertTrue(lines[0].contains(expected), "'" + expected + "' in: " + r.err);
    assertFalse(r.err.contains(TestServers.PASSWORD), "no password in: " + r.err);
  }

  private record Run(int exit, String err) {}

  private static Run cli(String... extra) {
    List<String> args = new ArrayList<>(servers.archiveArgs());
    args.addAll(List.of(extra));
    return run(args);
  }

  private static Run run(List<String> args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>();
    all.add("archive");
    all.addAll(args);
    int exit =
        new Cli(List.of(new ArchiveCommand()), new PrintStream(err, true, StandardCharsets.UTF_8))
            .execute(all.toArray(new String[0]));
    return new Run(exit, err.toString(StandardCharsets.UTF_8));
  }
}
