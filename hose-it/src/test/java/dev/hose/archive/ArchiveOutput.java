package dev.hose.archive;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hose.support.ArchiveRun;
import dev.hose.support.JsonLines;
import dev.hose.support.ManifestSchema;
import dev.hose.support.TestServers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * What an archive left under an S3 prefix, measured with an independent S3 client: the committed
 * output checked shard by shard against its manifest, and everything that should not be there.
 */
public final class ArchiveOutput {
  private ArchiveOutput() {}

  /**
   * A table's committed output.
   *
   * @param manifest whether {@code _manifest.json} exists
   * @param manifestRows the row count the manifest claims
   * @param lines JSON lines (or Parquet rows) found in the shards the manifest lists
   * @param keys distinct row keys among them
   * @param bytesBad bytes of listed shards that are missing or differ from the manifest's sha256
   */
  public record Committed(
      boolean manifest, long manifestRows, long lines, Set<String> keys, long bytesBad) {
    /** Rows the source had that the committed output lacks (all of them if nothing committed). */
    public long rowsLost(long expected) {
      return manifest ? Math.max(0, expected - keys.size()) : expected;
    }
  }

  /**
   * Reads {@code prefix/schema.table/}; {@code key} extracts a row's identity from its JSON line (a
   * Parquet row's identity is its first column, with parquet-java's own reader).
   */
  public static Committed committed(
      TestServers servers, String prefix, String table, Function<String, String> key)
      throws Exception {
    String dir = prefix + table + "/";
    List<String> keys = servers.keys(dir);
    if (!keys.contains(dir + "_manifest.json")) {
      return new Committed(false, 0, 0, Set.of(), 0);
    }
    JsonNode m = ArchiveRun.JSON.readTree(servers.object(dir + "_manifest.json"));
    ManifestSchema.assertValid("s3://hose/" + dir + "_manifest.json", m);
    long lines = 0;
    long bad = 0;
    Set<String> ids = new HashSet<>();
    for (JsonNode shard : m.get("shards")) {
      String name = dir + shard.get("path").asText();
      if (!keys.contains(name)) {
        bad += shard.get("compressedBytes").asLong();
        continue;
      }
      byte[] gz = servers.object(name);
      String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(gz));
      if (!sha.equals(shard.get("sha256").asText())) {
        bad += gz.length;
      }
      long[] count = {0};
      if (name.endsWith(".parquet")) {
        ParquetRows.forEachFirstColumn(
            gz,
            first -> {
              count[0]++;
              ids.add(first);
            });
      } else {
        JsonLines.forEach(
            gz,
            line -> {
              count[0]++;
              ids.add(key.apply(line));
            });
      }
      lines += count[0];
    }
    return new Committed(true, m.get("rowCount").asLong(), lines, ids, bad);
  }

  /** The value of a leading {@code {"id":N,} field, fast (no JSON parse). */
  public static String leadingId(String line) {
    return line.substring(6, line.indexOf(','));
  }

  /**
   * What should not be under {@code prefix} after a run: temp objects, pending multipart uploads,
   * and shards in a table directory that has no manifest.
   */
  public static List<String> leftovers(TestServers servers, String prefix) {
    List<String> found = new ArrayList<>();
    List<String> keys = servers.keys(prefix);
    long temp = keys.stream().filter(k -> k.contains("/_hose_temp/")).count();
    if (temp > 0) {
      found.add(temp + " temp objects");
    }
    if (keys.stream().anyMatch(k -> k.endsWith("/_hose_claim.json"))) {
      found.add("the run's output claim");
    }
    int uploads = uploads(servers, prefix);
    if (uploads > 0) {
      found.add(uploads + " multipart uploads");
    }
    long orphanShards =
        keys.stream()
            .filter(k -> k.matches(".*/part-\\d{5}-of-\\d{5}\\.jsonl\\.(gz|zst)"))
            .filter(k -> !keys.contains(k.substring(0, k.lastIndexOf('/') + 1) + "_manifest.json"))
            .count();
    if (orphanShards > 0) {
      found.add(orphanShards + " shards without a manifest");
    }
    return found;
  }

  /** Pending multipart uploads under a prefix, listed by an independent client. */
  static int uploads(TestServers servers, String prefix) {
    try (S3Client c = servers.s3Client()) {
      return c.listMultipartUploads(b -> b.bucket(TestServers.BUCKET).prefix(prefix))
          .uploads()
          .size();
    }
  }

  /** Pending multipart uploads of shards (not the destination probe) under a prefix. */
  static int shardUploads(TestServers servers, String prefix) {
    try (S3Client c = servers.s3Client()) {
      return (int)
          c
              .listMultipartUploads(b -> b.bucket(TestServers.BUCKET).prefix(prefix))
              .uploads()
              .stream()
              .filter(u -> u.key().contains("/part-"))
              .count();
    }
  }

  /** Whether any manifest exists under the prefix. */
  static boolean anyManifest(TestServers servers, String prefix) {
    return servers.keys(prefix).stream().anyMatch(k -> k.endsWith("/_manifest.json"));
  }

  /** Fails if a canary secret appears in {@code text}; returns which did, for the report. */
  public static List<String> secretsIn(String text) {
    List<String> found = new ArrayList<>();
    for (String secret :
        List.of(TestServers.PASSWORD, TestServers.SECRET_KEY, TestServers.ACCESS_KEY)) {
      if (text.contains(secret)) {
        found.add(secret.equals(TestServers.PASSWORD) ? "database password" : "S3 key " + secret);
      }
    }
    return found;
  }

  public static String oneLine(String stderr) {
    List<String> lines = stderr.lines().filter(l -> l.startsWith("hose ")).toList();
    return lines.isEmpty() ? "(no error line)" : lines.get(lines.size() - 1);
  }

  public static String text(byte[] utf8) {
    return new String(utf8, StandardCharsets.UTF_8);
  }
}
