package dev.hose.archive;

import dev.hose.common.FileTrees;
import dev.hose.common.S3Uploads;
import dev.hose.common.UserError;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
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
 * OUTPUT/schema.table/part-SSSSS-of-NNNNN.jsonl.gz    committed shards (.jsonl.zst with zstd)
 * OUTPUT/schema.table/_manifest.json                  the commit marker, written last
 * OUTPUT/schema.table/_hose_claim.json                the run that holds the table, while it runs
 * OUTPUT/_hose_temp/schema.table/RUN/part-….ATTEMPT   shards being written
 * </pre>
 *
 * Everything a run writes for a table is under that table's claim: runs of other tables under the
 * same prefix never touch it.
 *
 * <p>An output that holds {@value #TABLE_PLACEHOLDER} names each table's directory itself, for
 * layouts that query engines partition on: {@code s3://lake/raw/{table}/dt=2026-11-24/} puts {@code
 * public.orders} in {@code s3://lake/raw/public.orders/dt=2026-11-24/}. Its temp shards are then
 * under that directory, in {@code _hose_temp/RUN/} (engines skip names that start with {@code _}),
 * so that runs of one table for different dates never share a temp directory.
 */
public final class ArchiveFiles implements Serializable {
  /** Under the output: every table's temp shards, by table and run. */
  public static final String TEMP_DIR = "_hose_temp";

  /** In a table's directory: the commit marker, written last. */
  public static final String MANIFEST = ArchiveManifest.FILE;

  /** In a table's directory: the run that holds the table, while it runs. */
  public static final String CLAIM = dev.hose.common.OutputClaim.NAME;

  /** In {@code --output}: where each table's name goes. */
  public static final String TABLE_PLACEHOLDER = "{table}";

  /**
   * The directory of {@code table} under an output as {@code --output} spells it, with or without
   * {@value #TABLE_PLACEHOLDER}; {@code output} ends in {@code /}.
   */
  public static String tableDir(String output, TableRef table) {
    return output.contains(TABLE_PLACEHOLDER)
        ? output.replace(TABLE_PLACEHOLDER, table.dirName())
        : output + table.dirName() + "/";
  }

  private final String output;
  private final String runId;
  private final ShardCodec codec;

  /** A run's files with gzip shards. */
  ArchiveFiles(String output, String runId) {
    this(output, runId, ShardCodec.GZIP);
  }

  ArchiveFiles(String output, String runId, ShardCodec codec) {
    checkPlaceholders(output);
    String normalized = output;
    if (!output.contains("://")) {
      normalized = Path.of(output).toAbsolutePath().normalize().toString();
    } else if (output.startsWith("file://")) {
      normalized = Path.of(URI.create(output)).toString();
    }
    this.output = normalized.endsWith("/") ? normalized : normalized + "/";
    this.runId = runId;
    this.codec = codec;
  }

  ShardCodec codec() {
    return codec;
  }

  /** Whether the output names each table's directory ({@value #TABLE_PLACEHOLDER}). */
  boolean perTableOutput() {
    return output.contains(TABLE_PLACEHOLDER);
  }

  /** Only {@value #TABLE_PLACEHOLDER} may be written in braces, and not in a bucket's name. */
  static void checkPlaceholders(String output) {
    String rest = output.replace(TABLE_PLACEHOLDER, "");
    if (rest.contains("{") || rest.contains("}")) {
      throw new UserError(
          "--output may hold " + TABLE_PLACEHOLDER + " and no other {…}: " + output);
    }
    if (output.startsWith("s3://")) {
      int slash = output.indexOf('/', "s3://".length());
      String bucket = output.substring("s3://".length(), slash < 0 ? output.length() : slash);
      if (bucket.contains(TABLE_PLACEHOLDER)) {
        throw new UserError(
            "--output: " + TABLE_PLACEHOLDER + " may not be in the bucket's name: " + output);
      }
    }
  }

  /**
   * {@code part-SSSSS-of-NNNNN.jsonl.gz} (or {@code .jsonl.zst}): shard {@code shard} of {@code
   * count}.
   */
  String shardName(int shard, int count) {
    return codec.shardName(shard, count);
  }

  String shardName(ExportRange range) {
    return shardName(range.shard(), range.shardCount());
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
    if (perTableOutput()) {
      return FileSystems.matchNewResource(tableDir(output, table), true);
    }
    return root().resolve(table.dirName(), StandardResolveOptions.RESOLVE_DIRECTORY);
  }

  ResourceId finalShard(TableRef table, String shardName) {
    return tableDir(table).resolve(shardName, StandardResolveOptions.RESOLVE_FILE);
  }

  ResourceId manifest(TableRef table) {
    return tableDir(table).resolve(ArchiveManifest.FILE, StandardResolveOptions.RESOLVE_FILE);
  }

  /** The table's directory as a string, which is what its claim is named after. */
  String tableOutput(TableRef table) {
    return tableDir(table).toString();
  }

  ResourceId tempRoot() {
    return root().resolve(TEMP_DIR, StandardResolveOptions.RESOLVE_DIRECTORY);
  }

  /**
   * {@code OUTPUT/_hose_temp/schema.table/}, or the table's own {@code _hose_temp/} with {@value
   * #TABLE_PLACEHOLDER}: every run's temp shards of one table.
   */
  ResourceId tempDir(TableRef table) {
    if (perTableOutput()) {
      return tableDir(table).resolve(TEMP_DIR, StandardResolveOptions.RESOLVE_DIRECTORY);
    }
    return tempRoot().resolve(table.dirName(), StandardResolveOptions.RESOLVE_DIRECTORY);
  }

  ResourceId runTempDir(TableRef table) {
    return tempDir(table).resolve(runId, StandardResolveOptions.RESOLVE_DIRECTORY);
  }

  ResourceId tempShard(ExportRange range, String attempt) {
    return runTempDir(range.table())
        .resolve(shardName(range) + "." + attempt, StandardResolveOptions.RESOLVE_FILE);
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
   * Removes the temp objects of {@code tables}: of every run but {@code keepRun} (null: all runs),
   * and aborts their pending multipart uploads. Returns how many objects and uploads went. Only the
   * holder of those tables' claims calls it, so no live run's temp objects go; other tables' temp
   * objects stay, whoever holds them. One listing covers every table (one per table with {@value
   * #TABLE_PLACEHOLDER}).
   */
  int removeTemp(List<TableRef> tables, String keepRun, S3Options s3) throws IOException {
    List<String> dirs = tables.stream().map(t -> tempDir(t).toString()).toList();
    if (isS3()) {
      int removed = 0;
      for (String root : perTableOutput() ? dirs : List.of(tempRoot().toString())) {
        removed += removeS3Temp(root, dirs, keepRun, s3);
      }
      return removed;
    }
    int removed = 0;
    for (String dir : dirs) {
      Path local = Path.of(dir);
      if (Files.isDirectory(local)) {
        try (Stream<Path> runs = Files.list(local)) {
          for (Path run : runs.toList()) {
            if (keepRun == null || !run.getFileName().toString().equals(keepRun)) {
              removed += FileTrees.delete(run);
            }
          }
        }
      }
      deleteIfEmpty(local);
    }
    if (!perTableOutput()) {
      deleteIfEmpty(Path.of(output, TEMP_DIR));
    }
    return removed;
  }

  /**
   * Removes this run's temp objects and uploads of {@code table}: what a run that will never commit
   * the table (another run took its claim over) would otherwise leave behind, since the run that
   * holds the table swept the temp objects of earlier runs when it began, before these were
   * written. Returns how many were removed.
   */
  int removeRunTemp(TableRef table, S3Options s3) throws IOException {
    String dir = runTempDir(table).toString();
    if (isS3()) {
      return removeS3Temp(dir, List.of(dir), null, s3);
    }
    Path local = Path.of(dir);
    int removed = Files.isDirectory(local) ? FileTrees.delete(local) : 0;
    deleteIfEmpty(Path.of(tempDir(table).toString()));
    return removed;
  }

  /** Removes the temp objects and uploads under {@code root} that {@link #removable} allows. */
  private static int removeS3Temp(String root, List<String> dirs, String keepRun, S3Options s3)
      throws IOException {
    List<ResourceId> objects = new ArrayList<>();
    for (ResourceId r : match(root + "**")) {
      if (removable(r.toString(), dirs, keepRun)) {
        objects.add(r);
      }
    }
    delete(objects);
    S3Uploads.Location temp = S3Uploads.location(root);
    List<S3Uploads.Upload> uploads = new ArrayList<>();
    for (S3Uploads.Upload u : S3Uploads.pendingUploads(s3, temp.bucket(), temp.key())) {
      if (removable("s3://" + temp.bucket() + "/" + u.key(), dirs, keepRun)) {
        uploads.add(u);
      }
    }
    return objects.size() + S3Uploads.abort(s3, temp.bucket(), uploads);
  }

  /** Whether a temp path is under one of {@code dirs} and not of run {@code keepRun}. */
  private static boolean removable(String path, List<String> dirs, String keepRun) {
    for (String dir : dirs) {
      if (path.startsWith(dir)) {
        return keepRun == null || !path.startsWith(dir + keepRun + "/");
      }
    }
    return false;
  }

  /** Removes an empty directory; one that another run is filling stays. */
  private static void deleteIfEmpty(Path dir) throws IOException {
    try {
      Files.deleteIfExists(dir);
    } catch (DirectoryNotEmptyException e) {
      // in use
    }
  }

  /**
   * The ranges of which this run's temp directories still hold a shard or a pending upload once the
   * commit has moved the attempts it used: attempts whose result never reached the commit, as when
   * the worker exporting them died and the runner exported the range again elsewhere. (A failed
   * attempt removes its own temp shard before the export retries.) Each is named {@code
   * schema.table/part-SSSSS-of-NNNNN.jsonl.gz}, without the attempt.
   */
  Set<String> rangesWithUnusedAttempts(List<TableRef> tables, S3Options s3) throws IOException {
    Set<String> ranges = new TreeSet<>();
    for (TableRef table : tables) {
      String runDir = runTempDir(table).toString();
      String prefix = table.dirName() + "/";
      if (isS3()) {
        for (ResourceId r : match(runDir + "**")) {
          addRange(ranges, prefix, r.toString().substring(runDir.length()));
        }
        S3Uploads.Location dir = S3Uploads.location(runDir);
        for (S3Uploads.Upload u : S3Uploads.pendingUploads(s3, dir.bucket(), dir.key())) {
          addRange(ranges, prefix, u.key().substring(dir.key().length()));
        }
      } else if (Files.isDirectory(Path.of(runDir))) {
        try (Stream<Path> walk = Files.walk(Path.of(runDir))) {
          walk.filter(Files::isRegularFile)
              .forEach(p -> addRange(ranges, prefix, p.getFileName().toString()));
        }
      }
    }
    return ranges;
  }

  /** Adds {@code schema.table/part-….jsonl.gz} for a temp shard named {@code part-….ATTEMPT}. */
  private static void addRange(Set<String> ranges, String table, String name) {
    int attempt = name.lastIndexOf('.');
    if (name.startsWith("part-") && attempt > 0) {
      ranges.add(table + name.substring(0, attempt));
    }
  }
}
