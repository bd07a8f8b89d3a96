package dev.hose.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * One run at a time per output prefix. A run claims {@code OUTPUT/_hose_claim.json} before it
 * touches anything there: the claim is created only if absent (on S3 a PUT with {@code
 * If-None-Match: *}, locally a hard link; both atomic), renewed while the run lives, and deleted
 * when it ends. Two runs on one prefix would remove each other's temp files and race on the
 * manifests.
 *
 * <p>A claim is stale, and the next run takes it over, when it was last renewed more than {@link
 * #TTL} ago (its launcher was killed, or lost the storage) or when its launcher is a process of
 * this host that no longer exists. A takeover replaces exactly the stale claim it read (S3: {@code
 * If-Match} its ETag), so two runs that find the same stale claim cannot both win.
 */
public final class OutputClaim implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutputClaim.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  public static final String NAME = "_hose_claim.json";

  /** How long a claim lives without renewal: five missed renewals, then it is stale. */
  static final Duration TTL = Duration.ofSeconds(120);

  private static final Duration RENEW_EVERY = Duration.ofSeconds(20);
  private static final Duration POLL = Duration.ofSeconds(2);
  private static final Duration RACE_SETTLE = Duration.ofMillis(300);

  /** Who holds a claim, as its JSON says. */
  public record Holder(
      String runId, String command, String host, long pid, Instant startedAt, Instant renewedAt) {

    /** One line for a user: the run, where it runs and since when. */
    public String describe() {
      return "run "
          + runId
          + " ("
          + command
          + ", host "
          + host
          + ", pid "
          + pid
          + ", started "
          + startedAt
          + ")";
    }

    /** Why this claim no longer protects a live run, or null while it does. */
    String staleBecause(Instant now, String thisHost) {
      Duration since = Duration.between(renewedAt, now);
      if (since.compareTo(TTL) > 0) {
        return "last renewed "
            + since.toSeconds()
            + " s ago (a claim lives "
            + TTL.toSeconds()
            + " s unless renewed)";
      }
      if (host.equals(thisHost) && !alive(pid, startedAt)) {
        return "its launcher, pid " + pid + " on this host, is gone";
      }
      return null;
    }

    private static boolean alive(long pid, Instant claimedAt) {
      return ProcessHandle.of(pid)
          .filter(ProcessHandle::isAlive)
          // A process that started after the claim only reuses the dead launcher's pid.
          .map(p -> p.info().startInstant().map(s -> !s.isAfter(claimedAt)).orElse(true))
          .orElse(false);
    }

    byte[] toJson() {
      ObjectNode n = JSON.createObjectNode();
      n.put("runId", runId);
      n.put("command", command);
      n.put("host", host);
      n.put("pid", pid);
      n.put("startedAt", startedAt.toString());
      n.put("renewedAt", renewedAt.toString());
      return n.toPrettyString().getBytes(StandardCharsets.UTF_8);
    }

    static Holder fromJson(byte[] json) {
      try {
        JsonNode n = JSON.readTree(json);
        return new Holder(
            n.path("runId").asText(),
            n.path("command").asText(),
            n.path("host").asText(),
            n.path("pid").asLong(),
            Instant.parse(n.path("startedAt").asText()),
            Instant.parse(n.path("renewedAt").asText()));
      } catch (IOException | RuntimeException e) {
        return null; // not a claim hose wrote: treated as stale
      }
    }
  }

  /** A stored claim and the version a conditional replace must match. */
  record Stored(byte[] content, String version) {}

  /** Where the claim lives: an S3 object or a local file, with atomic create and replace. */
  interface Store extends AutoCloseable {
    Optional<Stored> read() throws IOException;

    /** Writes the claim if there is none; the new version, or null if one exists. */
    String createIfAbsent(byte[] content) throws IOException;

    /**
     * Takes over the claim if it is still {@code version}; the new version, or null if it changed
     * (another run took it over first).
     */
    String replace(String version, byte[] content) throws IOException;

    /** The holder rewrites its own claim, still {@code version}; the new version, or null. */
    default String renew(String version, byte[] content) throws IOException {
      return replace(version, content);
    }

    void delete() throws IOException;

    /**
     * Whether the claim written as {@code version} is still there once any write that raced it has
     * landed.
     */
    boolean confirm(String version) throws IOException;

    String where();

    @Override
    void close();
  }

  private final Store store;
  private final Holder holder;
  private final ScheduledExecutorService renewer;
  private volatile String version;
  private volatile boolean lost;

  private OutputClaim(Store store, Holder holder, String version) {
    this.store = store;
    this.holder = holder;
    this.version = version;
    this.renewer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "hose-claim-renewal");
              t.setDaemon(true);
              return t;
            });
    renewer.scheduleWithFixedDelay(
        this::renew, RENEW_EVERY.toMillis(), RENEW_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Claims {@code output} for run {@code runId}. When another live run holds it, fails with one
   * line naming that run, or with {@code wait} polls until it ends or its claim goes stale.
   */
  public static OutputClaim acquire(
      String output, String runId, String command, S3Options s3, boolean wait)
      throws IOException, InterruptedException {
    Store store = output.startsWith("s3://") ? new S3Store(output, s3) : new LocalStore(output);
    try {
      return acquire(store, runId, command, wait);
    } catch (IOException | InterruptedException | RuntimeException e) {
      store.close();
      throw e;
    }
  }

  static OutputClaim acquire(Store store, String runId, String command, boolean wait)
      throws IOException, InterruptedException {
    String host = hostName();
    boolean waitLogged = false;
    while (true) {
      Instant now = Instant.now();
      Holder mine = new Holder(runId, command, host, ProcessHandle.current().pid(), now, now);
      String created = store.createIfAbsent(mine.toJson());
      if (created != null && store.confirm(created)) {
        return new OutputClaim(store, mine, created);
      }
      Optional<Stored> current = store.read();
      if (current.isEmpty()) {
        continue; // released between the two calls
      }
      Holder other = Holder.fromJson(current.get().content());
      String stale = other == null ? "it is not a hose claim" : other.staleBecause(now, host);
      if (stale != null) {
        String replaced = store.replace(current.get().version(), mine.toJson());
        if (replaced != null && store.confirm(replaced)) {
          LOG.info(
              "took over {} from {}: {}",
              store.where(),
              other == null ? "an unreadable claim" : other.describe(),
              stale);
          return new OutputClaim(store, mine, replaced);
        }
        continue; // another run took it over first
      }
      if (!wait) {
        throw new UserError(
            store.where().replace(NAME, "")
                + " is in use by "
                + other.describe()
                + "; one run per output at a time: pass --wait to wait for it to end");
      }
      if (!waitLogged) {
        LOG.info("waiting for {} to release {}", other.describe(), store.where());
        waitLogged = true;
      }
      Thread.sleep(POLL.toMillis());
    }
  }

  /** This run's claim, as stored. */
  public Holder holder() {
    return holder;
  }

  /** Whether a renewal found the claim taken over (this run was thought dead). */
  public boolean lost() {
    return lost;
  }

  private void renew() {
    try {
      Holder renewed =
          new Holder(
              holder.runId(),
              holder.command(),
              holder.host(),
              holder.pid(),
              holder.startedAt(),
              Instant.now());
      String next = store.renew(version, renewed.toJson());
      if (next == null) {
        lost = true;
        LOG.error(
            "{} was taken over by another run after this run failed to renew it for {} s",
            store.where(),
            TTL.toSeconds());
        renewer.shutdown();
      } else {
        version = next;
      }
    } catch (IOException | RuntimeException e) {
      // The next renewal tries again; the claim stays valid for TTL.
      LOG.debug("renewing {} failed: {}", store.where(), e.toString());
    }
  }

  /** Releases the claim, if it is still this run's. */
  @Override
  public void close() {
    renewer.shutdownNow();
    try {
      if (!lost) {
        Optional<Stored> current = store.read();
        Holder h = current.map(s -> Holder.fromJson(s.content())).orElse(null);
        if (h != null && h.runId().equals(holder.runId())) {
          store.delete();
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "could not release {} ({}); the next run takes it over after {} s",
          store.where(),
          Errors.rootMessage(e),
          TTL.toSeconds());
    } finally {
      store.close();
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return System.getenv().getOrDefault("HOSTNAME", "unknown");
    }
  }

  /** On S3: conditional PUTs, whose version is the object's ETag. */
  static final class S3Store implements Store {
    private final S3Client s3;
    private final String bucket;
    private final String key;
    private final String where;
    private final boolean atomic;

    S3Store(String output, S3Options options) {
      String prefix = output.endsWith("/") ? output : output + "/";
      S3Uploads.Location location = S3Uploads.location(prefix + NAME);
      this.bucket = location.bucket();
      this.key = location.key();
      this.where = prefix + NAME;
      this.s3 = S3Uploads.client(options);
      this.atomic = options.getEndpoint() == null; // AWS itself, not an S3-compatible server
    }

    @Override
    public Optional<Stored> read() {
      try {
        var response = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key));
        return Optional.of(new Stored(response.asByteArray(), response.response().eTag()));
      } catch (NoSuchKeyException e) {
        return Optional.empty();
      }
    }

    @Override
    public String createIfAbsent(byte[] content) {
      return put(content, "If-None-Match", "*");
    }

    @Override
    public String replace(String version, byte[] content) {
      return put(content, "If-Match", version);
    }

    private String put(byte[] content, String condition, String value) {
      try {
        return s3.putObject(
                b ->
                    b.bucket(bucket)
                        .key(key)
                        .contentType("application/json")
                        .overrideConfiguration(o -> o.putHeader(condition, value)),
                RequestBody.fromBytes(content))
            .eTag();
      } catch (S3Exception e) {
        // 412: the condition failed; 409: a concurrent conditional write won (S3 asks to retry).
        if (e.statusCode() == 412 || e.statusCode() == 409 || e.statusCode() == 404) {
          return null;
        }
        throw e;
      }
    }

    @Override
    public void delete() {
      s3.deleteObject(b -> b.bucket(bucket).key(key));
    }

    /**
     * AWS S3 evaluates a conditional PUT atomically, but some S3-compatible servers (S3Proxy among
     * them) check the condition and then write, so two runs that start together can both succeed.
     * The last write stands: reading the claim back once such a racing write has landed tells each
     * run whether it is the holder.
     */
    @Override
    public boolean confirm(String version) throws IOException {
      if (atomic) {
        return true;
      }
      try {
        Thread.sleep(RACE_SETTLE.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while confirming " + where, e);
      }
      return read().map(s -> s.version().equals(version)).orElse(false);
    }

    @Override
    public String where() {
      return where;
    }

    @Override
    public void close() {
      s3.close();
    }
  }

  /**
   * In a local directory: created by hard-linking a complete temp file (atomic, and never seen
   * half-written); taken over and renewed by renames; the version is the content's hash.
   */
  static final class LocalStore implements Store {
    private final Path dir;
    private final Path file;

    LocalStore(String output) {
      this.dir =
          Path.of(output.startsWith("file://") ? java.net.URI.create(output).getPath() : output)
              .toAbsolutePath()
              .normalize();
      this.file = dir.resolve(NAME);
    }

    @Override
    public Optional<Stored> read() throws IOException {
      try {
        byte[] content = Files.readAllBytes(file);
        return Optional.of(new Stored(content, sha256(content)));
      } catch (NoSuchFileException e) {
        return Optional.empty();
      }
    }

    @Override
    public String createIfAbsent(byte[] content) throws IOException {
      Files.createDirectories(dir);
      Path temp = writeTemp(content);
      try {
        Files.createLink(file, temp);
        return sha256(content);
      } catch (FileAlreadyExistsException e) {
        return null;
      } finally {
        Files.deleteIfExists(temp);
      }
    }

    /**
     * Moves the stale claim aside (a rename: of two runs taking it over, one finds it gone), checks
     * that what it moved is that claim (else puts it back), then links the new one in, which fails
     * if a new run claimed the output in between.
     */
    @Override
    public String replace(String version, byte[] content) throws IOException {
      Path aside = dir.resolve("." + NAME + ".stale-" + UUID.randomUUID());
      try {
        Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
      } catch (NoSuchFileException e) {
        return null;
      }
      try {
        if (!sha256(Files.readAllBytes(aside)).equals(version)) {
          try {
            Files.createLink(file, aside); // another run's new claim: back where it was
          } catch (FileAlreadyExistsException e) {
            // a third run claimed the output meanwhile; the one moved aside is lost to its owner,
            // whose next renewal finds it gone
          }
          return null;
        }
        return createIfAbsent(content);
      } finally {
        Files.deleteIfExists(aside);
      }
    }

    /** The holder's own claim, still {@code version}, replaced by a rename (never absent). */
    @Override
    public String renew(String version, byte[] content) throws IOException {
      Optional<Stored> current = read();
      if (current.isEmpty() || !current.get().version().equals(version)) {
        return null;
      }
      Path temp = writeTemp(content);
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(temp);
      }
      return sha256(content);
    }

    private Path writeTemp(byte[] content) throws IOException {
      Path temp = dir.resolve("." + NAME + "." + UUID.randomUUID());
      Files.write(temp, content);
      return temp;
    }

    @Override
    public void delete() throws IOException {
      Files.deleteIfExists(file);
    }

    @Override
    public String where() {
      return file.toString();
    }

    @Override
    public boolean confirm(String version) {
      return true; // a hard link and a locked rename are atomic
    }

    @Override
    public void close() {}

    private static String sha256(byte[] content) {
      try {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
      } catch (NoSuchAlgorithmException e) {
        throw new UncheckedIOException(new IOException(e));
      }
    }
  }
}
