package dev.hose.common;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;

/** A run's id: what its claims, manifests, summaries and staging tables are marked with. */
public final class RunIds {
  private static final DateTimeFormatter STARTED =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private RunIds() {}

  /** {@code 20261203T074051Z-1a2b3c4d}: when the run started (UTC), then 8 random hex digits. */
  public static String timestamped() {
    return STARTED.format(Instant.now()) + "-" + random();
  }

  /** 8 random hex digits: for names that must stay short, e.g. a staging table's. */
  public static String random() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
