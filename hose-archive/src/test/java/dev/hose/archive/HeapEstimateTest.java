package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HeapEstimateTest {
  private static final long MB = 1 << 20;

  @Test
  void defaultsWithKilobyteRowsNeedAboutNinetyOneMegabytes() {
    // The README's worked example: 2 writers, 2,000 rows of 1 KB per fetch, 8 MiB upload buffers.
    HeapEstimate e = HeapEstimate.of(2, 2_000, 16 * MB, 1024, 8 * MB);
    assertEquals(2_000 * 1024, e.fetchBytes());
    assertEquals(60 * MB + 2 * (3 * 2_048_000 + 8 * MB + 1536 * 1024), e.totalBytes());
    assertEquals(91, e.neededMb());
  }

  @Test
  void fetchIsBoundedByFetchBufferBytesButHoldsAtLeastOneRow() {
    assertEquals(16 * MB, HeapEstimate.of(2, 2_000, 16 * MB, 100_000, 0).fetchBytes());
    assertEquals(40 * MB, HeapEstimate.of(2, 2_000, 16 * MB, 40 * MB, 0).fetchBytes());
  }

  @Test
  void unknownRowSizeAssumesOneKilobyte() {
    assertEquals(500 * 1024, HeapEstimate.of(1, 500, 16 * MB, 0, 0).fetchBytes());
  }

  @Test
  void localOutputHasNoUploadBuffer() {
    HeapEstimate e = HeapEstimate.of(4, 1, 16 * MB, 1024, 0);
    assertEquals(3 * 1024 + 1536 * 1024, e.perWriterBytes());
  }

  @Test
  void describesFitOrSaysWhatToChange() {
    HeapEstimate e = HeapEstimate.of(2, 2_000, 16 * MB, 1024, 8 * MB);
    assertTrue(e.fitsIn(256 * MB));
    assertTrue(
        e.describe(256 * MB)
            .startsWith("memory: ~91 MB of heap estimated (60 MB fixed + 2 writers"),
        e.describe(256 * MB));
    assertFalse(e.fitsIn(64 * MB));
    String warning = e.describe(64 * MB);
    assertTrue(warning.startsWith("memory: this JVM's heap (64 MB) is below the ~91 MB"), warning);
    assertTrue(warning.contains("raise -Xmx, or lower --exportThreads"), warning);
  }
}
