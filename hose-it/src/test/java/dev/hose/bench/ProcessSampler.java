package dev.hose.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Samples the memory of the processes of one run at a fixed interval on a thread of its own: the
 * resident set of each process tree from /proc (a JVM alone, or e.g. bash + psql + gzip), and for
 * JVMs heap used and committed ({@link JvmHeap}). Each process has a role ("hose", "taskmanager-1",
 * …). Every 15 s it prints one progress line, so long runs show they are alive.
 */
final class ProcessSampler implements AutoCloseable {
  /**
   * One reading. RSS includes file-backed pages (a JVM's mapped jars and libraries); anonymous RSS
   * is the memory the process allocated. Heap figures are NaN for a process that is not a JVM.
   */
  record Sample(
      String role,
      double seconds,
      double rssMb,
      double rssAnonMb,
      double heapUsedMb,
      double heapCommittedMb) {}

  private static final long PROGRESS_NANOS = 15_000_000_000L;

  private final String label;
  private final long intervalMillis;
  private final long start = System.nanoTime();
  private final Map<String, Watched> watched = new LinkedHashMap<>();
  private final List<Sample> samples = new ArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;

  private static final class Watched {
    final long pid;
    JvmHeap heap;
    boolean jvm;

    Watched(long pid, boolean jvm) {
      this.pid = pid;
      this.jvm = jvm;
    }
  }

  private ProcessSampler(String label, long intervalMillis) {
    this.label = label;
    this.intervalMillis = intervalMillis;
    this.thread = new Thread(this::loop, "sampler-" + label);
    thread.setDaemon(true);
  }

  /** Starts sampling; t=0 is now. {@link #watch} adds processes. */
  static ProcessSampler start(String label, long intervalMillis) {
    ProcessSampler s = new ProcessSampler(label, intervalMillis);
    s.thread.start();
    return s;
  }

  /** Samples process {@code pid} (and its descendants) as {@code role} from now on. */
  synchronized void watch(String role, long pid, boolean jvm) {
    watched.put(role, new Watched(pid, jvm));
    tick();
  }

  double elapsedSeconds() {
    return (System.nanoTime() - start) / 1e9;
  }

  private void loop() {
    long nextProgress = System.nanoTime() + PROGRESS_NANOS;
    while (running) {
      try {
        // Short-lived processes (psql on a small table) still get samples.
        Thread.sleep(elapsedSeconds() < 3 ? Math.min(100, intervalMillis) : intervalMillis);
      } catch (InterruptedException e) {
        return;
      }
      tick();
      if (System.nanoTime() > nextProgress) {
        nextProgress += PROGRESS_NANOS;
        System.out.println("      " + progressLine());
      }
    }
  }

  private synchronized void tick() {
    double t = elapsedSeconds();
    for (Map.Entry<String, Watched> e : watched.entrySet()) {
      Watched w = e.getValue();
      long[] rssKb = treeRssKb(w.pid);
      if (rssKb[0] == 0) {
        continue; // gone
      }
      double used = Double.NaN;
      double committed = Double.NaN;
      if (w.jvm) {
        if (w.heap == null) {
          w.heap = JvmHeap.open(w.pid);
        }
        if (w.heap != null) {
          JvmHeap.Reading r = w.heap.read();
          used = r.used() / 1048576.0;
          committed = r.committed() / 1048576.0;
        }
      }
      samples.add(new Sample(e.getKey(), t, rssKb[0] / 1024.0, rssKb[1] / 1024.0, used, committed));
    }
  }

  private synchronized String progressLine() {
    StringJoiner j =
        new StringJoiner(", ", String.format("%s %4.0f s: RSS ", label, elapsedSeconds()), "");
    Map<String, Sample> last = new LinkedHashMap<>();
    for (Sample s : samples) {
      last.put(s.role(), s);
    }
    last.values().forEach(s -> j.add(String.format("%s %.0f MB", s.role(), s.rssMb())));
    return j.toString();
  }

  /** Every sample so far, in time order. */
  synchronized List<Sample> samples() {
    return List.copyOf(samples);
  }

  /** The last sample of {@code role}, or null. */
  synchronized Sample last(String role) {
    Sample last = null;
    for (Sample s : samples) {
      if (s.role().equals(role)) {
        last = s;
      }
    }
    return last;
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.interrupt();
    thread.join(5000);
  }

  /** VmRSS and RssAnon of {@code pid} plus its descendants, in KiB; 0 once it is gone. */
  static long[] treeRssKb(long pid) {
    long[] sum = rssKb(pid);
    if (sum[0] == 0) {
      return sum;
    }
    for (ProcessHandle child :
        ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(List.of())) {
      long[] c = rssKb(child.pid());
      sum[0] += c[0];
      sum[1] += c[1];
    }
    return sum;
  }

  private static long[] rssKb(long pid) {
    long[] rss = new long[2];
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          rss[0] = Long.parseLong(line.replaceAll("[^0-9]", ""));
        } else if (line.startsWith("RssAnon:")) {
          rss[1] = Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process ended between two samples
    }
    return rss;
  }
}
