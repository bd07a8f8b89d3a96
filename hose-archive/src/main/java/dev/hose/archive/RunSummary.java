package dev.hose.archive;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hose.common.Json;
import dev.hose.common.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * {@code --summaryFile}: what a committed run wrote, for the scheduler that started it. Every path
 * in it is the one hose wrote, so that a DAG waits on and verifies exactly those, whatever the
 * spelling of its tables. Written whole (a temp file renamed into place), and only on a commit.
 *
 * <pre>
 * {"command": "archive", "runId": "…", "snapshot": "…", "output": "s3://b/p/",
 *  "tables": [{"spec": "sales.\"Order Items\"", "table": "sales.Order Items",
 *              "dir": "s3://b/p/sales.Order Items/", "manifest": "…/_manifest.json",
 *              "rows": 123, "shards": 2}]}
 * </pre>
 */
final class RunSummary {
  private RunSummary() {}

  /** Fails before any I/O when the summary could not be written. */
  static void check(ArchiveOptions options) {
    String file = options.getSummaryFile();
    if (file == null) {
      return;
    }
    Path parent = Path.of(file).toAbsolutePath().getParent();
    if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
      throw new UserError(
          "--summaryFile " + file + ": its directory does not exist or is read-only");
    }
  }

  static void write(
      ArchiveOptions options, ArchiveFiles files, List<ArchivePipeline.TableSummary> tables)
      throws IOException {
    String file = options.getSummaryFile();
    if (file == null || options.getCleanup()) {
      return;
    }
    List<String> specs = TableRef.splitList(options.getTables());
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("command", "archive");
    root.put("runId", files.runId());
    root.put("snapshot", tables.isEmpty() ? null : tables.get(0).snapshotId());
    root.put("output", files.output());
    ArrayNode list = root.putArray("tables");
    for (int i = 0; i < tables.size(); i++) {
      ArchivePipeline.TableSummary t = tables.get(i);
      ObjectNode n = list.addObject();
      n.put("spec", specs.get(i));
      n.put("table", t.table());
      n.put("dir", t.dir());
      n.put("manifest", t.manifest());
      n.put("rows", t.rows());
      n.put("shards", t.shards());
    }
    Path target = Path.of(file).toAbsolutePath();
    Path temp = Files.createTempFile(target.getParent(), ".hose-summary", ".json");
    try {
      Files.write(temp, Json.PRETTY.writeValueAsBytes(root));
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
