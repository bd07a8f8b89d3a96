package dev.hose.archive;

import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Exports planned ranges to temp shards and commits each table: ranges → {@link ExportRangeFn} →
 * shard figures grouped by table → {@link CommitTableFn}. Outputs the path of each committed
 * manifest.
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
        .apply(
            "KeyByTable",
            MapElements.into(
                    TypeDescriptors.kvs(
                        TypeDescriptors.strings(), TypeDescriptor.of(ShardResult.class)))
                .via((ShardResult s) -> KV.of(s.table().dirName(), s)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(ShardResult.class)))
        .apply("GroupShardsByTable", GroupByKey.create())
        .apply("CommitTables", ParDo.of(new CommitTableFn(plans, files, run)));
  }
}
