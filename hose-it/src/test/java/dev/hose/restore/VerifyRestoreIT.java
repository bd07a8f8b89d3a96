package dev.hose.restore;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hose.archive.ArchiveManifest;
import dev.hose.archive.Column;
import dev.hose.common.Cli;
import dev.hose.common.CommandLine;
import dev.hose.common.JobJar;
import dev.hose.embedded.EmbeddedPostgresServer;
import dev.hose.support.ArchiveRun;
import dev.hose.support.FidelityTables;
import dev.hose.support.HoseProcess;
import dev.hose.support.TestServers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * verify and restore against a real PostgreSQL server and a real S3 server (and a local directory):
 * the type-fidelity tables go archive → verify → restore and come back equal; verify finds each
 * kind of damage; restore refuses bad input with one line and leaves the target as it was.
 */
class VerifyRestoreIT {
  private static final List<String> TABLES =
      List.of(
          "public.type_zoo",
          "public.fidelity",
          "public.orders",
          "sales.Order Items",
          "public.restore_extra",
          "public.restore_binary",
          "public.restore_binary_bc");
  private static final String ORDERS = "base/public.orders/";

  @TempDir static Path dir;
  static TestServers servers;
  static ArchiveCopy local;
  static ArchiveCopy s3;
  private static int copies;

  @BeforeAll
  static void start() throws Exception {
    servers = TestServers.start(dir);
    FidelityTables.create(servers);
    servers.sql(
        "CREATE TYPE pair AS (a int, b text)",
        "CREATE TABLE restore_extra (k int, n numeric, tstz timestamptz, ts timestamp,"
            + " iv interval, tmtz timetz, tm time, b bit(4), r int4range, comp pair, compa pair[],"
            + " na3 int[][][], jb jsonb, j json, m money, bo boolean, f8 float8, f4a real[],"
            + " ba bytea, d date)",
        "INSERT INTO restore_extra VALUES (1,"
            + " 123456789012345678901234567890.000000000000000000001,"
            + " '2026-11-24 01:02:03.123456+00', '2026-11-24 01:02:03.123456',"
            + " '-1 day +02:03:04.5', '13:14:15.5-07', '23:59:59.999999', B'1010', '[1,5)',"
            + " ROW(1, 'a \"q\" ,b\\c'), ARRAY[ROW(2, 'x')::pair, NULL],"
            + " '{{{1,NULL},{3,4}},{{5,6},{7,8}}}',"
            + " '{\"n\": 1.000000000000000000001, \"s\": \"a\\tb\\\\\", \"e\": 1e400}',"
            + " '{\"dup\": 1,   \"dup\": [2, {\"x\": \"y\\n\"}]}', 1.5, true, 0.1,"
            + " '{1.5,NaN,-Infinity,NULL}', '\\x00ff5c0a09', '2000-02-29')",
        "INSERT INTO restore_extra (k, n, tstz, ts, f8, d) VALUES"
            + " (2, 'Infinity', 'infinity', '-infinity', 'Infinity', 'infinity'),"
            + " (3, '-Infinity', '-infinity', 'infinity', '-0', '-infinity'),"
            + " (NULL, 'NaN', NULL, '0044-03-15 12:00:00 BC', 'NaN', '0044-03-15 BC'),"
            + " (NULL, 'NaN', NULL, '0044-03-15 12:00:00 BC', 'NaN', '0044-03-15 BC'),"
            + " (NULL, NULL, NULL, NULL, NULL, NULL), (NULL, NULL, NULL, NULL, NULL, NULL)",
        // Every type restore copies in COPY's binary format, at its edges (but no jsonb JSON null:
        // JSON lines write it as SQL NULL is written, docs/restore.md#type-fidelity).
        "CREATE TABLE restore_binary (i2 smallint, i4 integer, i8 bigint, f4 real,"
            + " f8 double precision, n numeric, n3 numeric(10,3), bo boolean, t text,"
            + " vc varchar(20), ch char(5), u uuid, j json, jb jsonb, d date, ts timestamp,"
            + " ts3 timestamp(3) with time zone, tstz timestamptz, ba bytea, ta text[], ia int[],"
            + " na numeric[], tsa timestamptz[], da date[], ua uuid[], jba jsonb[], baa bytea[],"
            + " vca varchar(5)[], boa boolean[])",
        "INSERT INTO restore_binary VALUES (-32768, -2147483648, -9223372036854775808, 1.4e-45,"
            + " 4.9e-324, -123456789012345678901234567890.000000000000000000001, 1234567.125,"
            + " true, E'tab\\there\\nnew \\\\ back \"q\" \u65e5\u672c \\U0001F600', 'varchar',"
            + " 'ab', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',"
            + " '{\"b\": 1,  \"a\": [1, \"x\\\"y\"]}',"
            + " '{\"n\": 1.000000000000000000001, \"s\": \"a\\tb\\\\\"}', '2000-02-29',"
            + " '1999-12-31 23:59:59.999999', '2026-11-24 01:02:03.456789+05:30',"
            + " '0001-01-01 00:00:00+00', '\\x00ff5c0a09',"
            + " '{\"a\",\"\",NULL,\"q\\\"\\\\\",\"x y,z\",\"NULL\"}', '{1,NULL,-3}',"
            + " '{1.50,NaN,-0.001,Infinity}', '{\"2026-11-24 01:02:03+00\",NULL}',"
            + " '{2000-01-01,infinity}', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}',"
            + " ARRAY['{\"a\": 1}'::jsonb, NULL, '\"null\"'], ARRAY['\\x00'::bytea, '\\x'],"
            + " '{abc,\"\",\"  \"}', '{t,f,NULL}')",
        "INSERT INTO restore_binary VALUES (32767, 2147483647, 9223372036854775807, 'NaN',"
            + " '-Infinity', 'NaN', -0.0005, false, '', '', '', NULL, '\"s\"', '[]',"
            + " 'infinity', '-infinity', 'infinity', '-infinity', '\\x', '{}', '{}', '{}', '{}',"
            + " '{}', '{}', '{}', '{}', '{}', '{}')",
        "INSERT INTO restore_binary (i2, f4, f8, n, n3, t, tstz) VALUES (0, '-0', 1e308,"
            + " 'Infinity', 0, E'\\r\\\\N', '2026-06-30 23:59:59.5-09:30')",
        "INSERT INTO restore_binary (i2) VALUES (NULL)",
        // Values restore leaves to COPY's text format: a BC year, a year of five digits.
        "CREATE TABLE restore_binary_bc (id bigint, tstz timestamptz, d date)",
        "INSERT INTO restore_binary_bc VALUES (1, '2026-01-01 00:00:00+00', '2026-01-01'),"
            + " (2, '0044-03-15 12:00:00+00 BC', '2026-01-02'),"
            + " (3, '2026-01-03 00:00:00+00', '12345-06-07')",
        "CREATE SCHEMA victim",
        "ANALYZE");
    local = ArchiveCopy.local(dir.resolve("archives"));
    s3 = ArchiveCopy.s3(servers, "verify-restore/");
    for (ArchiveCopy store : List.of(local, s3)) {
      ArchiveRun.archive(
          servers,
          "--tables=" + String.join(",", TABLES),
          "--output=" + store.url("base/"),
          "--maxRowsPerBundle=40");
      ArchiveRun.archive(
          servers,
          "--tables=" + String.join(",", TABLES),
          "--output=" + store.url("zstd/"),
          "--maxRowsPerBundle=40",
          "--compression=zstd",
          "--zstdLevel=9");
      ArchiveRun.archive(
          servers,
          "--tables=" + String.join(",", TABLES),
          "--output=" + store.url("parquet/"),
          "--maxRowsPerBundle=40",
          "--format=parquet");
      ArchiveRun.archive(
          servers,
          "--tables=" + String.join(",", TABLES),
          "--output=" + store.url("snappy/"),
          "--maxRowsPerBundle=40",
          "--format=parquet",
          "--compression=snappy");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    servers.close();
  }

  private static ArchiveCopy store(String name) {
    return name.equals("s3") ? s3 : local;
  }

  // ---- round trip ----

  @ParameterizedTest
  @ValueSource(strings = {"local", "s3"})
  void everyTableRestoresEqualToItsSource(String storeName) throws Exception {
    verifyAndRestoreEveryTable(store(storeName), "base/", "restored_" + storeName);
  }

  /**
   * Restore copies a table of the types {@link CopyBinary} takes in COPY's binary format:
   * restore_binary's values, at their types' edges, are all taken (and restore equal to their
   * source in the test above), while restore_binary_bc's BC and five-digit years are not, so that
   * its shards go in the text format (and restore equal too). The other tables have types it does
   * not take.
   */
  @Test
  void binaryCopyTakesEveryValueOfItsTypesAndLeavesOtherFormsToText() throws Exception {
    assertEquals(List.of(), linesNotTakenByCopyBinary("public.restore_binary"));
    List<String> refused = linesNotTakenByCopyBinary("public.restore_binary_bc");
    assertEquals(2, refused.size(), refused.toString());
    assertTrue(
        refused.get(0).contains("BC") && refused.get(1).contains("12345"), refused.toString());
    for (String table : List.of("public.type_zoo", "public.restore_extra")) {
      assertEquals(null, CopyBinary.forColumns(columnsOf(table)), table);
    }
  }

  /** The lines of a table's local archive that CopyBinary does not take after CopyText. */
  private static List<String> linesNotTakenByCopyBinary(String table) throws Exception {
    List<Column> columns = columnsOf(table);
    CopyBinary binary = CopyBinary.forColumns(columns);
    assertNotNull(binary, table);
    CopyText text = new CopyText(columns);
    ArchivedTable archived = ArchivedTable.read(local.url("base/" + table + "/"));
    List<String> refused = new ArrayList<>();
    long lines = 0;
    for (ArchiveManifest.Shard shard : archived.shards()) {
      try (ShardStream in = ShardTask.of(archived, shard).open()) {
        while (in.nextLine()) {
          lines++;
          ByteArrayOutputStream row = new ByteArrayOutputStream();
          text.write(in.line(), in.lineStart(), in.lineLength(), row);
          byte[] r = row.toByteArray();
          if (!binary.convert(r, 0, r.length)) {
            refused.add(new String(in.line(), in.lineStart(), in.lineLength(), UTF_8));
          }
        }
      }
    }
    assertEquals(rowCount(table), lines, table);
    return refused;
  }

  private static List<Column> columnsOf(String table) throws Exception {
    try (Connection c = servers.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT '" + quoted(table).replace("'", "''") + "'::regclass::oid")) {
      rs.next();
      return Column.ofTable(c, rs.getLong(1));
    }
  }

  /**
   * Verifies the archive under {@code prefix}, then restores all its tables into a new schema with
   * one command.
   */
  private static void verifyAndRestoreEveryTable(ArchiveCopy store, String prefix, String schema)
      throws Exception {
    VerifyPipeline.Report report = verify(store.url(prefix));
    assertTrue(report.ok(), report.toString());
    assertEquals(TABLES.size(), report.tables().size());

    servers.sql("CREATE SCHEMA " + schema);
    List<RestorePipeline.Result> results =
        restoreAll(store.url(prefix), "--targetSchema=" + schema, "--create");
    assertEquals(TABLES.size(), results.size(), results.toString());
    for (String table : TABLES) {
      String name = table.substring(table.indexOf('.') + 1);
      RestorePipeline.Result result =
          results.stream().filter(r -> r.source().equals(table)).findFirst().orElseThrow();
      assertEquals(schema + "." + name, result.target());
      assertEquals(rowCount(table), result.rows(), table);
      assertSameRows(table, schema + "." + name);
    }
    // Staging had autovacuum off; the tables it became have the server's defaults again.
    assertEquals(
        0L,
        scalar(
            "SELECT count(*) FROM pg_class c LEFT JOIN pg_class t ON t.oid = c.reltoastrelid"
                + " WHERE c.relnamespace = '"
                + schema
                + "'::regnamespace AND (c.reloptions IS NOT NULL OR t.reloptions IS NOT NULL)"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "s3"})
  void aPrefixRestoresInOneCommandAllOrNothing(String storeName) throws Exception {
    ArchiveCopy c = store(storeName);
    String schema = "prefix_" + storeName;
    servers.sql(
        "DROP TABLE IF EXISTS victim.orders",
        "CREATE TABLE victim.orders (LIKE public.orders INCLUDING ALL)",
        "INSERT INTO victim.orders SELECT * FROM public.orders WHERE id <= 3",
        "CREATE SCHEMA " + schema,
        "CREATE TABLE " + schema + ".orders (LIKE public.orders INCLUDING ALL)",
        "INSERT INTO " + schema + ".orders SELECT * FROM public.orders WHERE id <= 3");
    String prefix = "prefix-" + storeName + "/";
    c.copy("base/public.orders/", prefix + "public.orders/");
    c.copy("base/public.fidelity/", prefix + "public.fidelity/");
    c.copy("base/public.type_zoo/", prefix + "public.type_zoo/");

    // A bad shard of one table: no table is touched, none is created, no staging is left.
    String bad =
        c.list(prefix + "public.fidelity/").stream()
            .filter(n -> n.contains("/part-"))
            .findFirst()
            .orElseThrow();
    byte[] good = c.get(bad);
    byte[] flipped = good.clone();
    flipped[flipped.length / 2] ^= 0x10;
    c.put(bad, flipped);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> args = new ArrayList<>(List.of("restore"));
    args.addAll(restoreArgs(c.url(prefix)));
    args.addAll(List.of("--targetSchema=" + schema, "--create", "--truncate"));
    int code = cli(err, args.toArray(new String[0]));
    String stderr = err.toString(StandardCharsets.UTF_8);
    assertNotEquals(0, code, stderr);
    assertEquals(1, stderr.lines().count(), stderr);
    assertTrue(stderr.startsWith("hose restore: error: shard "), stderr);
    assertTrue(stderr.contains(c.url(bad)), stderr);
    assertEquals(3L, scalar("SELECT count(*) FROM " + schema + ".orders"));
    assertEquals(
        0L,
        scalar(
            "SELECT count(*) FROM pg_tables WHERE schemaname = '"
                + schema
                + "' AND tablename <> 'orders'"));

    // Mended: the existing table is replaced and the others created, in one command.
    c.put(bad, good);
    List<RestorePipeline.Result> results =
        restoreAll(c.url(prefix), "--targetSchema=" + schema, "--create", "--truncate");
    assertEquals(
        List.of(schema + ".fidelity", schema + ".orders", schema + ".type_zoo"),
        results.stream().map(RestorePipeline.Result::target).toList());
    for (String table : List.of("fidelity", "orders", "type_zoo")) {
      assertSameRows("public." + table, schema + "." + table);
    }

    // --tables picks some; --table names the target of one table only.
    String some = schema + "_some";
    servers.sql("CREATE SCHEMA " + some);
    results =
        restoreAll(c.url(prefix), "--tables=public.orders", "--targetSchema=" + some, "--create");
    assertEquals(1, results.size());
    assertSameRows("public.orders", some + ".orders");
    assertEquals(1L, scalar("SELECT count(*) FROM pg_tables WHERE schemaname = '" + some + "'"));
    assertRestoreFails(c, prefix, "holds 3 tables (public.fidelity, public.orders,", "--truncate");
    assertRestoreFails(
        c, prefix, "give --table or --targetSchema, not both", "--targetSchema=" + some);
    assertRestoreFails(
        c, prefix, "no _manifest.json of public.absent", "--tables=public.orders,absent");
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "s3"})
  void zstdArchivesVerifyAndRestoreEqualToTheirSource(String storeName) throws Exception {
    ArchiveCopy store = store(storeName);
    JsonNode manifest = ArchiveRun.JSON.readTree(store.get("zstd/public.orders/_manifest.json"));
    assertEquals("zstd", manifest.path("compression").asText());
    assertEquals("jsonl", manifest.path("shardFormat").asText());
    assertEquals(
        "part-00000-of-00003.jsonl.zst", manifest.path("shards").get(0).path("path").asText());
    verifyAndRestoreEveryTable(store, "zstd/", "restored_zstd_" + storeName);
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "s3"})
  void parquetArchivesVerifyAndRestoreEqualToTheirSource(String storeName) throws Exception {
    ArchiveCopy store = store(storeName);
    for (String prefix : List.of("parquet/", "snappy/")) {
      JsonNode manifest =
          ArchiveRun.JSON.readTree(store.get(prefix + "public.orders/_manifest.json"));
      assertEquals("parquet", manifest.path("shardFormat").asText());
      assertEquals(
          prefix.equals("parquet/") ? "zstd" : "snappy", manifest.path("compression").asText());
      assertEquals(
          "part-00000-of-00003.parquet", manifest.path("shards").get(0).path("path").asText());
      assertTrue(manifest.path("parquetSchema").asText().startsWith("message hose {"), prefix);
      verifyAndRestoreEveryTable(
          store, prefix, "restored_" + prefix.replace("/", "") + "_" + storeName);
    }
    // Columns that a Parquet type cannot hold for every row fall back to text, on the record.
    JsonNode fidelity =
        ArchiveRun.JSON.readTree(store.get("parquet/public.fidelity/_manifest.json"));
    Map<String, String> fallbacks = new java.util.TreeMap<>();
    fidelity
        .path("columns")
        .forEach(
            c -> {
              if (c.has("fallback")) {
                fallbacks.put(c.path("name").asText(), c.path("fallback").asText());
              }
            });
    assertEquals(
        Map.of(
            "ba2", "holds arrays of several dimensions, or not from 1",
            "i8a", "holds arrays of several dimensions, or not from 1"),
        fallbacks);
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "s3"})
  void aDamagedParquetShardIsFoundByVerifyAndRefusedByRestore(String storeName) throws Exception {
    ArchiveCopy c = store(storeName);
    String shard = "part-00001-of-00003.parquet";
    servers.sql(
        "DROP TABLE IF EXISTS victim.orders",
        "CREATE TABLE victim.orders (LIKE public.orders INCLUDING ALL)",
        "INSERT INTO victim.orders SELECT * FROM public.orders WHERE id <= 3");

    String cut = "parquet-cut-" + storeName + "/public.orders/"; // the manifest agrees: no footer
    c.copy("parquet/public.orders/", cut);
    byte[] whole = c.get(cut + shard);
    byte[] cutBytes = Arrays.copyOf(whole, whole.length - 10);
    c.put(cut + shard, cutBytes);
    String cutSha = sha256(cutBytes);
    editManifest(
        c,
        cut,
        m ->
            ((ObjectNode) m.withArray("shards").get(1))
                .put("compressedBytes", cutBytes.length)
                .put("sha256", cutSha));
    VerifyPipeline.Report report = verify(c.url(cut));
    assertFalse(report.ok(), report.toString());
    assertTrue(
        report.tables().get(0).problems().stream()
            .anyMatch(p -> p.contains(shard) && p.contains("not a readable Parquet file")),
        report.toString());
    assertRestoreFails(c, cut, shard + " is not a readable Parquet file", "--truncate");

    // Another table's shard in its place, the manifest's size and sha256 made to agree with it:
    // only the footer's schema tells.
    String swapped = "parquet-swapped-" + storeName + "/public.orders/";
    c.copy("parquet/public.orders/", swapped);
    byte[] other = c.get("parquet/public.type_zoo/part-00000-of-00001.parquet");
    c.put(swapped + shard, other);
    String otherSha = sha256(other);
    editManifest(
        c,
        swapped,
        m ->
            ((ObjectNode) m.withArray("shards").get(1))
                .put("compressedBytes", other.length)
                .put("sha256", otherSha));
    report = verify(c.url(swapped));
    assertFalse(report.ok(), report.toString());
    assertTrue(
        report.tables().get(0).problems().stream()
            .anyMatch(p -> p.contains(shard) && p.contains("Parquet column 1 is")),
        report.toString());
    assertRestoreFails(c, swapped, "does not match the manifest: Parquet column 1", "--truncate");
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "s3"})
  void aDamagedZstdShardIsFoundByVerifyAndRefusedByRestore(String storeName) throws Exception {
    ArchiveCopy c = store(storeName);
    String shard = "part-00001-of-00003.jsonl.zst";
    String flipped = "zstd-copy-" + storeName + "/public.orders/";
    c.copy("zstd/public.orders/", flipped);
    byte[] b = c.get(flipped + shard);
    b[b.length / 2] ^= 0x01;
    c.put(flipped + shard, b);
    VerifyPipeline.Report report = verify(c.url(flipped));
    assertFalse(report.ok(), report.toString());
    List<String> problems = report.tables().get(0).problems();
    assertTrue(
        problems.stream().anyMatch(p -> p.contains(shard) && p.contains("sha256")),
        problems.toString());

    servers.sql(
        "DROP TABLE IF EXISTS victim.orders",
        "CREATE TABLE victim.orders (LIKE public.orders INCLUDING ALL)",
        "INSERT INTO victim.orders SELECT * FROM public.orders WHERE id <= 3");
    assertRestoreFails(c, flipped, shard, "--truncate");

    String cut = "zstd-cut-" + storeName + "/public.orders/"; // sizes agree: zstd finds the cut
    c.copy("zstd/public.orders/", cut);
    byte[] whole = c.get(cut + shard);
    int cutSize = whole.length - 10;
    c.put(cut + shard, Arrays.copyOf(whole, cutSize));
    editManifest(
        c, cut, m -> ((ObjectNode) m.withArray("shards").get(1)).put("compressedBytes", cutSize));
    report = verify(c.url(cut));
    assertFalse(report.ok(), report.toString());
    assertTrue(
        report.tables().get(0).problems().stream().anyMatch(p -> p.contains("does not decompress")),
        report.toString());
    assertRestoreFails(c, cut, "not a complete zstd stream", "--truncate");
  }

  @Test
  void restoreIntoAnExistingTableReplacesItsRowsWithTruncate() throws Exception {
    servers.sql(
        "CREATE SCHEMA existing",
        "CREATE TABLE existing.type_zoo (LIKE public.type_zoo INCLUDING ALL)",
        "INSERT INTO existing.type_zoo (id) VALUES (99)");
    restore(local.url("base/public.type_zoo/"), "--table=existing.type_zoo", "--truncate");
    assertSameRows("public.type_zoo", "existing.type_zoo");
  }

  /**
   * A restore started by the launcher and SIGKILLed with its staging table full (held up in its
   * final swap by a lock of this test's) leaves that table behind; a second restore into the same
   * target meanwhile is refused; the next restore once the killed one's session is gone drops the
   * staging and restores.
   */
  @Test
  void aKilledRestoresStagingIsSweptByTheNextRestoreIntoThatTable() throws Exception {
    servers.sql(
        "CREATE SCHEMA killed",
        "CREATE TABLE killed.type_zoo (LIKE public.type_zoo INCLUDING ALL)",
        "INSERT INTO killed.type_zoo (id) VALUES (99)");
    String input = local.url("base/public.type_zoo/");
    String staging =
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE n.nspname = 'killed' AND c.relname LIKE '\\_hose\\_restore\\_%'";
    Process restore;
    long backend;
    try (Connection holder = servers.connect()) {
      holder.setAutoCommit(false);
      try (Statement s = holder.createStatement()) {
        s.execute("LOCK TABLE killed.type_zoo IN ACCESS SHARE MODE");
      }
      List<String> args =
          new ArrayList<>(List.of("restore", "--table=killed.type_zoo", "--truncate"));
      args.addAll(restoreArgs(input));
      // As deployed: the launcher next to the job jar, which execs the JVM (the SIGKILL is its).
      List<String> command = new ArrayList<>(List.of(HoseProcess.launcherFor(args).toString()));
      command.addAll(args);
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("hose-killed-restore.log").toFile());
      pb.environment().putAll(servers.environment());
      pb.environment().put("JAVA_OPTS", "-Xmx512m");
      pb.environment().put("HOSE_CACHE_DIR", dir.resolve("launcher-cache").toString());
      restore = pb.start();
      backend =
          waitFor(
              "the restore waiting for the target in its swap",
              "SELECT coalesce(max(l.pid), 0) FROM pg_locks l WHERE NOT l.granted"
                  + " AND l.relation = 'killed.type_zoo'::regclass");
      assertEquals(1L, scalar(staging), "the restore's staging table, loaded");
      var refused =
          org.junit.jupiter.api.Assertions.assertThrows(
              dev.hose.common.UserError.class,
              () -> restore(input, "--table=killed.type_zoo", "--truncate"));
      assertEquals(
          "another hose restore into killed.type_zoo is under way; wait for it to end",
          refused.getMessage());
      restore.destroyForcibly();
      assertTrue(restore.waitFor(30, TimeUnit.SECONDS));
      holder.rollback();
    }
    waitFor(
        "the killed restore's session to end",
        "SELECT CASE WHEN count(*) = 0 THEN 1 ELSE 0 END FROM pg_stat_activity WHERE pid = "
            + backend);
    assertEquals(1L, scalar(staging), "the killed restore's staging table is left behind");
    assertEquals(1L, scalar("SELECT count(*) FROM killed.type_zoo"), "the target as it was");

    restore(input, "--table=killed.type_zoo", "--truncate");
    assertEquals(0L, scalar(staging), "no staging table left");
    assertSameRows("public.type_zoo", "killed.type_zoo");
  }

  /**
   * A COPY connection of a several-table restore killed mid-COPY (its backend terminated while it
   * waits for this test's lock on its staging table, the other tables' shards loading or loaded):
   * the restore fails with one line, every target is as it was, and no staging table is left.
   */
  @Test
  void aCopyConnectionKilledMidCopyLeavesEveryTargetAsItWas() throws Exception {
    servers.sql(
        "CREATE SCHEMA conn_kill",
        "CREATE TABLE conn_kill.orders (LIKE public.orders INCLUDING ALL)",
        "INSERT INTO conn_kill.orders SELECT * FROM public.orders WHERE id <= 3");
    String prefix = "conn-kill/";
    for (String table : List.of("public.orders", "public.fidelity", "public.type_zoo")) {
      local.copy("base/" + table + "/", prefix + table + "/");
    }
    List<String> args = new ArrayList<>(List.of("restore"));
    args.addAll(restoreArgs(local.url(prefix)));
    args.addAll(List.of("--targetSchema=conn_kill", "--create", "--truncate"));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    var restore =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> cli(err, args.toArray(new String[0])));
    try (Connection holder = servers.connect();
        Statement s = holder.createStatement()) {
      String staging = null;
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (staging == null && System.nanoTime() < deadline) {
        try (ResultSet rs =
            s.executeQuery(
                "SELECT c.oid::regclass::text FROM pg_class c"
                    + " JOIN pg_description d ON d.objoid = c.oid AND d.objsubid = 0"
                    + " WHERE c.relname LIKE '\\_hose\\_restore\\_%'"
                    + " AND d.description LIKE '%\"conn_kill\".\"orders\"%'")) {
          staging = rs.next() ? rs.getString(1) : null;
        }
      }
      assertTrue(staging != null, "the restore's staging table of conn_kill.orders");
      holder.setAutoCommit(false);
      s.execute("LOCK TABLE " + staging + " IN ACCESS EXCLUSIVE MODE");
      long copy =
          waitFor(
              "a COPY into " + staging + " waiting for the lock",
              "SELECT coalesce(max(l.pid), 0) FROM pg_locks l WHERE NOT l.granted"
                  + " AND l.relation = '"
                  + staging
                  + "'::regclass");
      scalar("SELECT count(*) FROM (SELECT pg_terminate_backend(" + copy + ")) t");
      holder.rollback();
    }
    int code = restore.get(2, TimeUnit.MINUTES);
    String stderr = err.toString(StandardCharsets.UTF_8);
    assertNotEquals(0, code, stderr);
    assertEquals(1, stderr.lines().count(), stderr);
    assertTrue(stderr.startsWith("hose restore: error: "), stderr);
    assertEquals(3L, scalar("SELECT count(*) FROM conn_kill.orders"), "the target as it was");
    assertEquals(
        1L,
        scalar(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = 'conn_kill' AND c.relkind = 'r'"),
        "no table created, no staging table left");

    restore(local.url(prefix), "--tables=public.orders", "--targetSchema=conn_kill", "--truncate");
    assertSameRows("public.orders", "conn_kill.orders");
  }

  /** Polls {@code sql} (one number) until it is not 0, for up to two minutes; returns it. */
  private static long waitFor(String what, String sql) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (true) {
      long value = scalar(sql);
      if (value != 0) {
        return value;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("waited 2 minutes for " + what);
      }
      Thread.sleep(100);
    }
  }

  // ---- verify ----

  @ParameterizedTest
  @ValueSource(strings = {"local", "s3"})
  void verifyFindsAFlippedByte(String storeName) throws Exception {
    assertVerifyFinds(
        storeName,
        "sha256",
        (c, t) -> {
          byte[] b = c.get(t + "part-00001-of-00003.jsonl.gz");
          b[b.length / 2] ^= 0x01;
          c.put(t + "part-00001-of-00003.jsonl.gz", b);
        });
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "s3"})
  void verifyFindsATruncatedShard(String storeName) throws Exception {
    assertVerifyFinds(
        storeName,
        "does not decompress",
        (c, t) -> {
          byte[] b = c.get(t + "part-00000-of-00003.jsonl.gz");
          c.put(t + "part-00000-of-00003.jsonl.gz", Arrays.copyOf(b, b.length - 20));
        });
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "s3"})
  void verifyFindsAMissingShard(String storeName) throws Exception {
    assertVerifyFinds(
        storeName, "missing shard", (c, t) -> c.delete(t + "part-00002-of-00003.jsonl.gz"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "s3"})
  void verifyFindsAnUnlistedShard(String storeName) throws Exception {
    assertVerifyFinds(
        storeName,
        "unlisted object part-00003-of-00003.jsonl.gz",
        (c, t) ->
            c.put(t + "part-00003-of-00003.jsonl.gz", c.get(t + "part-00000-of-00003.jsonl.gz")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "s3"})
  void verifyFindsAWrongRowCount(String storeName) throws Exception {
    assertVerifyFinds(
        storeName,
        "the manifest says 41 rows",
        (c, t) ->
            editManifest(c, t, m -> ((ObjectNode) m.withArray("shards").get(1)).put("rows", 41)));
  }

  @Test
  void verifyReportsAnUnreadableManifestAndGoesOn() throws Exception {
    String copy = copyOrders(local);
    String root = copy.replace("public.orders/", "");
    local.copy("base/public.fidelity/", root + "public.fidelity/");
    local.put(copy + "_manifest.json", "{\"format\": \"hose-archive/1\"".getBytes());
    VerifyPipeline.Report report = verify(local.url(root));
    assertEquals(2, report.tables().size(), report.toString());
    assertFalse(report.tables().get(0).ok());
    assertTrue(report.tables().get(0).problems().get(0).contains("is not a hose manifest"));
    assertTrue(report.tables().get(1).ok(), report.toString());
  }

  @Test
  void verifyOfSomeTablesWritesAReportFile() throws Exception {
    String copy = copyOrders(local);
    String root = copy.replace("public.orders/", "");
    local.copy("base/public.fidelity/", root + "public.fidelity/");
    Path report = dir.resolve("verify-report.json");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    int code;
    System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    try {
      code =
          cli(
              err,
              "verify",
              "--input=" + local.url(root),
              "--tables=orders,public.missing",
              "--reportFile=" + report);
    } finally {
      System.setOut(stdout);
    }
    assertEquals(1, code, err.toString());
    JsonNode json = new ObjectMapper().readTree(report.toFile());
    assertFalse(json.path("ok").asBoolean());
    assertEquals(2, json.path("tables").size(), json.toString());
    Map<String, JsonNode> byTable = new HashMap<>();
    json.path("tables").forEach(t -> byTable.put(t.path("table").asText(), t));
    JsonNode orders = byTable.get("public.orders");
    assertTrue(orders.path("ok").asBoolean(), orders.toString());
    assertTrue(orders.path("rows").asLong() > 0);
    assertFalse(byTable.get("public.missing").path("ok").asBoolean());
  }

  @Test
  void verifyFindsTempDebrisAndExitsNonZero() throws Exception {
    String copy = copyOrders(local);
    local.put(
        copy.replace("public.orders/", "") + "_hose_temp/run1/public.orders/part-00000.1",
        new byte[] {1});
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      code = cli(err, "verify", "--input=" + local.url(copy.replace("public.orders/", "")));
    } finally {
      System.setOut(stdout);
    }
    String printed = out.toString(StandardCharsets.UTF_8);
    assertEquals(1, code, printed + err);
    assertTrue(printed.contains("public.orders: temp debris _hose_temp/run1/"), printed);
    assertTrue(printed.contains("FAILED (1 problems)"), printed);
  }

  // ---- restore refuses bad input, target unchanged ----

  @ParameterizedTest
  @ValueSource(strings = {"local", "s3"})
  void restoreRefusesBadInputAndLeavesTheTargetAsItWas(String storeName) throws Exception {
    ArchiveCopy c = store(storeName);
    servers.sql(
        "DROP TABLE IF EXISTS victim.orders, victim.wrong",
        "CREATE TABLE victim.orders (LIKE public.orders INCLUDING ALL)",
        "INSERT INTO victim.orders SELECT * FROM public.orders WHERE id <= 3",
        "CREATE TABLE victim.wrong (id bigint, other text)",
        "DROP TABLE IF EXISTS victim.retyped",
        "CREATE TABLE victim.retyped (LIKE public.orders)",
        "ALTER TABLE victim.retyped ALTER amount TYPE numeric(10,2)");

    String noManifest = copyOrders(c);
    c.delete(noManifest + "_manifest.json");
    assertRestoreFails(c, noManifest, "no _manifest.json", "--truncate");

    String headerFlip = copyOrders(c); // gzip ignores its header's mtime: only sha256 sees this
    byte[] b = c.get(headerFlip + "part-00001-of-00003.jsonl.gz");
    b[5] ^= 0x01;
    c.put(headerFlip + "part-00001-of-00003.jsonl.gz", b);
    assertRestoreFails(c, headerFlip, "has sha256", "--truncate");

    String dataFlip = copyOrders(c);
    b = c.get(dataFlip + "part-00002-of-00003.jsonl.gz");
    b[b.length / 2] ^= 0x10;
    c.put(dataFlip + "part-00002-of-00003.jsonl.gz", b);
    assertRestoreFails(c, dataFlip, "shard", "--truncate");

    String truncated = copyOrders(c);
    b = c.get(truncated + "part-00000-of-00003.jsonl.gz");
    c.put(truncated + "part-00000-of-00003.jsonl.gz", Arrays.copyOf(b, b.length - 30));
    assertRestoreFails(c, truncated, "bytes, the manifest says", "--truncate");

    String cutStream = copyOrders(c); // the manifest agrees on the size: gzip finds the cut
    byte[] whole = c.get(cutStream + "part-00000-of-00003.jsonl.gz");
    int cutSize = whole.length - 30;
    c.put(cutStream + "part-00000-of-00003.jsonl.gz", Arrays.copyOf(whole, cutSize));
    editManifest(
        c,
        cutStream,
        m -> ((ObjectNode) m.withArray("shards").get(0)).put("compressedBytes", cutSize));
    assertRestoreFails(c, cutStream, "not a complete gzip stream", "--truncate");

    assertRestoreFails(c, ORDERS, "already holds rows");
    assertRestoreFails(c, ORDERS, "does not match the archive", "--table=victim.wrong");
    assertRestoreFails(
        c,
        ORDERS,
        "column 4 is amount numeric(10,2), the manifest has amount numeric(12,2)",
        "--table=victim.retyped");
    assertRestoreFails(c, "base/", "holds 7 tables", "--truncate");
    assertRestoreFails(c, ORDERS, "does not exist; pass --create", "--table=victim.absent");

    String missingType = copyOrders(c);
    editManifest(
        c,
        missingType,
        m -> ((ObjectNode) m.withArray("columns").get(4)).put("type", "no_such_status"));
    assertRestoreFails(
        c,
        missingType,
        "type no_such_status (column status) does not exist",
        "--create",
        "--table=victim.absent");
    assertEquals(0L, scalar("SELECT count(*) FROM pg_class WHERE relname = 'absent'"));
  }

  // ---- Flink ----

  @Test
  void verifyAndRestoreRunOnFlink() throws Exception {
    String flink = "--runnerConfig=runner-configs/flink-local.properties";
    Result verified = hose("verify", "--input=" + s3.url("base/"), flink);
    assertEquals(0, verified.code(), verified.output());
    assertTrue(verified.output().contains("public.orders: 100 rows, 3 shards"), verified.output());
    servers.sql("CREATE SCHEMA on_flink");
    Result restored =
        hose(
            "restore",
            "--input=" + s3.url("base/"),
            "--tables=public.fidelity,sales.\"Order Items\"",
            "--targetSchema=on_flink",
            "--create",
            "--jdbcUrl=" + servers.jdbcUrl(),
            "--username=" + EmbeddedPostgresServer.USER,
            "--passwordEnv=HOSE_PG_PASSWORD",
            flink);
    assertEquals(0, restored.code(), restored.output());
    assertSameRows("public.fidelity", "on_flink.fidelity");
    assertSameRows("sales.Order Items", "on_flink.Order Items");

    String damaged = copyOrders(s3);
    s3.delete(damaged + "part-00001-of-00003.jsonl.gz");
    Result failed = hose("verify", "--input=" + s3.url(damaged), flink);
    assertEquals(1, failed.code(), failed.output());
    assertTrue(
        failed.output().contains("public.orders: part-00001-of-00003.jsonl.gz: missing shard"),
        failed.output());
  }

  // ---- helpers ----

  private interface Damage {
    void apply(ArchiveCopy store, String tableDir) throws Exception;
  }

  private static void assertVerifyFinds(String storeName, String expected, Damage damage)
      throws Exception {
    ArchiveCopy c = store(storeName);
    String copy = copyOrders(c);
    damage.apply(c, copy);
    VerifyPipeline.Report report = verify(c.url(copy));
    assertFalse(report.ok(), report.toString());
    List<String> problems = report.tables().get(0).problems();
    assertTrue(problems.stream().anyMatch(p -> p.contains(expected)), problems.toString());
  }

  private static void assertRestoreFails(
      ArchiveCopy c, String input, String expected, String... extra) throws Exception {
    List<String> args = new ArrayList<>(restoreArgs(c.url(input)));
    if (Arrays.stream(extra).noneMatch(a -> a.startsWith("--table="))) {
      args.add("--table=victim.orders");
    }
    args.addAll(List.of(extra));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    args.add(0, "restore");
    int code = cli(err, args.toArray(new String[0]));
    String stderr = err.toString(StandardCharsets.UTF_8);
    assertNotEquals(0, code, stderr);
    List<String> lines = stderr.lines().toList();
    assertEquals(1, lines.size(), stderr);
    assertTrue(lines.get(0).startsWith("hose restore: error: "), stderr);
    assertTrue(lines.get(0).contains(expected), input + ": " + stderr);
    assertEquals(3L, scalar("SELECT count(*) FROM victim.orders"), input + ": " + stderr);
    assertEquals(6L, scalar("SELECT sum(id) FROM victim.orders"), input);
    assertEquals(
        0L, scalar("SELECT count(*) FROM pg_class WHERE relname LIKE '\\_hose\\_restore\\_%'"));
  }

  private static String sha256(byte[] bytes) throws java.security.NoSuchAlgorithmException {
    return java.util.HexFormat.of()
        .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static String copyOrders(ArchiveCopy c) {
    String to = "copy-" + (++copies) + "/public.orders/";
    c.copy(ORDERS, to);
    return to;
  }

  private static void editManifest(ArchiveCopy c, String tableDir, Consumer<ObjectNode> edit)
      throws Exception {
    ObjectNode m = (ObjectNode) ArchiveRun.JSON.readTree(c.get(tableDir + "_manifest.json"));
    edit.accept(m);
    c.put(tableDir + "_manifest.json", ArchiveRun.JSON.writeValueAsBytes(m));
  }

  private static VerifyPipeline.Report verify(String input) throws Exception {
    return VerifyPipeline.run(
        CommandLine.parse(
            new String[] {
              "--input=" + input, "--awsRegion=us-east-1", "--endpoint=" + servers.s3.endpoint()
            },
            VerifyOptions.class,
            JobJar.ALL));
  }

  private static RestorePipeline.Result restore(String input, String... extra) throws Exception {
    List<RestorePipeline.Result> results = restoreAll(input, extra);
    assertEquals(1, results.size(), results.toString());
    return results.get(0);
  }

  private static List<RestorePipeline.Result> restoreAll(String input, String... extra)
      throws Exception {
    List<String> args = new ArrayList<>(restoreArgs(input));
    args.addAll(List.of(extra));
    return RestorePipeline.run(
        CommandLine.parse(args.toArray(new String[0]), RestoreOptions.class, JobJar.ALL));
  }

  private static List<String> restoreArgs(String input) {
    return List.of(
        "--input=" + input,
        "--jdbcUrl=" + servers.jdbcUrl(),
        "--username=" + EmbeddedPostgresServer.USER,
        "--passwordFile=" + servers.passwordFile,
        "--awsRegion=us-east-1",
        "--endpoint=" + servers.s3.endpoint());
  }

  private static int cli(ByteArrayOutputStream err, String... args) {
    return new Cli(
            List.of(new VerifyCommand(), new RestoreCommand()),
            new PrintStream(err, true, StandardCharsets.UTF_8))
        .execute(args);
  }

  /**
   * Both {@code source EXCEPT ALL restored} and {@code restored EXCEPT ALL source} are empty,
   * comparing each column's text form (json as jsonb: key order, spacing and duplicate keys are
   * json's own text).
   */
  private static void assertSameRows(String source, String restored) throws Exception {
    String src = quoted(source);
    String dst = quoted(restored);
    List<String> exprs = new ArrayList<>();
    try (Connection c = servers.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT quote_ident(attname), format_type(atttypid, atttypmod) FROM pg_attribute"
                    + " WHERE attrelid = '"
                    + src.replace("'", "''")
                    + "'::regclass"
                    + " AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
      while (rs.next()) {
        String type = rs.getString(2);
        String cast = type.equals("json") ? "::jsonb" : type.equals("json[]") ? "::jsonb[]" : "";
        exprs.add(rs.getString(1) + cast + "::text");
      }
    }
    String cols = String.join(", ", exprs);
    String a = "SELECT " + cols + " FROM " + src;
    String b = "SELECT " + cols + " FROM " + dst;
    assertEquals(0L, scalar("SELECT count(*) FROM (" + a + " EXCEPT ALL " + b + ") x"), source);
    assertEquals(0L, scalar("SELECT count(*) FROM (" + b + " EXCEPT ALL " + a + ") x"), source);
    assertEquals(rowCount(source), scalar("SELECT count(*) FROM " + dst), source);
  }

  private static String quoted(String table) {
    int dot = table.indexOf('.');
    return "\"" + table.substring(0, dot) + "\".\"" + table.substring(dot + 1) + "\"";
  }

  private static long rowCount(String table) throws Exception {
    return scalar("SELECT count(*) FROM " + quoted(table));
  }

  private static long scalar(String sql) throws Exception {
    try (Connection c = servers.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private record Result(int code, String output) {}

  /** Runs target/hose.jar in a child JVM with the servers' credentials in its environment. */
  private static Result hose(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(args));
    command.add("--awsRegion=us-east-1");
    command.add("--endpoint=" + servers.s3.endpoint());
    ProcessBuilder pb =
        new ProcessBuilder(HoseProcess.command(List.of("-Xmx512m"), command))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("hose-" + args[0] + ".log").toFile());
    Map<String, String> env = pb.environment();
    env.putAll(servers.environment());
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("hose " + args[0] + " did not end in 5 minutes");
    }
    String output = java.nio.file.Files.readString(dir.resolve("hose-" + args[0] + ".log"));
    return new Result(p.exitValue(), output);
  }
}
