package dev.hose.archive;

import java.util.Map;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Exports planned ranges to temp shards and commits each table: ranges → {@link ExportRangeFn} →
 * shard figures → {@link CommitTables}. Outputs the path of each committed manifest.
 */
public final class ArchiveTables extends PTransform<PCollection<ExportRange>, PCollection<String>> {
  private final JdbcIO.DataSourceConfiguration source;
  private final Map<TableRef, TablePlan> plans;
  private final ArchiveFiles files;
  private final CommitTableFn.RunInfo run;
  private final ArchiveOptions settings;

  private ArchiveTables(
      JdbcIO.DataSourceConfiguration source,
      Map<TableRef, TablePlan> plans,
      ArchiveFiles files,
      CommitTableFn.RunInfo run,
      ArchiveOptions settings) {
    this.source = source;
    this.plans = plans;
    this.files = files;
    this.run = run;
    this.settings = settings;
  }

  static ArchiveTables of(
      JdbcIO.DataSourceConfiguration source,
      Map<TableRef, TablePlan> plans,
      ArchiveFiles files,
      CommitTableFn.RunInfo run,
      ArchiveOptions settings) {
    return new ArchiveTables(source, plans, files, run, settings);
  }

  @Override
  public PCollection<String> expand(PCollection<ExportRange> ranges) {
    // No reshuffle: the runner splits the ranges' source evenly over workers, and ranges are
    // already bounded in size. (On DirectRunner a reshuffle makes every range its own bundle.)
    return ranges
        .apply(
            "ExportRanges",
            ParDo.of(
                new ExportRangeFn(
                    source,
                    plans,
                    files,
                    ExportSettings.of(settings, run.snapshotId(), run.standby()))))
        .setCoder(SerializableCoder.of(ShardResult.class))
        .apply("CommitTables", CommitTables.of(plans, files, run));
  }
}
