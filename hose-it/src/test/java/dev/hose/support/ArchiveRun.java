package dev.hose.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hose.archive.ArchiveOptions;
import dev.hose.archive.ArchivePipeline;
import dev.hose.common.CommandLine;
import dev.hose.common.JobJar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Runs archive in-process against {@link TestServers} and reads what it wrote locally. */
public final class ArchiveRun {
  public static final ObjectMapper JSON = JsonLines.JSON;

  private ArchiveRun() {}

  public static List<ArchivePipeline.TableSummary> archive(TestServers servers, String... extra)
      throws Exception {
    List<String> args = new ArrayList<>(servers.archiveArgs());
    args.addAll(List.of(extra));
    return ArchivePipeline.run(
        CommandLine.parse(args.toArray(new String[0]), ArchiveOptions.class, JobJar.ALL));
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

  public static JsonNode manifest(Path tableDir) throws IOException {
    return JSON.readTree(tableDir.resolve("_manifest.json").toFile());
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
