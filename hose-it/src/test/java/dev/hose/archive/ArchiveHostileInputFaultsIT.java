package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hose.common.Cli;
import dev.hose.support.ArchiveRun;
import dev.hose.support.JsonLines;
import dev.hose.support.ManifestSchema;
import dev.hose.support.TestServers;
import dev.hose.support.faults.Fault;
import dev.hose.support.faults.FaultLog;
import dev.hose.support.faults.Forked;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile and extreme input: SQL injection through every option that reaches SQL, secrets in what a
 * run prints and writes, identifiers in any script, and values of tens of MB. The database is
 * fingerprinted (rows, catalog, sequence, an audit table) before and after every attempt.
 */
class ArchiveHostileInputFaultsIT {
  /** Parses JSON values of any length (Jackson stops at 20 MB strings by default). */
  private static final com.fasterxml.jackson.databind.ObjectMapper HUGE_JSON =
      new com.fasterxml.jackson.databind.ObjectMapper(
          com.fasterxml.jackson.core.JsonFactory.builder()
              .streamReadConstraints(
                  com.fasterxml.jackson.core.StreamReadConstraints.builder()
                      .maxStringLength(Integer.MAX_VALUE)
                      .build())
              .build());

  @TempDir static Path dir;
  static TestServers servers;
  private static final AtomicInteger RUNS = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    servers = TestServers.start(dir);
    servers.sql(
        "CREATE TABLE victim (id bigint PRIMARY KEY, at timestamptz NOT NULL, v text)",
        "INSERT INTO victim SELECT g, timestamptz '2026-11-01' + g * interval '1 hour', 'v' || g"
            + " FROM generate_series(1, 100) g",
        "CREATE TABLE audit (note text)",
        "CREATE SEQUENCE victim_seq",
        // Functions that write and that drop, callable from a condition.
        "CREATE FUNCTION writer() RETURNS boolean LANGUAGE plpgsql AS"
            + " $$BEGIN INSERT INTO audit VALUES ('written'); RETURN true; END$$",
        "CREATE FUNCTION dropper() RETURNS boolean LANGUAGE plpgsql AS"
            + " $$BEGIN EXECUTE 'DROP TABLE victim'; RETURN true; END$$",
        "ANALYZE victim");
  }

  @AfterAll
  static void stop() throws Exception {
    if (servers != null) {
      servers.close();
    }
  }

  @Fault(job = "archive", value = "SQL injection through --tables")
  void injectionThroughTables(FaultLog fault) throws Exception {
    for (String t :
        List.of(
            "victim\"; DROP TABLE victim; --",
            "public.victim; DROP TABLE victim",
            "public.victim' OR '1'='1",
            "public.\"victim\"\"; DROP TABLE victim; --\"",
            "public.victim/**/",
            "public.victim)")) {
      refused(fault, "--tables=" + t, "--tables=" + t);
    }
  }

  @Fault(job = "archive", value = "SQL injection through --partitionColumn")
  void injectionThroughPartitionColumn(FaultLog fault) throws Exception {
    for (String c :
        List.of("id; DROP TABLE victim", "id\", (SELECT writer()), \"id", "(SELECT 1)", "id--")) {
      refused(fault, "--partitionColumn=" + c, "--tables=victim", "--partitionColumn=" + c);
    }
  }

  @Fault(job = "archive", value = "SQL injection through --incrementalColumn")
  void injectionThroughIncrementalColumn(FaultLog fault) throws Exception {
    for (String c : List.of("at; DROP TABLE victim", "at) OR (true", "at\" > now() OR \"at")) {
      refused(
          fault,
          "--incrementalColumn=" + c,
          "--tables=victim",
          "--incrementalColumn=" + c,
          "--since=2026-11-02");
    }
  }

  @Fault(job = "archive", value = "SQL injection through --since/--until")
  void injectionThroughSinceUntil(FaultLog fault) throws Exception {
    refused(
        fault,
        "--since=…'); DROP TABLE victim; --",
        "--tables=victim",
        "--incrementalColumn=at",
        "--since=2026-11-02'); DROP TABLE victim; --");
    refused(
        fault,
        "--until=…' OR '1'='1",
        "--tables=victim",
        "--incrementalColumn=at",
        "--until=2026-11-03' OR '1'='1");
    refused(
        fault,
        "--since=0 OR 1=1 (bigint)",
        "--tables=victim",
        "--incrementalColumn=id",
        "--since=0 OR 1=1");
  }

  @Fault(
      job = "archive",
      value = "--where (raw SQL): writes, DDL, several statements, escaping its parentheses")
  void injectionThroughWhere(FaultLog fault) throws Exception {
    refused(fault, "write through a function", "--tables=victim", "--where=writer()");
    refused(fault, "DDL through a function", "--tables=victim", "--where=dropper()");
    refused(fault, "nextval", "--tables=victim", "--where=nextval('victim_seq') > 0");
    refused(
        fault,
        "DELETE in a CTE",
        "--tables=victim",
        "--where=id IN (WITH d AS (DELETE FROM victim RETURNING id) SELECT id FROM d)");
    refused(
        fault,
        "lo_import (server file into the database)",
        "--tables=victim",
        "--where=lo_import('/etc/hostname') > 0");
    refused(
        fault,
        "switch the transaction to read-write",
        "--tables=victim",
        "--where=set_config('transaction_read_only', 'off', true) = 'off'");
    refused(fault, "second statement", "--tables=victim", "--where=true; DROP TABLE victim");
    refused(fault, "escape the parentheses", "--tables=victim", "--where=true) OR (true");
    refused(fault, "escape and comment out", "--tables=victim", "--where=true)) UNION SELECT 1 --");
    refused(fault, "block comment", "--tables=victim", "--where=id > 0 /* x */");
    // A ';', ')' or '--' inside a string is data, not syntax: the run goes ahead, 100 rows.
    String prefix = "where-ok/";
    String before = fingerprint();
    Run r =
        cli(
            "--tables=victim",
            "--output=s3://hose/" + prefix,
            "--where=v <> $$a); DROP TABLE victim; --$$ AND v <> 'x'';--'");
    ArchiveOutput.Committed out =
        ArchiveOutput.committed(servers, prefix, "public.victim", ArchiveOutput::leadingId);
    boolean unchanged = before.equals(fingerprint());
    fault.run(
        out.rowsLost(100),
        out.bytesBad(),
        unchanged ? List.of() : List.of("database changed"),
        "quoted ; ) -- accepted as data: exit " + r.exit + ", " + out.lines() + " rows");
    assertEquals(0, r.exit, r.err);
    assertEquals(100, out.lines());
    assertTrue(unchanged);
  }

  @Fault(job = "archive", value = "secrets in logs, error lines and manifests (HOSE_DEBUG=1 too)")
  void secretsNeverPrinted(FaultLog fault) throws Exception {
    Map<String, String> env = new HashMap<>(servers.environment());
    env.put("HOSE_DEBUG", "1");
    Path wrong = dir.resolve("wrong-password");
    java.nio.file.Files.writeString(wrong, "not-the-" + TestServers.PASSWORD + "\n");
    record Case(String what, List<String> args, int exit) {}
    List<Case> cases =
        List.of(
            new Case(
                "complete run, password from env", forkedArgs("secrets-ok/", "--tables=victim"), 0),
            new Case(
                "complete run, password from file",
                forkedArgs(
                    "secrets-file/", "--tables=victim", "--passwordFile=" + servers.passwordFile),
                0),
            new Case("unknown table, stack trace", forkedArgs("secrets-bad/", "--tables=nope"), 2),
            new Case(
                "failure inside the pipeline, stack trace",
                forkedArgs(
                    "secrets-fail/",
                    "--tables=victim",
                    "--statementTimeoutSeconds=1",
                    "--where=(SELECT pg_sleep(2)) IS NOT NULL"),
                1));
    for (Case c : cases) {
      List<String> args = new ArrayList<>(c.args);
      if (c.what.contains("file")) {
        args.removeIf(a -> a.startsWith("--passwordEnv="));
      }
      Forked.Ended r =
          Forked.run(
              List.of("-Xmx256m"), args, env, dir.resolve("run-" + RUNS.incrementAndGet()), 300);
      StringBuilder seen = new StringBuilder(r.stdout()).append(r.stderr());
      String prefix =
          args.stream()
              .filter(a -> a.startsWith("--output="))
              .findFirst()
              .orElseThrow()
              .substring("--output=s3://hose/".length());
      for (String key : servers.keys(prefix)) {
        if (key.endsWith("_manifest.json")) {
          ManifestSchema.assertValid(key, ArchiveOutput.text(servers.object(key)));
          seen.append(ArchiveOutput.text(servers.object(key)));
        }
      }
      List<String> found = ArchiveOutput.secretsIn(seen.toString());
      fault.run(
          0,
          0,
          found.stream().map(s -> s + " printed").toList(),
          c.what + ": exit " + r.exit() + ", " + seen.length() + " chars checked, no secret");
      assertEquals(c.exit, r.exit(), r.stderr());
      assertEquals(List.of(), found, c.what);
    }
    // A wrong password: the error names the user, never the password tried.
    List<String> args = forkedArgs("secrets-wrong/", "--tables=victim", "--passwordFile=" + wrong);
    args.removeIf(a -> a.startsWith("--passwordEnv="));
    Forked.Ended r =
        Forked.run(
            List.of("-Xmx256m"), args, env, dir.resolve("run-" + RUNS.incrementAndGet()), 300);
    String all = r.stdout() + r.stderr();
    boolean leaked = all.contains("not-the-") || !ArchiveOutput.secretsIn(all).isEmpty();
    fault.run(
        0,
        0,
        leaked ? List.of("password printed") : List.of(),
        "wrong password: exit " + r.exit() + ", " + ArchiveOutput.oneLine(r.stderr()));
    assertEquals(2, r.exit(), r.stderr());
    assertTrue(!leaked, all);
  }

  @Fault(
      job = "archive",
      value = "identifiers with mixed case, spaces, non-ASCII and quotes; text with any character")
  void unicodeIdentifiers(FaultLog fault) throws Exception {
    String schema = "Ünïcödé Schema";
    String table = "Mixed Case 表 Äb-1";
    servers.sql(
        "CREATE SCHEMA \"" + schema + "\"",
        "CREATE TABLE \""
            + schema
            + "\".\""
            + table
            + "\" (\"Id\" bigint PRIMARY KEY,"
            + " \"Spaced Name\" text, \"名前\" text, \"ÄÖÜ ß\" jsonb, \"we\"\"ird\" text,"
            + " \"Zeitpunkt Ä\" timestamptz NOT NULL, lower int, \"UPPER\" text[])",
        "INSERT INTO \""
            + schema
            + "\".\""
            + table
            + "\" SELECT g, 'Zeile ' || g || ' 🚀 ünï',"
            + " '名前' || g || E' \\\"q\\\" \\\\ \\t \\n \\u2028', jsonb_build_object('ключ', g, 'emoji', '😀'),"
            + " CASE WHEN g % 7 = 0 THEN NULL ELSE E'a\\\"b' END,"
            + " timestamptz '2026-11-01' + g * interval '1 minute', g, ARRAY['Ä', NULL, 'b\"c']"
            + " FROM generate_series(1, 3000) g");
    String prefix = "unicode/";
    Forked.Ended r =
        Forked.run(
            List.of("-Xmx256m"),
            forkedArgs(
                prefix,
                "--tables=" + schema + "." + table,
                "--partitionColumn=Id",
                "--maxRowsPerBundle=400",
                "--incrementalColumn=Zeitpunkt Ä",
                "--since=2026-11-01T02:00:00Z",
                "--until=2026-11-02T12:00:00Z"),
            servers.environment(),
            dir.resolve("run-" + RUNS.incrementAndGet()),
            300);
    String where =
        "\"Zeitpunkt Ä\" >= '2026-11-01T02:00:00Z' AND \"Zeitpunkt Ä\" < '2026-11-02T12:00:00Z'";
    Map<String, JsonNode> expected = new HashMap<>();
    try (Connection c = servers.connect();
        Statement s = c.createStatement()) {
      s.execute("SET TimeZone = 'UTC'");
      try (ResultSet rs =
          s.executeQuery(
              "SELECT \"Id\", row_to_json(t)::text FROM \""
                  + schema
                  + "\".\""
                  + table
                  + "\" t WHERE "
                  + where)) {
        while (rs.next()) {
          expected.put(rs.getString(1), ArchiveRun.JSON.readTree(rs.getString(2)));
        }
      }
    }
    String dirName = schema + "." + table;
    ArchiveOutput.Committed out = ArchiveOutput.committed(servers, prefix, dirName, line -> line);
    long differ = 0;
    for (String line : out.keys()) {
      JsonNode got = ArchiveRun.JSON.readTree(line);
      JsonNode want = expected.get(got.get("Id").asText());
      if (want == null || !want.equals(got)) {
        differ++;
      }
    }
    JsonNode m = ArchiveRun.JSON.readTree(servers.object(prefix + dirName + "/_manifest.json"));
    List<String> left = new ArrayList<>(ArchiveOutput.leftovers(servers, prefix));
    if (differ > 0) {
      left.add(differ + " rows differ from row_to_json");
    }
    fault.run(
        Math.max(0, expected.size() - out.lines()),
        out.bytesBad(),
        left,
        "exit "
            + r.exit()
            + ": "
            + out.lines()
            + " rows in "
            + m.get("shards").size()
            + " shards, keys and values equal to row_to_json");
    assertEquals(0, r.exit(), r.stderr());
    assertEquals(expected.size(), out.lines());
    assertEquals(0, differ);
    assertEquals("Ünïcödé Schema", m.get("schema").asText());
    assertEquals("we\"ird", m.at("/columns/4/name").asText());
  }

  @Fault(job = "archive", value = "rows of 30-40 MB (text + jsonb) through a -Xmx160m JVM")
  void hugeValues(FaultLog fault) throws Exception {
    int rows = 5;
    servers.sql(
        "CREATE TABLE huge (id int PRIMARY KEY, body text, doc jsonb)",
        // ~32 MB of text with characters JSON must escape, and a ~6 MB jsonb array, per row.
        "INSERT INTO huge SELECT g, repeat(md5(g::text) || E'\"\\\\ ü\\n', 800000),"
            + " (SELECT jsonb_agg(md5((g * 100000 + i)::text)) FROM generate_series(1, 170000) i)"
            + " FROM generate_series(1, "
            + rows
            + ") g");
    Map<String, String> bodyMd5 = new HashMap<>();
    long rowBytes;
    try (Connection c = servers.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT id, md5(body), max(octet_length(body) + octet_length(doc::text)) OVER ()"
                    + " FROM huge")) {
      rowBytes = 0;
      while (rs.next()) {
        bodyMd5.put(rs.getString(1), rs.getString(2));
        rowBytes = rs.getLong(3);
      }
    }
    for (String bound : List.of("default", "disabled")) {
      String prefix = "huge-" + bound + "/";
      List<String> args = forkedArgs(prefix, "--tables=huge");
      if (bound.equals("disabled")) {
        // As before the fix: row-count fetches of 2000 rows; the maxResultBuffer backstop trips.
        args.add("--fetchBufferBytes=1099511627776");
      }
      Forked.Ended r =
          Forked.run(
              List.of("-Xmx160m"),
              args,
              servers.environment(),
              dir.resolve("run-" + RUNS.incrementAndGet()),
              600);
      long ok = 0;
      long lines = 0;
      if (r.exit() == 0) {
        for (String key : servers.keys(prefix + "public.huge/")) {
          if (!key.endsWith(".jsonl.gz")) {
            continue;
          }
          for (String line : JsonLines.lines(servers.object(key))) {
            lines++;
            JsonNode n = HUGE_JSON.readTree(line);
            String md5 =
                HexFormat.of()
                    .formatHex(
                        MessageDigest.getInstance("MD5")
                            .digest(n.get("body").asText().getBytes(StandardCharsets.UTF_8)));
            if (md5.equals(bodyMd5.get(n.get("id").asText())) && n.get("doc").size() == 170000) {
              ok++;
            }
          }
        }
      }
      List<String> left = new ArrayList<>(ArchiveOutput.leftovers(servers, prefix));
      fault.run(
          rows - ok,
          0,
          left,
          "byte bound "
              + bound
              + ": exit "
              + r.exit()
              + ", "
              + ok
              + "/"
              + rows
              + " rows of "
              + (rowBytes >> 20)
              + " MB intact, peak RSS "
              + (r.peakRssKb() >> 10)
              + " MB"
              + (r.stderr().contains("one row per round trip")
                  ? ", backstop tripped and range retried"
                  : ""));
      assertEquals(0, r.exit(), r.stderr());
      assertEquals(rows, lines);
      assertEquals(rows, ok);
      assertEquals(List.of(), left);
    }
  }

  @Fault(
      job = "archive",
      value = "rows of 30-40 MB as Parquet through a -Xmx512m JVM, restored through another")
  void hugeValuesAsParquet(FaultLog fault) throws Exception {
    int rows = 3;
    servers.sql(
        "CREATE TABLE huge_pq (id int PRIMARY KEY, body text, doc jsonb)",
        "INSERT INTO huge_pq SELECT g, repeat(md5(g::text) || E'\"\\\\ ü\\n', 800000),"
            + " (SELECT jsonb_agg(md5((g * 100000 + i)::text)) FROM generate_series(1, 170000) i)"
            + " FROM generate_series(1, "
            + rows
            + ") g",
        "CREATE SCHEMA IF NOT EXISTS back");
    String prefix = "huge-parquet/";
    // Parquet holds a value whole in its page (JSON lines pass it on in pieces): about three
    // copies of the largest row per export thread, so this heap, not JSON lines' 160 MB.
    Forked.Ended archive =
        Forked.run(
            List.of("-Xmx512m"),
            forkedArgs(prefix, "--tables=huge_pq", "--format=parquet"),
            servers.environment(),
            dir.resolve("run-" + RUNS.incrementAndGet()),
            600);
    Forked.Ended restore = null;
    long ok = 0;
    if (archive.exit() == 0) {
      restore =
          Forked.run(
              List.of("-Xmx512m"),
              List.of(
                  "restore",
                  "--input=s3://hose/" + prefix + "public.huge_pq/",
                  "--table=back.huge_pq",
                  "--create",
                  "--jdbcUrl=" + servers.jdbcUrl(),
                  "--username=postgres",
                  "--passwordEnv=HOSE_PG_PASSWORD",
                  "--awsRegion=us-east-1",
                  "--endpoint=" + servers.s3.endpoint()),
              servers.environment(),
              dir.resolve("run-" + RUNS.incrementAndGet()),
              600);
      if (restore.exit() == 0) {
        try (Connection c = servers.connect();
            Statement s = c.createStatement();
            ResultSet rs =
                s.executeQuery(
                    "SELECT count(*) FROM huge_pq h JOIN back.huge_pq b USING (id)"
                        + " WHERE md5(h.body) = md5(b.body) AND h.doc = b.doc")) {
          rs.next();
          ok = rs.getLong(1);
        }
      }
    }
    List<String> left = new ArrayList<>(ArchiveOutput.leftovers(servers, prefix));
    fault.run(
        rows - ok,
        0,
        left,
        "archive exit "
            + archive.exit()
            + " (peak RSS "
            + (archive.peakRssKb() >> 10)
            + " MB), restore exit "
            + (restore == null
                ? "-"
                : restore.exit() + " (peak RSS " + (restore.peakRssKb() >> 10) + " MB)")
            + ", "
            + ok
            + "/"
            + rows
            + " rows equal after the round trip");
    assertEquals(0, archive.exit(), archive.stderr());
    assertEquals(0, restore.exit(), restore.stderr());
    assertEquals(rows, ok);
    assertEquals(List.of(), left);
  }

  // ---- helpers ----

  private void refused(FaultLog fault, String attempt, String... extra) throws Exception {
    String prefix = "inject-" + RUNS.incrementAndGet() + "/";
    String before = fingerprint();
    List<String> all = new ArrayList<>(List.of(extra));
    all.add("--output=s3://hose/" + prefix);
    Run r = cli(all.toArray(new String[0]));
    String after = fingerprint();
    List<String> left = new ArrayList<>(ArchiveOutput.leftovers(servers, prefix));
    if (!servers.keys(prefix).isEmpty() && left.isEmpty()) {
      left.add(servers.keys(prefix).size() + " objects written");
    }
    if (!before.equals(after)) {
      left.add("database changed: " + before + " -> " + after);
    }
    String[] lines = r.err.strip().split("\n");
    String line = lines[lines.length - 1].replace("hose archive: error: ", "");
    fault.run(
        0,
        0,
        left,
        attempt
            + " → exit "
            + r.exit
            + ": "
            + (line.length() > 70 ? line.substring(0, 70) + "…" : line));
    assertTrue(r.exit != 0, attempt + ": " + r.err);
    assertEquals(1, lines.length, "one line: " + r.err);
    assertTrue(lines[0].startsWith("hose archive: error: "), r.err);
    assertEquals(before, after, attempt);
    assertEquals(List.of(), servers.keys(prefix), attempt);
  }

  /** Rows and content of victim, tables in public, the sequence, and the audit table. */
  private static String fingerprint() throws Exception {
    try (Connection c = servers.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT (SELECT count(*) || '/' || md5(string_agg(id || v, ',' ORDER BY id)) FROM victim)"
                    + " || ' ' || (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace)"
                    + " || ' ' || (SELECT last_value || '/' || is_called FROM victim_seq)"
                    + " || ' ' || (SELECT count(*) FROM audit)"
                    + " || ' ' || (SELECT count(*) FROM pg_largeobject_metadata)"
                    + " || ' ' || (SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace)")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static List<String> forkedArgs(String prefix, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "archive",
                "--jdbcUrl=" + servers.jdbcUrl(),
                "--username=postgres",
                "--passwordEnv=HOSE_PG_PASSWORD",
                "--output=s3://hose/" + prefix,
                "--awsRegion=us-east-1",
                "--endpoint=" + servers.s3.endpoint(),
                "--s3UploadBufferSizeBytes=5242880"));
    a.addAll(List.of(extra));
    return a;
  }

  private record Run(int exit, String err) {}

  private static Run cli(String... extra) {
    List<String> args = new ArrayList<>();
    args.add("archive");
    args.addAll(servers.archiveArgs());
    args.addAll(List.of(extra));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        new Cli(List.of(new ArchiveCommand()), new PrintStream(err, true, StandardCharsets.UTF_8))
            .execute(args.toArray(new String[0]));
    return new Run(exit, err.toString(StandardCharsets.UTF_8));
  }
}
