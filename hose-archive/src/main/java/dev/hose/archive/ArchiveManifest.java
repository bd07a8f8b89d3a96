package dev.hose.archive;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hose.common.Json;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One table's {@code _manifest.json}, the commit marker of an archive: the only class that writes
 * it ({@link #toJson}, from {@link CommitTableFn}) and reads it ({@link #parse}, for archive's
 * commit checks, verify and restore). The JSON holds the fields in this record's order; a reader
 * ignores fields it does not know, so that a later format can add some.
 */
@JsonPropertyOrder({
  "format",
  "runId",
  "schema",
  "table",
  "source",
  "serverVersion",
  "startedAt",
  "finishedAt",
  "snapshot",
  "partitioning",
  "filter",
  "filterParameters",
  "shardFormat",
  "compression",
  "parquetSchema",
  "columns",
  "rowCount",
  "jsonBytes",
  "compressedBytes",
  "shards"
})
public record ArchiveManifest(
    String format,
    String runId,
    String schema,
    String table,
    String source,
    String serverVersion,
    String startedAt,
    String finishedAt,
    Snapshot snapshot,
    Partitioning partitioning,
    String filter,
    List<String> filterParameters,
    String shardFormat,
    String compression,
    @JsonInclude(JsonInclude.Include.NON_NULL) String parquetSchema,
    List<Column> columns,
    long rowCount,
    long jsonBytes,
    long compressedBytes,
    List<Shard> shards)
    implements Serializable {
  /** The file name of the manifest in a table's directory. */
  public static final String FILE = "_manifest.json";

  /** What this version of hose writes. */
  public static final String FORMAT = "hose-archive/1";

  /** The shards' format: one JSON object per line ({@code "shardFormat"}). */
  public static final String JSON_LINES = "jsonl";

  /** The shards' format: Parquet files, typed by {@code "parquetSchema"}. */
  public static final String PARQUET = "parquet";

  /** The snapshot the table was read from, and whether every shard read that one. */
  @JsonPropertyOrder({"id", "consistent", "standby", "note"})
  public record Snapshot(String id, boolean consistent, boolean standby, String note)
      implements Serializable {}

  /** How the table was split into ranges. */
  @JsonPropertyOrder({"strategy", "column"})
  public record Partitioning(String strategy, String column) implements Serializable {}

  /**
   * A column: its name and its type as {@code format_type} spells it.
   *
   * @param fallback why a Parquet archive holds the column as its text form although its type has a
   *     Parquet type (e.g. a {@code numeric(12,2)} that holds NaN); null when it does not
   */
  @JsonPropertyOrder({"name", "type", "nullable", "fallback"})
  public record Column(
      String name,
      String type,
      boolean nullable,
      @JsonInclude(JsonInclude.Include.NON_NULL) String fallback)
      implements Serializable {
    public Column(String name, String type, boolean nullable) {
      this(name, type, nullable, null);
    }
  }

  /** A shard: its file name in the table's directory and what it must hold. */
  @JsonPropertyOrder({"path", "rows", "jsonBytes", "compressedBytes", "sha256"})
  public record Shard(String path, long rows, long jsonBytes, long compressedBytes, String sha256)
      implements Serializable {}

  public ArchiveManifest {
    filterParameters = filterParameters == null ? null : List.copyOf(filterParameters);
    columns = List.copyOf(columns);
    shards = List.copyOf(shards);
  }

  /** {@code schema.table}, as the catalog spells it. */
  public String tableName() {
    return schema + "." + table;
  }

  /** The manifest as archive writes it: indented JSON and a final newline. */
  public String toJson() {
    try {
      return Json.PRETTY.writeValueAsString(this) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the manifest of " + tableName(), e);
    }
  }

  /**
   * Reads a manifest's text. It must say {@code "format": "hose-archive/…"} and hold what verify
   * and restore need (schema, table, columns, rowCount, and per shard path, rows, compressedBytes,
   * sha256); a shard path may not leave the table's directory. Anything else missing reads as null
   * or 0 (older manifests), a missing {@code nullable} as true, a missing {@code shardFormat} and
   * {@code compression} as {@code jsonl} and {@code gzip}. A shard format or a compression this
   * hose cannot read is an error, and so are Parquet shards without a {@code parquetSchema}.
   *
   * @throws IllegalArgumentException naming the first thing that is wrong
   */
  public static ArchiveManifest parse(String json) {
    JsonNode m;
    try {
      m = Json.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    }
    if (m == null || !m.path("format").asText().startsWith("hose-archive/")) {
      throw new IllegalArgumentException("no \"format\": \"" + FORMAT + "\"");
    }
    JsonNode snapshot = m.path("snapshot");
    JsonNode partitioning = m.path("partitioning");
    List<String> filterParameters = new ArrayList<>();
    m.path("filterParameters").forEach(p -> filterParameters.add(p.asText()));
    ShardCodec codec = ShardCodec.ofManifest(text(m, "shardFormat"), text(m, "compression"));
    if (codec.parquet() && text(m, "parquetSchema") == null) {
      throw new IllegalArgumentException("no \"parquetSchema\" for Parquet shards");
    }
    return new ArchiveManifest(
        m.path("format").asText(),
        text(m, "runId"),
        required(m, "schema").asText(),
        required(m, "table").asText(),
        text(m, "source"),
        text(m, "serverVersion"),
        text(m, "startedAt"),
        text(m, "finishedAt"),
        new Snapshot(
            text(snapshot, "id"),
            snapshot.path("consistent").asBoolean(),
            snapshot.path("standby").asBoolean(),
            text(snapshot, "note")),
        new Partitioning(text(partitioning, "strategy"), text(partitioning, "column")),
        text(m, "filter"),
        filterParameters,
        codec.format(),
        codec.label(),
        text(m, "parquetSchema"),
        columns(m),
        required(m, "rowCount").asLong(),
        m.path("jsonBytes").asLong(),
        m.path("compressedBytes").asLong(),
        shards(m));
  }

  /**
   * The run that wrote a manifest's text (its {@code runId}), read without checking the rest; null
   * if the text is not JSON or names no run.
   */
  public static String runIdOf(String json) {
    try {
      JsonNode m = Json.MAPPER.readTree(json);
      return m == null ? null : text(m, "runId");
    } catch (JsonProcessingException notJson) {
      return null;
    }
  }

  /** The codec that reads this manifest's shards. */
  public ShardCodec codec() {
    return ShardCodec.ofManifest(shardFormat, compression);
  }

  private static List<Column> columns(JsonNode m) {
    List<Column> columns = new ArrayList<>();
    for (JsonNode c : required(m, "columns")) {
      columns.add(
          new Column(
              required(c, "name").asText(),
              required(c, "type").asText(),
              c.path("nullable").asBoolean(true),
              text(c, "fallback")));
    }
    return columns;
  }

  private static List<Shard> shards(JsonNode m) {
    List<Shard> shards = new ArrayList<>();
    for (JsonNode s : required(m, "shards")) {
      String path = required(s, "path").asText();
      if (path.contains("/") || path.startsWith(".")) {
        throw new IllegalArgumentException("shard path '" + path + "' leaves the table directory");
      }
      shards.add(
          new Shard(
              path,
              required(s, "rows").asLong(),
              s.path("jsonBytes").asLong(),
              required(s, "compressedBytes").asLong(),
              required(s, "sha256").asText()));
    }
    return shards;
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static JsonNode required(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException("no \"" + field + "\"");
    }
    return v;
  }
}
