package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class StandbyTest {
  private static final SQLException CANCELLED =
      new SQLException(
          "ERROR: canceling statement due to conflict with recovery\n"
              + "  Detail: User query might have needed to see row versions that must be removed.",
          "40001");

  @Test
  void aConflictNamesTheSettingOnOneLine() {
    SQLException e = Standby.explain(CANCELLED, true);
    assertTrue(e.getMessage().contains("hot_standby_feedback = on"), e.getMessage());
    assertTrue(e.getMessage().contains("max_standby_streaming_delay"), e.getMessage());
    assertTrue(e.getMessage().contains("row versions that must be removed"), e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    assertEquals("40001", e.getSQLState());
    assertSame(CANCELLED, e.getCause());
  }

  @Test
  void theServersHintToRepeatTheCommandIsLeftOut() {
    SQLException terminated =
        new SQLException(
            "FATAL: terminating connection due to conflict with recovery\n"
                + "  Detail: User query might have needed to see row versions that must be removed.\n"
                + "  Hint: In a moment you should be able to reconnect to the database and repeat"
                + " your command.",
            "40001");
    String message = Standby.explain(terminated, true).getMessage();
    assertTrue(message.endsWith("must be removed.)"), message);
  }

  @Test
  void theConflictMessageIsEnoughWhereverItIsInTheCauseChain() {
    SQLException terminated =
        new SQLException("FATAL: terminating connection due to conflict with recovery", "40001");
    SQLException wrapped = new SQLException("export failed", "XX000", terminated);
    assertTrue(Standby.explain(wrapped, false).getMessage().contains("hot_standby_feedback"));
  }

  @Test
  void onAStandbyAnySerializationFailureIsAConflict() {
    SQLException translated =
        new SQLException("FEHLER: Konflikt mit der Wiederherstellung", "40001");
    assertTrue(Standby.explain(translated, true).getMessage().contains("hot_standby_feedback"));
    assertSame(translated, Standby.explain(translated, false));
  }

  @Test
  void aSnapshotGoneFromAStandbyNamesTheSetting() {
    SQLException gone =
        new SourceSession.SnapshotGoneException(
            "00000003-0000001B-1", new SQLException("invalid snapshot identifier", "22023"));
    SQLException e = Standby.explain(gone, true);
    assertTrue(e.getMessage().contains("conflict with recovery"), e.getMessage());
    assertTrue(e.getMessage().contains("hot_standby_feedback = on"), e.getMessage());
    assertSame(gone, Standby.explain(gone, false), "on a primary the snapshot's own message");
  }

  @Test
  void otherErrorsPassUnchanged() {
    SQLException lost =
        new SQLException("An I/O error occurred while sending to the backend.", "08006");
    assertSame(lost, Standby.explain(lost, true));
    SQLException timeout =
        new SQLException("canceling statement due to statement timeout", "57014");
    assertSame(timeout, Standby.explain(timeout, true));
  }
}
