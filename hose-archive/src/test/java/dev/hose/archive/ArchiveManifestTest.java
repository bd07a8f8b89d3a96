package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The manifest's one reader and writer: the JSON archive writes, and what readers accept. */
class ArchiveManifestTest {
  private static final ArchiveManifest MANIFEST =
      new ArchiveManifest(
          ArchiveManifest.FORMAT,
          "20261203T000000Z-0a1b2c3d",
          "sales",
          "Order Items",
          "jdbc:postgresql://db:5432/shop",
          "16.4",
          "2026-12-03T00:00:00Z",
          "2026-12-03T00:00:09Z",
          new ArchiveManifest.Snapshot(
              "00000003-0000001B-1", true, false, "every shard read the launcher's snapshot"),
          new ArchiveManifest.Partitioning("key", "id"),
          "qty > ?",
          List.of("0"),
          ArchiveManifest.JSON_LINES,
          "zstd",
          null,
          List.of(
              new ArchiveManifest.Column("id", "bigint", false),
              new ArchiveManifest.Column("note", "text", true)),
          3,
          120,
          80,
          List.of(
              new ArchiveManifest.Shard(ShardCodec.ZSTD.shardName(0, 2), 2, 80, 50, "ab"),
              new ArchiveManifest.Shard(ShardCodec.ZSTD.shardName(1, 2), 1, 40, 30, "cd")));

  @Test
  void writesTheFieldsInTheirDocumentedOrderAndReadsThemBack() {
    String json = MANIFEST.toJson();
    assertTrue(json.endsWith("}\n"), "one document and a final newline");
    String order =
        "format runId schema table source serverVersion startedAt finishedAt snapshot partitioning"
            + " filter filterParameters shardFormat compression columns rowCount jsonBytes compressedBytes shards";
    int at = -1;
    for (String field : order.split(" ")) {
      int next = json.indexOf("\"" + field + "\" :");
      assertTrue(next > at, field + " after the field before it in " + json);
      at = next;
    }
    assertTrue(json.contains("\"path\" : \"part-00001-of-00002.jsonl.zst\""), json);
    assertEquals(ShardCodec.ZSTD, ArchiveManifest.parse(json).codec());
    assertEquals(MANIFEST, ArchiveManifest.parse(json));
    assertEquals("sales.Order Items", ArchiveManifest.parse(json).tableName());
  }

  @Test
  void nullsAreWrittenAsNullAndReadBackAsNull() {
    ArchiveManifest whole =
        new ArchiveManifest(
            ArchiveManifest.FORMAT,
            "r",
            "public",
            "t",
            null,
            null,
            "2026-12-03T00:00:00Z",
            "2026-12-03T00:00:01Z",
            new ArchiveManifest.Snapshot(null, false, false, "no snapshot"),
            new ArchiveManifest.Partitioning("single", null),
            null,
            List.of(),
            ArchiveManifest.JSON_LINES,
            "gzip",
            null,
            List.of(new ArchiveManifest.Column("a", "integer", true)),
            0,
            0,
            20,
            List.of(new ArchiveManifest.Shard(ShardCodec.GZIP.shardName(0, 1), 0, 0, 20, "ef")));
    String json = whole.toJson();
    assertTrue(json.contains("\"filter\" : null") && json.contains("\"id\" : null"), json);
    assertEquals(whole, ArchiveManifest.parse(json));
  }

  @Test
  void anOlderManifestWithoutOptionalFieldsReads() {
    ArchiveManifest m =
        ArchiveManifest.parse(
            """
            {"format": "hose-archive/1", "schema": "public", "table": "t", "rowCount": 1,
             "columns": [{"name": "a", "type": "integer"}],
             "shards": [{"path": "part-00000-of-00001.jsonl.gz", "rows": 1,
                         "compressedBytes": 20, "sha256": "ef"}]}
            """);
    assertTrue(m.columns().get(0).nullable(), "nullable defaults to true");
    assertNull(m.runId());
    assertEquals(0, m.shards().get(0).jsonBytes());
    assertEquals(ShardCodec.GZIP, m.codec(), "a manifest from before zstd is gzip");
    assertEquals(ArchiveManifest.JSON_LINES, m.shardFormat());
  }

  @Test
  void whatIsNotAHoseManifestIsRefusedNamingWhy() {
    assertEquals(
        "no \"format\": \"hose-archive/1\"",
        assertThrows(IllegalArgumentException.class, () -> ArchiveManifest.parse("{\"a\": 1}"))
            .getMessage());
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> ArchiveManifest.parse("{"))
            .getMessage()
            .startsWith("not JSON"));
    String noRows = MANIFEST.toJson().replace("\"rowCount\" : 3,", "");
    assertEquals(
        "no \"rowCount\"",
        assertThrows(IllegalArgumentException.class, () -> ArchiveManifest.parse(noRows))
            .getMessage());
    String escape = MANIFEST.toJson().replace("part-00001-of-00002.jsonl.zst", "../other/x.gz");
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> ArchiveManifest.parse(escape))
            .getMessage()
            .contains("leaves the table directory"));
    String lz4 = MANIFEST.toJson().replace("\"zstd\"", "\"lz4\"");
    assertEquals(
        "unknown \"compression\": \"lz4\"",
        assertThrows(IllegalArgumentException.class, () -> ArchiveManifest.parse(lz4))
            .getMessage());
    String orc = MANIFEST.toJson().replace("\"jsonl\"", "\"orc\"");
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> ArchiveManifest.parse(orc))
            .getMessage()
            .contains("\"shardFormat\": \"orc\" is not one this hose reads"));
    assertNull(ArchiveManifest.runIdOf("not json"));
    assertEquals(MANIFEST.runId(), ArchiveManifest.runIdOf(MANIFEST.toJson()));
  }
}
