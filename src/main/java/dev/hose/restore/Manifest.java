package dev.hose.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hose.common.UserError;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One table's {@code _manifest.json} as archive writes it ({@code format: hose-archive/1}): where
 * the table's directory is, its columns with their PostgreSQL types, and per shard its rows,
 * compressed size and sha256.
 *
 * @param dir the table's directory, ending in {@code /} (an s3:// URL or a local path)
 */
public record Manifest(
    String dir,
    String schema,
    String table,
    List<ManifestColumn> columns,
    long rowCount,
    long compressedBytes,
    List<Shard> shards)
    implements Serializable {
  static final String FILE = "_manifest.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A column: its name and its type as {@code format_type} spells it. */
  public record ManifestColumn(String name, String type, boolean nullable)
      implements Serializable {}

  /** A shard: its file name in the table's directory and what it must hold. */
  public record Shard(String path, long rows, long compressedBytes, String sha256)
      implements Serializable {}

  public Manifest {
    columns = List.copyOf(columns);
    shards = List.copyOf(shards);
  }

  /** {@code schema.table}, as the catalog spells it. */
  public String tableName() {
    return schema + "." + table;
  }

  /** The full location of one of this table's shards. */
  public String location(Shard shard) {
    return dir + shard.path();
  }

  /** Reads the manifest at {@code dir + _manifest.json}; a malformed one is a {@link UserError}. */
  public static Manifest read(String dir) throws IOException {
    String text = ArchiveStore.readString(dir + FILE);
    try {
      return parse(dir, JSON.readTree(text));
    } catch (IOException | RuntimeException e) {
      throw new UserError(dir + FILE + " is not a hose manifest: " + e.getMessage(), e);
    }
  }

  static Manifest parse(String dir, JsonNode m) {
    if (!m.path("format").asText().startsWith("hose-archive/")) {
      throw new IllegalArgumentException("no \"format\": \"hose-archive/1\"");
    }
    List<ManifestColumn> columns = new ArrayList<>();
    for (JsonNode c : required(m, "columns")) {
      columns.add(
          new ManifestColumn(
              required(c, "name").asText(),
              required(c, "type").asText(),
              c.path("nullable").asBoolean(true)));
    }
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
              required(s, "compressedBytes").asLong(),
              required(s, "sha256").asText()));
    }
    return new Manifest(
        dir,
        required(m, "schema").asText(),
        required(m, "table").asText(),
        columns,
        required(m, "rowCount").asLong(),
        m.path("compressedBytes").asLong(),
        shards);
  }

  private static JsonNode required(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException("no \"" + field + "\"");
    }
    return v;
  }

  /**
   * The table directories under {@code input} that hold a manifest: {@code input} itself when it is
   * one table's directory, else its subdirectories (a run's output prefix).
   */
  public static List<String> tableDirs(String input) throws IOException {
    String root = ArchiveStore.asDirectory(input);
    if (ArchiveStore.exists(root + FILE)) {
      return List.of(root);
    }
    List<String> dirs = new ArrayList<>();
    for (String m : ArchiveStore.list(root + "*/" + FILE)) {
      dirs.add(m.substring(0, m.length() - FILE.length()));
    }
    return dirs;
  }
}
