package dev.hose.archive;

import dev.hose.common.FileTrees;
import dev.hose.common.S3Uploads;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.fs.CreateOptions.StandardCreateOptions;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * Where an archive's files live, through Beam's {@link FileSystems} (S3 or local):
 *
 * <pre>
 * OUTPUT/schema.table/part-SSSSS-of-NNNNN.jsonl.gz    committed shards
 * OUTPUT/schema.table/_manifest.json                  the commit marker, written last
 * OUTPUT/_hose_temp/RUN/schema.table/part-….ATTEMPT   shards being written
 * </pre>
 */
final class ArchiveFiles implements Serializable {
  static final String TEMP_DIR = "_hose_temp";
  static final String MANIFEST = "_manifest.json";

  private final String output;
  private final String runId;

  ArchiveFiles(String output, String runId) {
    String normalized = output;
    if (!output.contains("://")) {
      normalized = Path.of(output).toAbsolutePath().normalize().toString();
    } else if (output.startsWith("file://")) {
      normalized = Path.of(URI.create(output)).toString();
    }
    this.output = normalized.endsWith("/") ? normalized : normalized + "/";
    this.runId = runId;
  }

  String runId() {
    return runId;
  }

  String output() {
    return output;
  }

  boolean isS3() {
    return output.startsWith("s3://");
  }

  ResourceId root() {
    return FileSystems.matchNewResource(output, true);
  }

  ResourceId tableDir(TableRef table) {
    return root().resolve(table.dirName(), StandardResolveOptions.RESOLVE_DIRECTORY);
  }

  ResourceId finalShard(TableRef table, String shardName) {
    return tableDir(table).resolve(shardName, StandardResolveOptions.RESOLVE_FILE);
  }

  ResourceId manifest(TableRef table) {
    return tableDir(table).resolve(MANIFEST, StandardResolveOptions.RESOLVE_FILE);
  }

  ResourceId tempRoot() {
    return root().resolve(TEMP_DIR, StandardResolveOptions.RESOLVE_DIRECTORY);
  }

  ResourceId runTempDir() {
    return tempRoot().resolve(runId, StandardResolveOptions.RESOLVE_DIRECTORY);
  }

  ResourceId tempShard(ExportRange range, String attempt) {
    return runTempDir()
        .resolve(range.table().dirName(), StandardResolveOptions.RESOLVE_DIRECTORY)
        .resolve(range.shardName() + "." + attempt, StandardResolveOptions.RESOLVE_FILE);
  }

  static boolean exists(ResourceId resource) throws IOException {
    MatchResult m = FileSystems.match(resource.toString(), EmptyMatchTreatment.ALLOW);
    return m.status() == MatchResult.Status.OK && !m.metadata().isEmpty();
  }

  /** The size of an object, or -1 if it does not exist. */
  static long sizeOf(ResourceId resource) throws IOException {
    MatchResult m = FileSystems.match(resource.toString(), EmptyMatchTreatment.ALLOW);
    return m.status() == MatchResult.Status.OK && !m.metadata().isEmpty()
        ? m.metadata().get(0).sizeBytes()
        : -1;
  }

  /** Committed-looking shards in a table's directory. */
  List<ResourceId> shardsIn(TableRef table) throws IOException {
    return match(tableDir(table).toString() + "part-*");
  }

  static List<ResourceId> match(String glob) throws IOException {
    MatchResult m = FileSystems.match(glob, EmptyMatchTreatment.ALLOW);
    List<ResourceId> found = new ArrayList<>();
    if (m.status() == MatchResult.Status.OK) {
      for (MatchResult.Metadata md : m.metadata()) {
        found.add(md.resourceId());
      }
    }
    return found;
  }

  static void delete(List<ResourceId> resources) throws IOException {
    if (!resources.isEmpty()) {
      FileSystems.delete(resources, StandardMoveOptions.IGNORE_MISSING_FILES);
    }
  }

  static void writeString(ResourceId resource, String content, String mimeType) throws IOException {
    try (WritableByteChannel ch =
        FileSystems.create(
            resource, StandardCreateOptions.builder().setMimeType(mimeType).build())) {
      Channels.newOutputStream(ch).write(content.getBytes(StandardCharsets.UTF_8));
    }
  }

  static String readString(ResourceId resource) throws IOException {
    try (var in = Channels.newInputStream(FileSystems.open(resource))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * Removes temp objects: of every run but {@code keepRun} (null: all runs), and aborts pending
   * multipart uploads under the temp prefix. Returns how many objects and uploads went.
   */
  int removeTemp(String keepRun, S3Options s3) throws IOException {
    int removed = 0;
    if (isS3()) {
      List<ResourceId> objects = new ArrayList<>();
      for (ResourceId r : match(tempRoot().toString() + "**")) {
        if (keepRun == null || !r.toString().startsWith(tempRoot() + keepRun + "/")) {
          objects.add(r);
        }
      }
      delete(objects);
      removed += objects.size();
      S3Uploads.Location temp = S3Uploads.location(tempRoot().toString());
      String bucket = temp.bucket();
      String prefix = temp.key();
      if (keepRun == null) {
        removed += S3Uploads.abortUnder(s3, bucket, prefix);
      } else {
        // Aborting per dead run keeps the live run's own uploads going.
        for (String run : s3RunsUnder(s3, bucket, prefix)) {
          if (!run.equals(keepRun)) {
            removed += S3Uploads.abortUnder(s3, bucket, prefix + run + "/");
          }
        }
      }
    } else {
      Path temp = Path.of(output, TEMP_DIR);
      if (Files.isDirectory(temp)) {
        try (Stream<Path> runs = Files.list(temp)) {
          for (Path run : runs.toList()) {
            if (keepRun == null || !run.getFileName().toString().equals(keepRun)) {
              removed += FileTrees.delete(run);
            }
          }
        }
        try (Stream<Path> left = Files.list(temp)) {
          if (left.findAny().isEmpty()) {
            Files.delete(temp);
          }
        }
      }
    }
    return removed;
  }

  /**
   * The ranges of which this run's temp directory still holds a shard or a pending upload once the
   * commit has moved the attempts it used: attempts whose result never reached the commit, as when
   * the worker exporting them died and the runner exported the range again elsewhere. (A failed
   * attempt removes its own temp shard before the export retries.) Each is named {@code
   * schema.table/part-SSSSS-of-NNNNN.jsonl.gz}, without the attempt.
   */
  Set<String> rangesWithUnusedAttempts(S3Options s3) throws IOException {
    Set<String> ranges = new TreeSet<>();
    String runDir = runTempDir().toString();
    if (isS3()) {
      for (ResourceId r : match(runDir + "**")) {
        addRange(ranges, r.toString().substring(runDir.length()));
      }
      S3Uploads.Location dir = S3Uploads.location(runDir);
      try (var client = S3Uploads.client(s3)) {
        client
            .listMultipartUploadsPaginator(b -> b.bucket(dir.bucket()).prefix(dir.key()))
            .uploads()
            .forEach(u -> addRange(ranges, u.key().substring(dir.key().length())));
      }
    } else if (Files.isDirectory(Path.of(runDir))) {
      try (Stream<Path> walk = Files.walk(Path.of(runDir))) {
        walk.filter(Files::isRegularFile)
            .forEach(p -> addRange(ranges, Path.of(runDir).relativize(p).toString()));
      }
    }
    return ranges;
  }

  /** Adds {@code schema.table/part-….jsonl.gz} for a temp shard's path under the run's dir. */
  private static void addRange(Set<String> ranges, String underRunDir) {
    int attempt = underRunDir.lastIndexOf('.');
    if (underRunDir.contains("/part-") && attempt > 0) {
      ranges.add(underRunDir.substring(0, attempt));
    }
  }

  private static List<String> s3RunsUnder(S3Options s3, String bucket, String prefix) {
    List<String> runs = new ArrayList<>();
    try (var client = S3Uploads.client(s3)) {
      client
          .listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(prefix))
          .uploads()
          .forEach(
              u -> {
                String rest = u.key().substring(prefix.length());
                int slash = rest.indexOf('/');
                String run = slash < 0 ? rest : rest.substring(0, slash);
                if (!runs.contains(run)) {
                  runs.add(run);
                }
              });
    }
    return runs;
  }
}
