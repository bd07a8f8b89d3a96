package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hose.common.OutputClaim;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline.PipelineExecutionException;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CommitTables} on a local directory: shards arrive in any order and are committed in shard
 * order, manifest last; a table with a shard missing is not committed.
 */
@ExtendWith(TestPipelineExtension.class)
class CommitTablesTest {
  private static final TableRef ORDERS = new TableRef("public", "orders");
  private static final CommitTableFn.RunInfo RUN =
      new CommitTableFn.RunInfo("run1", Instant.EPOCH, null, "test", "16", Standby.NONE, false);

  @TempDir Path out;
  private OutputClaim claim;

  @Test
  void shardsInAnyOrderAreCommittedInShardOrder(TestPipeline pipeline) throws Exception {
    ArchiveFiles files = new ArchiveFiles(out.toString(), "run1");
    claim = OutputClaim.acquire(files.tableOutput(ORDERS), "run1", "test", null, false);
    List<ShardResult> shards = new ArrayList<>(tempShards(files, 3));
    List<ShardResult> arrival = List.of(shards.get(2), shards.get(0), shards.get(1));

    PAssert.that(
            pipeline
                .apply(Create.of(arrival).withCoder(SerializableCoder.of(ShardResult.class)))
                .apply(CommitTables.of(Map.of(ORDERS, plan(3)), files, RUN)))
        .containsInAnyOrder(files.manifest(ORDERS).toString());
    pipeline.run().waitUntilFinish();

    Path dir = out.resolve("public.orders");
    JsonNode manifest = new ObjectMapper().readTree(dir.resolve("_manifest.json").toFile());
    List<String> paths = new ArrayList<>();
    manifest.get("shards").forEach(s -> paths.add(s.get("path").asText()));
    assertEquals(
        List.of(
            "part-00000-of-00003.jsonl.gz",
            "part-00001-of-00003.jsonl.gz",
            "part-00002-of-00003.jsonl.gz"),
        paths);
    assertEquals(3 * 10, manifest.get("rowCount").asLong());
    assertEquals("shard 1", Files.readString(dir.resolve("part-00001-of-00003.jsonl.gz")));
    assertFalse(manifest.get("snapshot").get("consistent").asBoolean());
  }

  @Test
  void aTableWithAShardMissingIsNotCommitted(TestPipeline pipeline) throws Exception {
    ArchiveFiles files = new ArchiveFiles(out.toString(), "run1");
    claim = OutputClaim.acquire(files.tableOutput(ORDERS), "run1", "test", null, false);
    List<ShardResult> written = tempShards(files, 3).subList(0, 2);

    pipeline
        .apply(Create.of(written).withCoder(SerializableCoder.of(ShardResult.class)))
        .apply(CommitTables.of(Map.of(ORDERS, plan(3)), files, RUN));
    PipelineExecutionException e =
        assertThrows(PipelineExecutionException.class, () -> pipeline.run().waitUntilFinish());
    assertTrue(e.getMessage().contains("2 shards written, 3 planned"), e.getMessage());
    assertFalse(Files.exists(out.resolve("public.orders/_manifest.json")));
  }

  @Test
  void aTableWhoseClaimAnotherRunTookOverIsNotCommitted(TestPipeline pipeline) throws Exception {
    ArchiveFiles files = new ArchiveFiles(out.toString(), "run1");
    claim = OutputClaim.acquire(files.tableOutput(ORDERS), "run2", "test", null, false);
    List<ShardResult> shards = tempShards(files, 3);

    pipeline
        .apply(Create.of(shards).withCoder(SerializableCoder.of(ShardResult.class)))
        .apply(CommitTables.of(Map.of(ORDERS, plan(3)), files, RUN));
    PipelineExecutionException e =
        assertThrows(PipelineExecutionException.class, () -> pipeline.run().waitUntilFinish());
    assertTrue(e.getMessage().contains("held by run run2"), e.getMessage());
    assertFalse(Files.exists(out.resolve("public.orders/_manifest.json")));
    assertFalse(Files.exists(out.resolve("public.orders/part-00000-of-00003.jsonl.gz")));
  }

  @AfterEach
  void release() {
    if (claim != null) {
      claim.close();
    }
  }

  private static TablePlan plan(int shards) {
    Column id = new Column("id", "bigint", true, JsonKind.NUMBER, null, ',');
    return new TablePlan(
        ORDERS,
        List.of(id),
        "key",
        "id",
        null,
        List.of(),
        10L * shards,
        shards,
        java.util.Map.of());
  }

  /** Shard files as ExportRangeFn leaves them in the run's temp directory. */
  private static List<ShardResult> tempShards(ArchiveFiles files, int count) throws IOException {
    List<ShardResult> shards = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ExportRange range = new ExportRange(ORDERS, i, count, "TRUE", List.of());
      Path temp = Path.of(files.tempShard(range, "a1").toString());
      Files.createDirectories(temp.getParent());
      byte[] bytes = ("shard " + i).getBytes(StandardCharsets.UTF_8);
      Files.write(temp, bytes);
      shards.add(
          new ShardResult(
              ORDERS, i, count, temp.toString(), 10, 100, bytes.length, "sha", false, 1, 0, 0));
    }
    return shards;
  }
}
