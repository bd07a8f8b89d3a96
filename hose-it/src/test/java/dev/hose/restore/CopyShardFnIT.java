package dev.hose.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.archive.ArchiveManifest;
import dev.hose.archive.Column;
import dev.hose.archive.ShardCodec;
import dev.hose.archive.TableRef;
import dev.hose.common.Secrets;
import dev.hose.embedded.EmbeddedPostgresServer;
import dev.hose.support.TestServers;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * CopyShardFn against a real PostgreSQL: batches of shards COPY into a staging table over several
 * connections at once, and a shard that is not what its manifest says fails naming itself.
 */
@ExtendWith(TestPipelineExtension.class)
class CopyShardFnIT {
  private static TestServers servers;

  @TempDir static Path serversDir;
  @TempDir Path shards;

  @BeforeAll
  static void start() throws Exception {
    servers = TestServers.start(serversDir);
  }

  @AfterAll
  static void stop() throws Exception {
    servers.close();
  }

  @Test
  void batchesOfShardsLoadEveryRowExactly(TestPipeline pipeline) throws Exception {
    TableRef staging = staging("fn_copy");
    List<ShardTask> tasks = new ArrayList<>();
    for (int s = 0; s < 5; s++) {
      StringBuilder lines = new StringBuilder();
      for (int i = 0; i < 1000; i++) {
        long id = s * 1000L + i;
        lines.append(
            String.format(
                "{\"id\":%d,\"note\":%s,\"amount\":%d.%02d}%n",
                id, id % 7 == 0 ? "null" : "\"n\\t" + id + "\"", id, id % 100));
      }
      tasks.add(task("part-" + s + ".jsonl.gz", gzip(lines.toString()), 1000, "00"));
    }

    copy(pipeline, staging, tasks);
    pipeline.run().waitUntilFinish();

    assertEquals(
        "5000 12497500 715 4285",
        query(
            "SELECT count(*) || ' ' || sum(id) || ' ' || count(*) FILTER (WHERE note IS NULL)"
                + " || ' ' || count(*) FILTER (WHERE note = E'n\\t' || id"
                + " AND amount = (id || '.' || lpad((id % 100)::text, 2, '0'))::numeric)"
                + " FROM public.fn_copy"));
  }

  @Test
  void aShardWithOtherBytesThanItsManifestFailsNamingItsRealDigest(TestPipeline pipeline)
      throws Exception {
    TableRef staging = staging("fn_copy_bad");
    byte[] bytes = gzip("{\"id\":1,\"note\":\"a\",\"amount\":1.00}\n");
    ShardTask bad = task("part-9.jsonl.gz", bytes, 1, "11");

    copy(pipeline, staging, List.of(bad));
    Exception e = assertThrows(Exception.class, () -> pipeline.run().waitUntilFinish());

    String message = String.valueOf(e.getMessage());
    assertTrue(
        message.contains("part-9.jsonl.gz")
            && message.contains(
                "has sha256 " + sha256(bytes) + ", the manifest says " + "11".repeat(32)),
        message);
    assertEquals("0", query("SELECT count(*) FROM public.fn_copy_bad"));
  }

  private static TableRef staging(String name) throws Exception {
    servers.sql(
        "DROP TABLE IF EXISTS public." + name,
        "CREATE TABLE public." + name + " (id bigint, note text, amount numeric(12,2))");
    return new TableRef("public", name);
  }

  private static void copy(TestPipeline pipeline, TableRef staging, List<ShardTask> tasks)
      throws Exception {
    List<Column> columns;
    try (Connection c = servers.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT '" + staging.quoted() + "'::regclass::oid")) {
      rs.next();
      columns = Column.ofTable(c, rs.getLong(1));
    }
    RestoreSettings settings =
        new RestoreSettings(
            servers.jdbcUrl(),
            EmbeddedPostgresServer.USER,
            Secrets.of(null, servers.passwordFile.toString()));
    pipeline
        .apply(Create.of(ShardBatch.of(tasks, 2)).withCoder(SerializableCoder.of(ShardBatch.class)))
        .apply(
            ParDo.of(
                new CopyShardFn(
                    settings, Map.of("public.t", new CopyShardFn.Staging(staging, columns)), 2)));
  }

  private ShardTask task(String name, byte[] bytes, long rows, String shaByte) throws Exception {
    Path file = Files.write(shards.resolve(name), bytes);
    String sha = shaByte.equals("00") ? sha256(bytes) : shaByte.repeat(32);
    ArchiveManifest.Shard shard = new ArchiveManifest.Shard(name, rows, 0, bytes.length, sha);
    return new ShardTask(
        "public.t",
        file.toString(),
        ShardCodec.GZIP,
        shard,
        List.of(
            new ArchiveManifest.Column("id", "bigint", true),
            new ArchiveManifest.Column("note", "text", true),
            new ArchiveManifest.Column("amount", "numeric(12,2)", true)));
  }

  private static String query(String sql) throws Exception {
    try (Connection c = servers.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static byte[] gzip(String text) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
