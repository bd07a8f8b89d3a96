package dev.hose.restore;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Shards one worker handles at once, as one element: a runner may hand a bundle's elements over one
 * by one, so concurrency within an element is the only kind DirectRunner is sure to give.
 */
record ShardBatch(List<ShardTask> shards) implements Serializable {
  ShardBatch {
    shards = List.copyOf(shards);
  }

  /** {@code tasks} in batches of {@code size}, in order. */
  static List<ShardBatch> of(List<ShardTask> tasks, int size) {
    List<ShardBatch> batches = new ArrayList<>();
    for (int i = 0; i < tasks.size(); i += size) {
      batches.add(new ShardBatch(tasks.subList(i, Math.min(tasks.size(), i + size))));
    }
    return batches;
  }
}
