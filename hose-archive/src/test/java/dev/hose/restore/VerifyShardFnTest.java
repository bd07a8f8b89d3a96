package dev.hose.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hose.archive.ArchiveManifest;
import dev.hose.archive.ShardCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** VerifyShardFn on local shards: one problem line per way a shard can differ from its manifest. */
@ExtendWith(TestPipelineExtension.class)
class VerifyShardFnTest {
  private static final List<ArchiveManifest.Column> COLUMNS =
      List.of(
          new ArchiveManifest.Column("id", "integer", true),
          new ArchiveManifest.Column("name", "text", true));
  private static final String GOOD = "{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":null}\n";

  @TempDir Path dir;

  @Test
  void aShardThatMatchesItsManifestHasNoProblem(TestPipeline pipeline) throws Exception {
    assertEquals(Set.of(), verify(pipeline, task("a.jsonl.gz", gzip(GOOD), 2)));
  }

  @Test
  void eachDifferenceIsOneLineNamingTableAndShard(TestPipeline pipeline) throws Exception {
    byte[] good = gzip(GOOD);
    ShardTask missing = task("missing.jsonl.gz", good, 2);
    Files.delete(Path.of(missing.location()));
    ShardTask shortCount = task("count.jsonl.gz", good, 3);
    ShardTask badLine = task("line.jsonl.gz", gzip("{\"id\":1,\"name\":\"a\"}\n{\"id\":2}\n"), 2);
    ShardTask truncated = task("cut.jsonl.gz", Arrays.copyOf(good, good.length - 12), 2);
    ShardTask otherBytes = withSha(task("sha.jsonl.gz", good, 2), "00".repeat(32));

    Set<String> problems = verify(pipeline, missing, shortCount, badLine, truncated, otherBytes);

    assertEquals(
        Set.of(
            "public.t\tmissing.jsonl.gz: missing shard (the manifest lists it)",
            "public.t\tcount.jsonl.gz: 2 lines, the manifest says 3 rows",
            "public.t\tline.jsonl.gz: line 2: 1 keys, the manifest has 2 columns",
            "public.t\tsha.jsonl.gz: sha256 "
                + sha256(good)
                + ", the manifest says "
                + "00".repeat(32)),
        Set.copyOf(problems.stream().filter(p -> !p.contains("cut.jsonl.gz")).toList()),
        String.join("\n", problems));
    assertEquals(
        true,
        problems.stream()
            .anyMatch(
                p ->
                    p.startsWith("public.t\tcut.jsonl.gz: does not decompress")
                        || p.startsWith("public.t\tcut.jsonl.gz: cannot be read as gzip")),
        String.join("\n", problems));
  }

  private static Set<String> verify(TestPipeline pipeline, ShardTask... tasks) {
    pipeline
        .apply(
            Create.of(ShardBatch.of(List.of(tasks), 3))
                .withCoder(SerializableCoder.of(ShardBatch.class)))
        .apply(ParDo.of(new VerifyShardFn()));
    return VerifyPipeline.problemsOf(pipeline.run());
  }

  private ShardTask task(String name, byte[] bytes, long rows) throws Exception {
    Path file = Files.write(dir.resolve(name), bytes);
    ArchiveManifest.Shard shard =
        new ArchiveManifest.Shard(name, rows, GOOD.length(), bytes.length, sha256(bytes));
    return new ShardTask("public.t", file.toString(), ShardCodec.GZIP, shard, COLUMNS);
  }

  private static ShardTask withSha(ShardTask t, String sha256) {
    ArchiveManifest.Shard s = t.shard();
    return new ShardTask(
        t.table(),
        t.location(),
        t.codec(),
        new ArchiveManifest.Shard(s.path(), s.rows(), s.jsonBytes(), s.compressedBytes(), sha256),
        t.columns());
  }

  private static byte[] gzip(String text) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
