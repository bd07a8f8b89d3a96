package dev.hose.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Heap used and committed of another HotSpot JVM on this host, read from its perf-data file ({@code
 * /tmp/hsperfdata_USER/PID}, the memory {@code jstat} reads; on by default, {@code
 * -XX:+UsePerfData}). Reading it neither attaches to nor pauses the target, and costs no process.
 * Used and committed are the sums over the GC's spaces, as {@code jstat -gc} shows them
 * (EU+S0U+S1U+OU and EC+S0C+S1C+OC).
 */
final class JvmHeap {
  /** One reading in bytes. */
  record Reading(long used, long committed) {}

  private static final int MAGIC = 0xcafec0c0;
  private final ByteBuffer buffer;
  private final List<Integer> usedOffsets = new ArrayList<>();
  private final List<Integer> committedOffsets = new ArrayList<>();

  private JvmHeap(ByteBuffer buffer) {
    this.buffer = buffer;
    scan();
  }

  /** The heap of JVM {@code pid}, or null when it has no perf-data file (yet, or not a JVM). */
  static JvmHeap open(long pid) {
    Path file =
        Path.of("/tmp", "hsperfdata_" + System.getProperty("user.name"), Long.toString(pid));
    try (FileChannel ch = FileChannel.open(file)) {
      MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
      if (map.capacity() < 32 || map.order(ByteOrder.BIG_ENDIAN).getInt(0) != MAGIC) {
        return null;
      }
      map.order(map.get(4) == 0 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
      JvmHeap heap = new JvmHeap(map);
      return heap.usedOffsets.isEmpty() ? null : heap;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The current figures (the mapping outlives the process: the last values stay readable). */
  Reading read() {
    long used = 0;
    long committed = 0;
    for (int off : usedOffsets) {
      used += buffer.getLong(off);
    }
    for (int off : committedOffsets) {
      committed += buffer.getLong(off);
    }
    return new Reading(used, committed);
  }

  /**
   * Finds the long counters sun.gc.generation.N.space.M.{used,capacity} (hotspot perfMemory.hpp).
   */
  private void scan() {
    int entry = buffer.getInt(24);
    int entries = buffer.getInt(28);
    for (int i = 0; i < entries && entry > 0 && entry < buffer.capacity(); i++) {
      int length = buffer.getInt(entry);
      int nameOffset = buffer.getInt(entry + 4);
      int vectorLength = buffer.getInt(entry + 8);
      byte type = buffer.get(entry + 12);
      int dataOffset = buffer.getInt(entry + 16);
      if (type == 'J' && vectorLength == 0) {
        String name = cString(entry + nameOffset);
        if (name.startsWith("sun.gc.generation.") && name.contains(".space.")) {
          if (name.endsWith(".used")) {
            usedOffsets.add(entry + dataOffset);
          } else if (name.endsWith(".capacity")) {
            committedOffsets.add(entry + dataOffset);
          }
        }
      }
      if (length <= 0) {
        break;
      }
      entry += length;
    }
  }

  private String cString(int at) {
    int end = at;
    while (end < buffer.capacity() && buffer.get(end) != 0) {
      end++;
    }
    byte[] bytes = new byte[end - at];
    buffer.get(at, bytes);
    return new String(bytes, StandardCharsets.US_ASCII);
  }
}
