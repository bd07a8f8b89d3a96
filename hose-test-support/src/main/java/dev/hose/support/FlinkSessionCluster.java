package dev.hose.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A local Flink 1.20 standalone session cluster (one JobManager and N TaskManagers, each its own
 * JVM) started and stopped through {@code runner-configs/flink-cluster/cluster.sh}, so tests run
 * exactly what users run. {@link #close()} stops the cluster and fails if any of its processes is
 * still alive.
 */
public final class FlinkSessionCluster implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path script;
  private final Path dir;
  private final int restPort;
  private final List<Long> pids;
  private final HttpClient http = HttpClient.newHttpClient();

  private FlinkSessionCluster(Path script, Path dir, int restPort, List<Long> pids) {
    this.script = script;
    this.dir = dir;
    this.restPort = restPort;
    this.pids = List.copyOf(pids);
  }

  /** A builder for a cluster whose conf, logs and pid files live under {@code dir}. */
  public static Builder builder(Path dir) {
    return new Builder(dir);
  }

  /** Configures and starts a cluster. */
  public static final class Builder {
    private final Path dir;
    private int taskManagers = 1;
    private int slots = 2;
    private Integer taskHeapMb;
    private final Map<String, String> env = new LinkedHashMap<>();

    private Builder(Path dir) {
      this.dir = dir;
    }

    public Builder taskManagers(int n) {
      this.taskManagers = n;
      return this;
    }

    public Builder slotsPerTaskManager(int n) {
      this.slots = n;
      return this;
    }

    /** Task heap of each TaskManager in MiB (the JVM heap adds 128 MiB of framework heap). */
    public Builder taskHeapMb(int mb) {
      this.taskHeapMb = mb;
      return this;
    }

    /** An environment variable every cluster JVM gets (the TaskManagers read secrets from it). */
    public Builder env(String name, String value) {
      env.put(name, value);
      return this;
    }

    /** Runs {@code cluster.sh start} and waits until every TaskManager has registered. */
    public FlinkSessionCluster start() throws IOException, InterruptedException {
      Path script = Checkout.root().resolve("runner-configs/flink-cluster/cluster.sh");
      List<String> command = new ArrayList<>();
      command.addAll(
          List.of(
              "bash",
              script.toString(),
              "start",
              "--dir",
              dir.toString(),
              "--taskmanagers",
              String.valueOf(taskManagers),
              "--slots",
              String.valueOf(slots),
              "--rest-port",
              "0"));
      if (taskHeapMb != null) {
        command.addAll(List.of("--task-heap", String.valueOf(taskHeapMb)));
      }
      Files.createDirectories(dir);
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      pb.environment().putAll(env);
      String output = runScript(pb, Duration.ofMinutes(5));
      Path envFile = dir.resolve("cluster.env");
      if (!Files.exists(envFile)) {
        throw new IOException("cluster.sh start failed:\n" + output);
      }
      Map<String, String> values = readEnvFile(envFile);
      List<Long> pids = new ArrayList<>();
      for (String pid : values.get("PIDS").split("\\s+")) {
        pids.add(Long.parseLong(pid));
      }
      return new FlinkSessionCluster(
          script, dir.toAbsolutePath(), Integer.parseInt(values.get("REST_PORT")), pids);
    }
  }

  /** The value of {@code --flinkMaster} for this cluster. */
  public String flinkMaster() {
    return "127.0.0.1:" + restPort;
  }

  /** The Web UI and REST API. */
  public URI restUrl() {
    return URI.create("http://127.0.0.1:" + restPort);
  }

  /** The JobManager's and TaskManagers' process ids, JobManager first. */
  public List<Long> pids() {
    return pids;
  }

  /** The TaskManagers' process ids. */
  public List<Long> taskManagerPids() {
    return pids.subList(1, pids.size());
  }

  public Path dir() {
    return dir;
  }

  public Path logDir() {
    return dir.resolve("log");
  }

  /** GETs {@code path} from the REST API as JSON. */
  public JsonNode rest(String path) throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(restUrl().resolve(path)).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(
          "GET " + path + ": HTTP " + response.statusCode() + " " + response.body());
    }
    return JSON.readTree(response.body());
  }

  /** The cluster's jobs as listed by {@code /jobs/overview}, newest first. */
  public List<JsonNode> jobs() throws IOException, InterruptedException {
    List<JsonNode> jobs = new ArrayList<>();
    rest("/jobs/overview").path("jobs").forEach(jobs::add);
    jobs.sort((a, b) -> Long.compare(b.path("start-time").asLong(), a.path("start-time").asLong()));
    return jobs;
  }

  /**
   * The subtasks (with their {@code taskmanager-id} and {@code metrics}) of the first vertex of job
   * {@code jid} whose name contains {@code nameContains}; empty if there is none.
   */
  public List<JsonNode> subtasks(String jid, String nameContains)
      throws IOException, InterruptedException {
    List<JsonNode> subtasks = new ArrayList<>();
    for (JsonNode vertex : rest("/jobs/" + jid).path("vertices")) {
      if (vertex.path("name").asText().contains(nameContains)) {
        rest("/jobs/" + jid + "/vertices/" + vertex.path("id").asText())
            .path("subtasks")
            .forEach(subtasks::add);
        break;
      }
    }
    return subtasks;
  }

  /** The process ids among {@link #pids()} that are still alive. */
  public List<Long> alivePids() {
    List<Long> alive = new ArrayList<>();
    for (long pid : pids) {
      Optional<ProcessHandle> handle = ProcessHandle.of(pid);
      if (handle.isPresent() && handle.get().isAlive()) {
        alive.add(pid);
      }
    }
    return alive;
  }

  /**
   * SIGKILLs one of this cluster's TaskManagers, as a lost node or the OOM killer does (no shutdown
   * hook, no task cleanup), and waits until the process is gone. {@link #close()} stops the rest.
   */
  public void killTaskManager(long pid) throws Exception {
    if (!taskManagerPids().contains(pid)) {
      throw new IllegalArgumentException(pid + " is not a TaskManager of this cluster");
    }
    ProcessHandle handle = ProcessHandle.of(pid).orElseThrow();
    handle.destroyForcibly();
    handle.onExit().get(30, TimeUnit.SECONDS);
  }

  /**
   * The TaskManager whose JVM holds a TCP socket bound to {@code localPort} on loopback (e.g. the
   * client end of a database connection that {@code pg_stat_activity} shows), if any.
   */
  public Optional<Long> taskManagerWithSocket(int localPort) throws IOException {
    Set<String> inodes = new HashSet<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path file = Path.of(table);
      if (!Files.exists(file)) {
        continue;
      }
      List<String> lines = Files.readAllLines(file);
      for (String line : lines.subList(1, lines.size())) {
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
        String[] f = line.trim().split("\\s+");
        String local = f[1];
        if (Integer.parseInt(local.substring(local.indexOf(':') + 1), 16) == localPort) {
          inodes.add("socket:[" + f[9] + "]");
        }
      }
    }
    for (long pid : taskManagerPids()) {
      try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
        for (Path fd : fds) {
          try {
            if (inodes.contains(Files.readSymbolicLink(fd).toString())) {
              return Optional.of(pid);
            }
          } catch (IOException e) {
            // the descriptor closed meanwhile
          }
        }
      } catch (IOException e) {
        // the process is gone
      }
    }
    return Optional.empty();
  }

  /** Runs {@code cluster.sh stop}; throws if a process of this cluster is still alive after it. */
  @Override
  public void close() throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder("bash", script.toString(), "stop", "--dir", dir.toString())
            .redirectErrorStream(true);
    String output = runScript(pb, Duration.ofMinutes(2));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!alivePids().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    if (!alivePids().isEmpty()) {
      throw new IllegalStateException(
          "Flink processes " + alivePids() + " survived cluster.sh stop:\n" + output);
    }
  }

  private static String runScript(ProcessBuilder pb, Duration timeout)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile("cluster-sh", ".log");
    try {
      Process process = pb.redirectOutput(log.toFile()).start();
      process.getOutputStream().close();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IOException("cluster.sh timed out:\n" + Files.readString(log));
      }
      return Files.readString(log, StandardCharsets.UTF_8);
    } finally {
      Files.deleteIfExists(log);
    }
  }

  private static Map<String, String> readEnvFile(Path file) throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        values.put(line.substring(0, eq), line.substring(eq + 1).replace("\"", "").strip());
      }
    }
    return values;
  }
}
