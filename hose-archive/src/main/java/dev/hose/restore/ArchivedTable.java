package dev.hose.restore;

import dev.hose.archive.ArchiveManifest;
import dev.hose.common.UserError;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One table's directory in an archive and the manifest committed there, as verify and restore read
 * them.
 *
 * @param dir the table's directory, ending in {@code /} (an s3:// URL or a local path)
 */
public record ArchivedTable(String dir, ArchiveManifest manifest) implements Serializable {

  /** {@code schema.table}, as the catalog spells it. */
  public String tableName() {
    return manifest.tableName();
  }

  public List<ArchiveManifest.Column> columns() {
    return manifest.columns();
  }

  public List<ArchiveManifest.Shard> shards() {
    return manifest.shards();
  }

  public long rowCount() {
    return manifest.rowCount();
  }

  /** The full location of one of this table's shards. */
  public String location(ArchiveManifest.Shard shard) {
    return dir + shard.path();
  }

  /** {@code input} as a directory, ending in {@code /} (an s3:// URL or a local path). */
  public static String directory(String input) {
    return ArchiveStore.asDirectory(input);
  }

  /** Reads the manifest at {@code dir + _manifest.json}; a malformed one is a {@link UserError}. */
  public static ArchivedTable read(String dir) throws IOException {
    String text = ArchiveStore.readString(dir + ArchiveManifest.FILE);
    try {
      return new ArchivedTable(dir, ArchiveManifest.parse(text));
    } catch (IllegalArgumentException e) {
      throw new UserError(
          dir + ArchiveManifest.FILE + " is not a hose manifest: " + e.getMessage(), e);
    }
  }

  /**
   * The table directories under {@code input} that hold a manifest: {@code input} itself when it is
   * one table's directory, else its subdirectories (a run's output prefix).
   */
  public static List<String> tableDirs(String input) throws IOException {
    String root = ArchiveStore.asDirectory(input);
    if (ArchiveStore.exists(root + ArchiveManifest.FILE)) {
      return List.of(root);
    }
    List<String> dirs = new ArrayList<>();
    for (String m : ArchiveStore.list(root + "*/" + ArchiveManifest.FILE)) {
      dirs.add(m.substring(0, m.length() - ArchiveManifest.FILE.length()));
    }
    return dirs;
  }
}
