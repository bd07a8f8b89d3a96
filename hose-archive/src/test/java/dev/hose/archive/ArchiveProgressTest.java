package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.junit.jupiter.api.Test;

class ArchiveProgressTest {
  private static final TablePlan PLAN =
      new TablePlan(
          new TableRef("public", "t"),
          List.of(),
          "whole",
          null,
          null,
          List.of(),
          10,
          1,
          java.util.Map.of());

  @Test
  void eachRunCountsFromZeroInALongLivedJvm() {
    ArchiveProgress first = ArchiveProgress.of("run-1", PLAN);
    assertSame(first, ArchiveProgress.of("run-1", PLAN));
    assertNotSame(first, ArchiveProgress.of("run-2", PLAN));
  }
}
