package dev.hose.archive;

import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Gathers the written shards of each table and commits the table with {@link CommitTableFn} once
 * all of them are in. Outputs the path of each committed manifest.
 */
final class CommitTables extends PTransform<PCollection<ShardResult>, PCollection<String>> {
  private final Map<TableRef, TablePlan> plans;
  private final ArchiveFiles files;
  private final CommitTableFn.RunInfo run;

  private CommitTables(
      Map<TableRef, TablePlan> plans, ArchiveFiles files, CommitTableFn.RunInfo run) {
    this.plans = plans;
    this.files = files;
    this.run = run;
  }

  static CommitTables of(
      Map<TableRef, TablePlan> plans, ArchiveFiles files, CommitTableFn.RunInfo run) {
    return new CommitTables(plans, files, run);
  }

  @Override
  public PCollection<String> expand(PCollection<ShardResult> shards) {
    return shards
        .apply(
            "KeyByTable",
            MapElements.into(
                    TypeDescriptors.kvs(
                        TypeDescriptors.strings(), TypeDescriptor.of(ShardResult.class)))
                .via((ShardResult s) -> KV.of(s.table().dirName(), s)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(ShardResult.class)))
        .apply("GroupShardsByTable", GroupByKey.create())
        .apply("CommitTable", ParDo.of(new CommitTableFn(plans, files, run)));
  }
}
