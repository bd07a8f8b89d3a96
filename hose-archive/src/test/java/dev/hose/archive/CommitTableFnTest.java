package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hose.common.OutputClaim;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.IterableCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit that the runner restarts (its worker lost after it moved some shards, or after it wrote
 * the manifest) completes when run again on the same shard figures.
 */
@ExtendWith(TestPipelineExtension.class)
class CommitTableFnTest {
  private static final TableRef TABLE = new TableRef("public", "t");
  private static final String RUN = "20261201T000000Z-restart";

  @TempDir Path dir;

  @Test
  void aRestartedCommitFindsItsOwnMovesAndManifest(TestPipeline pipeline) throws Exception {
    ArchiveFiles files = new ArchiveFiles(dir.toString(), RUN, ShardCodec.ZSTD);
    try (OutputClaim claim =
        OutputClaim.acquire(files.tableOutput(TABLE), RUN, "test", null, false)) {
      restartedCommit(pipeline, files);
    }
  }

  private void restartedCommit(TestPipeline pipeline, ArchiveFiles files) throws Exception {
    List<ShardResult> shards = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ExportRange range = new ExportRange(TABLE, i, 3, "true", List.of());
      Path temp = Path.of(files.tempShard(range, "a" + i).toString());
      Files.createDirectories(temp.getParent());
      byte[] bytes = ("shard " + i).getBytes(StandardCharsets.UTF_8);
      Files.write(temp, bytes);
      shards.add(
          new ShardResult(
              TABLE, i, 3, temp.toString(), 10 + i, 100, bytes.length, "sha" + i, true, 1, 1, 1));
    }
    // The earlier attempt moved shard 0 and wrote the manifest before its worker was lost.
    Path tableDir = dir.resolve(TABLE.dirName());
    Files.createDirectories(tableDir);
    Files.move(Path.of(shards.get(0).tempPath()), tableDir.resolve(name(shards.get(0))));
    Files.writeString(tableDir.resolve(ArchiveManifest.FILE), "{\"runId\":\"" + RUN + "\"}\n");

    TablePlan plan =
        new TablePlan(TABLE, List.of(), "whole", null, null, List.of(), 33, 3, java.util.Map.of());
    CommitTableFn.RunInfo run =
        new CommitTableFn.RunInfo(
            RUN, Instant.now(), "snap", "jdbc:postgresql:x", "17", Standby.NONE, false);
    PCollection<String> manifests =
        pipeline
            .apply(
                Create.of(KV.of(TABLE.dirName(), (Iterable<ShardResult>) shards))
                    .withCoder(
                        KvCoder.of(
                            StringUtf8Coder.of(),
                            IterableCoder.of(SerializableCoder.of(ShardResult.class)))))
            .apply(ParDo.of(new CommitTableFn(Map.of(TABLE, plan), files, run)));
    PAssert.that(manifests).containsInAnyOrder(files.manifest(TABLE).toString());
    pipeline.run().waitUntilFinish();

    JsonNode manifest =
        new ObjectMapper().readTree(tableDir.resolve(ArchiveManifest.FILE).toFile());
    assertEquals(RUN, manifest.path("runId").asText());
    assertEquals(33, manifest.path("rowCount").asLong(), "each shard counted once");
    assertEquals(3, manifest.path("shards").size());
    assertEquals("zstd", manifest.path("compression").asText());
    assertEquals(
        "part-00002-of-00003.jsonl.zst", manifest.path("shards").get(2).path("path").asText());
    for (ShardResult s : shards) {
      assertTrue(Files.exists(tableDir.resolve(name(s))), name(s));
      assertFalse(Files.exists(Path.of(s.tempPath())), s.tempPath());
    }
  }

  private static String name(ShardResult s) {
    return ShardCodec.ZSTD.shardName(s.shard(), s.shardCount());
  }
}
