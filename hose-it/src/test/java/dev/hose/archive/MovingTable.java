package dev.hose.archive;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A table that a writer changes in numbered, all-or-nothing batches while an archive reads it, and
 * the check that an export saw a prefix of whole batches and nothing else. Batch k, in one
 * transaction, inserts ids 10M+100k+1..10M+100k+100, deletes ids 50(k-1)+1..50k and marks row
 * base-k as updated by k; a snapshot that saw batches 1..K holds base + 100K - 50K rows.
 */
final class MovingTable implements AutoCloseable {
  private final String table;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicInteger committed = new AtomicInteger();
  private final AtomicReference<Exception> failed = new AtomicReference<>();
  private final Thread writer;

  /** Creates {@code table} with {@code base} rows on {@code db}; call {@link #startWriting}. */
  MovingTable(ArchiveForks.Database db, String table, long base) throws SQLException {
    this.table = table;
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE " + table + " (id bigint PRIMARY KEY, batch int NOT NULL, pad text)");
      s.execute(
          "INSERT INTO "
              + table
              + " SELECT g, 0, repeat('p', 200) FROM generate_series(1, "
              + base
              + ") g");
      s.execute("ANALYZE " + table);
    }
    this.writer = new Thread(() -> write(db, base), "row-writer");
  }

  /** Starts the writer and returns once it has committed a few batches. */
  void startWriting() throws InterruptedException {
    writer.start();
    while (committed.get() < 5 && failed.get() == null) {
      Thread.sleep(10);
    }
  }

  int committed() {
    return committed.get();
  }

  /** Why the writer stopped early, or null. */
  Exception failure() {
    return failed.get();
  }

  private void write(ArchiveForks.Database db, long base) {
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      for (int k = 1; !stop.get() && k < 1900; k++) {
        s.execute(
            "INSERT INTO "
                + table
                + " SELECT 10000000 + "
                + k
                + " * 100 + g, "
                + k
                + ", 'new' FROM generate_series(1, 100) g");
        s.execute("DELETE FROM " + table + " WHERE id > " + 50 * (k - 1) + " AND id <= " + 50 * k);
        s.execute("UPDATE " + table + " SET batch = " + k + " WHERE id = " + (base - k));
        c.commit();
        committed.set(k);
        Thread.sleep(10);
      }
    } catch (SQLException | InterruptedException e) {
      failed.set(e);
    }
  }

  /** Stops the writer. */
  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    if (writer.isAlive()) {
      writer.join();
    }
  }

  /**
   * What an export of the table saw, from its row ids.
   *
   * @param batches the batches whose rows were exported
   * @param expected the ids a snapshot that saw batches 1..batches.size() holds
   * @param missing expected ids the export lacks
   * @param extra exported ids no such snapshot holds
   */
  record Seen(Set<Integer> batches, Set<String> expected, Set<String> missing, Set<String> extra) {
    int k() {
      return batches.size();
    }

    /** Whether the exported batches are 1..K, with none skipped. */
    boolean wholeBatchesFromOne() {
      return batches.stream().allMatch(b -> b >= 1 && b <= k());
    }
  }

  static Seen seen(Set<String> ids, long base) {
    Set<Integer> batches = new HashSet<>();
    for (String id : ids) {
      long v = Long.parseLong(id);
      if (v > 10_000_000) {
        batches.add((int) ((v - 10_000_001) / 100));
      }
    }
    int k = batches.size();
    Set<String> expected = new HashSet<>();
    for (long id = 50L * k + 1; id <= base; id++) {
      expected.add(Long.toString(id));
    }
    for (int b = 1; b <= k; b++) {
      for (int g = 1; g <= 100; g++) {
        expected.add(Long.toString(10_000_000L + b * 100L + g));
      }
    }
    Set<String> missing = new HashSet<>(expected);
    missing.removeAll(ids);
    Set<String> extra = new HashSet<>(ids);
    extra.removeAll(expected);
    return new Seen(batches, expected, missing, extra);
  }
}
