package dev.hose.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hose.archive.ArchiveOptions;
import dev.hose.archive.ArchivePipeline;
import dev.hose.common.CommandLine;
import dev.hose.common.JobJar;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.io.FileSystems;

/** Runs archive in-process against {@link TestServers} and reads what it wrote locally. */
public final class ArchiveRun {
  public static final ObjectMapper JSON = JsonLines.JSON;

  private ArchiveRun() {}

  public static List<ArchivePipeline.TableSummary> archive(TestServers servers, String... extra)
      throws Exception {
    List<String> args = new ArrayList<>(servers.archiveArgs());
    args.addAll(List.of(extra));
    List<ArchivePipeline.TableSummary> summaries =
        ArchivePipeline.run(
            CommandLine.parse(args.toArray(new String[0]), ArchiveOptions.class, JobJar.ALL));
    for (ArchivePipeline.TableSummary t : summaries) {
      ManifestSchema.assertValid(t.manifest(), read(t.manifest()));
    }
    return summaries;
  }

  /** A file that a run wrote, local or on S3 (through the filesystems the run registered). */
  public static String read(String location) throws IOException {
    try (var in =
        Channels.newInputStream(FileSystems.open(FileSystems.matchNewResource(location, false)))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Every JSON line of every shard under a local table directory, in shard order. */
  public static List<JsonNode> rows(Path tableDir) throws IOException {
    List<JsonNode> rows = new ArrayList<>();
    for (Path shard : shards(tableDir)) {
      rows.addAll(JsonLines.read(shard));
    }
    return rows;
  }

  public static List<Path> shards(Path tableDir) throws IOException {
    try (Stream<Path> files = Files.list(tableDir)) {
      return files.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList();
    }
  }

  /** A table directory's manifest, once it is checked against docs/manifest.schema.json. */
  public static JsonNode manifest(Path tableDir) throws IOException {
    JsonNode manifest = JSON.readTree(tableDir.resolve("_manifest.json").toFile());
    ManifestSchema.assertValid(tableDir.resolve("_manifest.json").toString(), manifest);
    return manifest;
  }

  /** Every regular file under {@code dir} (empty if it does not exist). */
  public static List<Path> filesUnder(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).toList();
    }
  }
}
