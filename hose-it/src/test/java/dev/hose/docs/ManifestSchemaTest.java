package dev.hose.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hose.archive.ArchiveManifest;
import dev.hose.archive.ParquetColumns;
import dev.hose.archive.ShardCodec;
import dev.hose.support.ArchiveRun;
import dev.hose.support.ManifestSchema;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docs/manifest.schema.json describes the manifest that {@link ArchiveManifest} writes: the same
 * fields at every level, and what the writer produces conforms. (The integration tests check every
 * manifest a run writes against it too.)
 */
class ManifestSchemaTest {
  private static final String SHA = "a".repeat(64);

  @Test
  void theSchemaNamesExactlyTheFieldsTheManifestHasAtEveryLevel() {
    JsonNode schema = ManifestSchema.document();
    assertFields(ArchiveManifest.class, schema);
    JsonNode properties = schema.path("properties");
    assertFields(ArchiveManifest.Snapshot.class, properties.path("snapshot"));
    assertFields(ArchiveManifest.Partitioning.class, properties.path("partitioning"));
    assertFields(ArchiveManifest.Column.class, properties.path("columns").path("items"));
    assertFields(ArchiveManifest.Shard.class, properties.path("shards").path("items"));
    List<String> codecs = new ArrayList<>();
    properties.path("compression").path("enum").forEach(c -> codecs.add(c.asText()));
    assertEquals(
        List.of(ShardCodec.values()).stream().map(ShardCodec::label).distinct().toList(), codecs);
  }

  @Test
  void whatTheWriterWritesConformsAndDamageDoesNot() throws Exception {
    for (ShardCodec codec : ShardCodec.values()) {
      ManifestSchema.assertValid(codec.label(), manifest(codec).toJson());
    }
    ObjectNode noRows = (ObjectNode) ArchiveRun.JSON.readTree(manifest(ShardCodec.GZIP).toJson());
    noRows.remove("rowCount");
    assertRefused(noRows, "rowCount");
    ObjectNode badSha = (ObjectNode) ArchiveRun.JSON.readTree(manifest(ShardCodec.GZIP).toJson());
    ((ObjectNode) badSha.withArray("shards").get(0)).put("sha256", "XYZ");
    assertRefused(badSha, "sha256");
    ObjectNode badTime = (ObjectNode) ArchiveRun.JSON.readTree(manifest(ShardCodec.ZSTD).toJson());
    badTime.put("finishedAt", "yesterday");
    assertRefused(badTime, "finishedAt");
    ObjectNode lz4 = (ObjectNode) ArchiveRun.JSON.readTree(manifest(ShardCodec.ZSTD).toJson());
    lz4.put("compression", "lz4");
    assertRefused(lz4, "compression");
    ObjectNode gzipParquet =
        (ObjectNode) ArchiveRun.JSON.readTree(manifest(ShardCodec.PARQUET_ZSTD).toJson());
    gzipParquet.put("compression", "gzip");
    assertRefused(gzipParquet, "compression");
    ObjectNode noSchema =
        (ObjectNode) ArchiveRun.JSON.readTree(manifest(ShardCodec.PARQUET_SNAPPY).toJson());
    noSchema.remove("parquetSchema");
    assertRefused(noSchema, "parquetSchema");
  }

  private static void assertRefused(JsonNode manifest, String field) {
    AssertionError e =
        assertThrows(AssertionError.class, () -> ManifestSchema.assertValid("m", manifest));
    assertTrue(e.getMessage().contains(field), e.getMessage());
  }

  private static void assertFields(Class<?> type, JsonNode schema) {
    List<String> documented = new ArrayList<>();
    schema.path("properties").fieldNames().forEachRemaining(documented::add);
    assertEquals(
        List.of(type.getAnnotation(JsonPropertyOrder.class).value()),
        documented,
        type.getSimpleName() + ": the schema's properties, in the manifest's order");
  }

  private static final List<ArchiveManifest.Column> COLUMNS =
      List.of(
          new ArchiveManifest.Column("id", "bigint", false),
          new ArchiveManifest.Column("amount", "numeric(12,2)", true, "holds NaN or infinity"));

  private static ArchiveManifest manifest(ShardCodec codec) {
    return new ArchiveManifest(
        ArchiveManifest.FORMAT,
        "20261203T000000Z-0a1b2c3d",
        "sales",
        "Order Items",
        "jdbc:postgresql://db:5432/shop",
        "16.4",
        "2026-12-03T00:00:00Z",
        "2026-12-03T00:00:09.123456Z",
        new ArchiveManifest.Snapshot("00000003-0000001B-1", true, false, "every shard read it"),
        new ArchiveManifest.Partitioning("key", "id"),
        "qty > ?",
        List.of("0"),
        codec.format(),
        codec.label(),
        codec.parquet() ? ParquetColumns.schema(COLUMNS).toString() : null,
        COLUMNS,
        3,
        120,
        80,
        List.of(
            new ArchiveManifest.Shard(codec.shardName(0, 2), 2, 80, 50, SHA),
            new ArchiveManifest.Shard(codec.shardName(1, 2), 1, 40, 30, SHA)));
  }
}
