package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ExportSettingsTest {
  @Test
  void aRangeWaitsForTheServerAtMostTheReadTimeout() {
    assertEquals(120_000, ExportSettings.networkTimeoutMillis(120, 0));
    assertEquals(5_000, ExportSettings.networkTimeoutMillis(5, 0));
  }

  @Test
  void aStatementTimeoutGetsThirtySecondsToArriveFirst() {
    assertEquals(630_000, ExportSettings.networkTimeoutMillis(120, 600));
    assertEquals(120_000, ExportSettings.networkTimeoutMillis(120, 10));
  }

  @Test
  void zeroWaitsForever() {
    assertEquals(0, ExportSettings.networkTimeoutMillis(0, 600));
  }
}
