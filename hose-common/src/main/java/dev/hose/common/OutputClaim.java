package dev.hose.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
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
 * One run at a time per output. A run claims {@code OUTPUT/_hose_claim.json} before it touches
 * anything there: the claim is created only if absent (on S3 a PUT with {@code If-None-Match: *},
 * locally a hard link; both atomic), renewed while the run lives, and deleted when it ends. Two
 * runs on one output would remove each other's temp files and race on the manifests. Archive claims
 * each table's directory, so runs on different tables under one prefix never refuse each other;
 * detect claims its whole output prefix.
 *
 * <p>A run that needs several outputs claims them in one sorted order (so two runs that wait for
 * each other cannot deadlock), all or none, with one renewal thread and one S3 client for all.
 *
 * <p>A claim is stale, and the next run takes it over, when it was last renewed more than {@link
 * #TTL} ago (its launcher was killed, or lost the storage) or when its launcher is a process of
 * this host that no longer exists. A takeover replaces exactly the stale claim it read (S3: {@code
 * If-Match} its ETag), so two runs that find the same stale claim cannot both win. Workers fence
 * their commits with {@link #fence}: a run whose claim has not been renewed for {@link #FENCE}
 * (half the TTL) no longer commits, so a job whose launcher died can never commit over the run that
 * took its output over.
 *
 * <p>Over 350 lines on purpose: the protocol (claim in order, renew, fence, take over, release) and
 * its two stores (S3's conditional PUTs, the local hard link) are one compare-and-swap that is only
 * checked by reading them together.
 */
public final class OutputClaim implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutputClaim.class);

  public static final String NAME = "_hose_claim.json";

  /** How long a claim lives without renewal: five missed renewals, then it is stale. */
  static final Duration TTL = Duration.ofSeconds(120);

  /**
   * How old a claim may be when its run commits: half the TTL, so that a commit that passed the
   * fence has at least {@code TTL - FENCE} before anyone may take the output over.
   */
  static final Duration FENCE = TTL.dividedBy(2);

  private static final Duration RENEW_EVERY = Duration.ofSeconds(20);
  private static final Duration POLL = Duration.ofSeconds(2);
  private static final Duration RENEWAL_FINISH = Duration.ofSeconds(30);
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

    /**
     * Why this claim no longer protects a live run, or null while it does. {@code age} is the time
     * since its last write as the storage tells it (no clock of another host involved).
     */
    String staleBecause(Duration age, String thisHost) {
      if (age.compareTo(TTL) > 0) {
        return "last renewed "
            + age.toSeconds()
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

    Holder renewed(Instant now) {
      return new Holder(runId, command, host, pid, startedAt, now);
    }

    byte[] toJson() {
      ObjectNode n = Json.MAPPER.createObjectNode();
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
        JsonNode n = Json.MAPPER.readTree(json);
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

  /**
   * A stored claim, the version a conditional replace must match, and how long ago it was written
   * by the storage's own clock.
   */
  record Stored(byte[] content, String version, Duration age) {}

  /** Where the claim lives: an S3 object or a local file, with atomic create and replace. */
  interface Store {
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
     * Whether a write that raced this one can still land after it returned (S3-compatible servers
     * that check a condition and then write): then {@link #confirm} is asked after a pause.
     */
    boolean racy();

    /** Whether the claim written as {@code version} is still there. */
    default boolean confirm(String version) throws IOException {
      return !racy() || read().map(s -> s.version().equals(version)).orElse(false);
    }

    String where();
  }

  /** One claimed output: its store and the version this run last wrote. */
  private static final class Held {
    final Store store;
    volatile String version;
    volatile boolean lost;

    Held(Store store, String version) {
      this.store = store;
      this.version = version;
    }
  }

  private final List<Held> held;
  private final Holder holder;
  private final AutoCloseable shared;
  private final ScheduledExecutorService renewer;

  private OutputClaim(List<Held> held, Holder holder, AutoCloseable shared, Duration renewEvery) {
    this.held = held;
    this.holder = holder;
    this.shared = shared;
    this.renewer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "hose-claim-renewal");
              t.setDaemon(true);
              return t;
            });
    renewer.scheduleWithFixedDelay(
        this::renew, renewEvery.toMillis(), renewEvery.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Claims {@code output} for run {@code runId}. When another live run holds it, fails with one
   * line naming that run, or with {@code wait} polls until it ends or its claim goes stale.
   */
  public static OutputClaim acquire(
      String output, String runId, String command, S3Options s3, boolean wait)
      throws IOException, InterruptedException {
    return acquire(List.of(output), runId, command, s3, wait);
  }

  /** Claims every one of {@code outputs} for run {@code runId}, all or none (see the class doc). */
  public static OutputClaim acquire(
      List<String> outputs, String runId, String command, S3Options s3, boolean wait)
      throws IOException, InterruptedException {
    List<String> sorted = outputs.stream().distinct().sorted().toList();
    S3Client client =
        sorted.stream().anyMatch(o -> o.startsWith("s3://")) ? S3Uploads.client(s3) : null;
    AutoCloseable shared = client == null ? () -> {} : client;
    try {
      List<Store> stores = new ArrayList<>();
      for (String output : sorted) {
        stores.add(
            output.startsWith("s3://")
                ? new S3Store(output, client, s3.getEndpoint() == null)
                : new LocalStore(output));
      }
      return acquire(stores, runId, command, wait, shared, RENEW_EVERY);
    } catch (IOException | InterruptedException | RuntimeException e) {
      closeQuietly(shared);
      throw e;
    }
  }

  /**
   * Claims the stores in their order. Each pass writes the claims it can, pauses once for racing
   * writes where the storage needs it, and confirms them; a store another live run holds stops the
   * pass there (refused, or waited for), so claims are only ever held in order.
   */
  static OutputClaim acquire(
      List<Store> stores, String runId, String command, boolean wait, Duration renewEvery)
      throws IOException, InterruptedException {
    return acquire(stores, runId, command, wait, () -> {}, renewEvery);
  }

  private static OutputClaim acquire(
      List<Store> stores,
      String runId,
      String command,
      boolean wait,
      AutoCloseable shared,
      Duration renewEvery)
      throws IOException, InterruptedException {
    String host = hostName();
    Instant started = Instant.now();
    Holder holder =
        new Holder(runId, command, host, ProcessHandle.current().pid(), started, started);
    List<Held> held = new ArrayList<>();
    boolean waitLogged = false;
    try {
      while (held.size() < stores.size()) {
        Pass pass = claimPass(stores, held, holder.renewed(Instant.now()), host, runId);
        if (pass.blocking() == null || pass.raceLost()) {
          continue;
        }
        Holder blocking = pass.blocking();
        Store at = stores.get(held.size());
        if (!wait) {
          throw new UserError(
              at.where().replace(NAME, "")
                  + " is in use by "
                  + blocking.describe()
                  + "; one run per output at a time: pass --wait to wait for it to end");
        }
        if (!waitLogged) {
          LOG.info("waiting for {} to release {}", blocking.describe(), at.where());
          waitLogged = true;
        }
        Thread.sleep(POLL.toMillis());
      }
      return new OutputClaim(held, holder, shared, renewEvery);
    } catch (IOException | InterruptedException | RuntimeException e) {
      for (Held h : held) {
        releaseIfOurs(h.store, runId);
      }
      throw e;
    }
  }

  /** What one pass over the stores left: the live run that stopped it, or a race lost. */
  private record Pass(Holder blocking, boolean raceLost) {}

  /**
   * One pass over the stores not held yet: writes the claims it can in order, pauses once for
   * racing writes where the storage needs it, and adds those it confirms to {@code held}. Claims
   * past a lost one are given back: held only in order.
   */
  private static Pass claimPass(
      List<Store> stores, List<Held> held, Holder mine, String host, String runId)
      throws IOException, InterruptedException {
    List<Held> written = new ArrayList<>();
    Holder blocking = null;
    for (Store store : stores.subList(held.size(), stores.size())) {
      Attempt attempt = attempt(store, mine, host);
      if (attempt.version() == null) {
        blocking = attempt.holder();
        break;
      }
      written.add(new Held(store, attempt.version()));
    }
    if (written.stream().anyMatch(h -> h.store.racy())) {
      Thread.sleep(RACE_SETTLE.toMillis());
    }
    boolean raceLost = false;
    for (Held h : written) {
      if (!raceLost && h.store.confirm(h.version)) {
        held.add(h);
      } else {
        raceLost = true;
        releaseIfOurs(h.store, runId);
      }
    }
    return new Pass(blocking, raceLost);
  }

  /**
   * One try at one store: the version written, or null with the live run that holds it (null
   * holder: a race to retry at once).
   */
  private record Attempt(String version, Holder holder) {}

  private static Attempt attempt(Store store, Holder mine, String host) throws IOException {
    String created = store.createIfAbsent(mine.toJson());
    if (created != null) {
      return new Attempt(created, null);
    }
    Optional<Stored> current = store.read();
    if (current.isEmpty()) {
      return new Attempt(null, null); // released between the two calls: try again
    }
    Holder other = Holder.fromJson(current.get().content());
    String stale =
        other == null ? "it is not a hose claim" : other.staleBecause(current.get().age(), host);
    if (stale == null) {
      return new Attempt(null, other);
    }
    String replaced = store.replace(current.get().version(), mine.toJson());
    if (replaced != null) {
      LOG.info(
          "took over {} from {}: {}",
          store.where(),
          other == null ? "an unreadable claim" : other.describe(),
          stale);
    }
    return new Attempt(replaced, null);
  }

  /**
   * Tells workers whether their run may still commit into an output: the claim there must still be
   * the run's and renewed within {@link #FENCE}. Workers ask right before they make anything
   * visible, so that a job whose launcher died (and stopped renewing) never commits after another
   * run could have taken the output over. Holds one S3 client for its life.
   */
  public static final class Fence implements AutoCloseable {
    private final S3Options s3;
    private S3Client client;

    public Fence(S3Options s3) {
      this.s3 = s3;
    }

    /** Why run {@code runId} must not commit into {@code output} now, or null when it may. */
    public String check(String output, String runId) throws IOException {
      if (!output.startsWith("s3://")) {
        return fence(new LocalStore(output), runId);
      }
      synchronized (this) {
        if (client == null) {
          client = S3Uploads.client(s3);
        }
      }
      return fence(new S3Store(output, client, true), runId);
    }

    @Override
    public synchronized void close() {
      if (client != null) {
        client.close();
        client = null;
      }
    }
  }

  static String fence(Store store, String runId) throws IOException {
    Optional<Stored> current = store.read();
    if (current.isEmpty()) {
      return store.where() + " is gone: this run no longer holds its output";
    }
    Holder h = Holder.fromJson(current.get().content());
    if (h == null || !h.runId().equals(runId)) {
      return store.where()
          + " is held by "
          + (h == null ? "an unreadable claim" : h.describe())
          + ": another run took this output over";
    }
    Duration age = current.get().age();
    if (age.compareTo(FENCE) > 0) {
      return store.where()
          + " was last renewed "
          + age.toSeconds()
          + " s ago (its launcher renews it every "
          + RENEW_EVERY.toSeconds()
          + " s, and stopped: killed or cut off); another run may take the output over after "
          + TTL.toSeconds()
          + " s";
    }
    return null;
  }

  /** This run's claim, as stored. */
  public Holder holder() {
    return holder;
  }

  /** Whether a renewal found a claim taken over (this run was thought dead). */
  public boolean lost() {
    return held.stream().anyMatch(h -> h.lost);
  }

  private void renew() {
    byte[] renewed = holder.renewed(Instant.now()).toJson();
    for (Held h : held) {
      if (h.lost) {
        continue;
      }
      try {
        String next = h.store.renew(h.version, renewed);
        if (next == null) {
          h.lost = true;
          LOG.error(
              "{} was taken over by another run after this run failed to renew it for {} s",
              h.store.where(),
              TTL.toSeconds());
        } else {
          h.version = next;
        }
      } catch (IOException | RuntimeException e) {
        // The next renewal tries again; the claim stays valid for TTL.
        LOG.debug("renewing {} failed: {}", h.store.where(), e.toString());
      }
    }
  }

  /**
   * Releases the claims that are still this run's. A renewal in flight is let finish first: on
   * servers that check a PUT's condition and then write, one that lands after the delete would
   * bring the claim back, and the output would look held until the claim went stale.
   */
  @Override
  public void close() {
    stopRenewing();
    try {
      for (Held h : held) {
        if (h.lost) {
          continue;
        }
        try {
          deleteIfOurs(h.store, holder.runId());
        } catch (IOException | RuntimeException e) {
          LOG.warn(
              "could not release {} ({}); the next run takes it over after {} s",
              h.store.where(),
              Errors.rootMessage(e),
              TTL.toSeconds());
        }
      }
    } finally {
      closeQuietly(shared);
    }
  }

  private void stopRenewing() {
    renewer.shutdown();
    try {
      if (!renewer.awaitTermination(RENEWAL_FINISH.toSeconds(), TimeUnit.SECONDS)) {
        LOG.warn(
            "a claim renewal did not finish in {} s; releasing anyway", RENEWAL_FINISH.toSeconds());
        renewer.shutdownNow();
      }
    } catch (InterruptedException e) {
      renewer.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static void releaseIfOurs(Store store, String runId) {
    try {
      deleteIfOurs(store, runId);
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not release {}: {}", store.where(), Errors.rootMessage(e));
    }
  }

  private static void deleteIfOurs(Store store, String runId) throws IOException {
    Optional<Stored> current = store.read();
    Holder h = current.map(s -> Holder.fromJson(s.content())).orElse(null);
    if (h != null && h.runId().equals(runId)) {
      store.delete();
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      LOG.debug("closing the claim's storage client: {}", e.toString());
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

    /**
     * {@code atomic}: AWS S3 itself, which evaluates a conditional PUT atomically. Some
     * S3-compatible servers (S3Proxy among them) check the condition and then write, so two runs
     * that start together can both succeed; the last write stands, and reading the claim back once
     * such a racing write has landed tells each run whether it is the holder.
     */
    S3Store(String output, S3Client s3, boolean atomic) {
      String prefix = output.endsWith("/") ? output : output + "/";
      S3Uploads.Location location = S3Uploads.location(prefix + NAME);
      this.bucket = location.bucket();
      this.key = location.key();
      this.where = prefix + NAME;
      this.s3 = s3;
      this.atomic = atomic;
    }

    /** The claim, and its age by the server's clock: its Date header less the Last-Modified. */
    @Override
    public Optional<Stored> read() {
      try {
        var response = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key));
        Instant modified = response.response().lastModified();
        Instant serverNow =
            response
                .response()
                .sdkHttpResponse()
                .firstMatchingHeader("Date")
                .map(d -> Instant.from(DateTimeFormatter.RFC_1123_DATE_TIME.parse(d)))
                .orElse(Instant.now());
        Duration age =
            modified == null ? Duration.ZERO : Duration.between(modified, serverNow).abs();
        return Optional.of(new Stored(response.asByteArray(), response.response().eTag(), age));
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

    @Override
    public boolean racy() {
      return !atomic;
    }

    @Override
    public String where() {
      return where;
    }
  }

  /**
   * In a local directory: created by hard-linking a complete temp file (atomic, and never seen
   * half-written); taken over and renewed by renames; the version is the content's hash, the age
   * the file's modification time against this host's clock.
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
        Instant modified = Files.getLastModifiedTime(file).toInstant();
        Duration age = Duration.between(modified, Instant.now()).abs();
        return Optional.of(new Stored(content, sha256(content), age));
      } catch (NoSuchFileException e) {
        return Optional.empty();
      }
    }

    @Override
    public String createIfAbsent(byte[] content) throws IOException {
      Path temp;
      try {
        Files.createDirectories(dir);
        temp = writeTemp(content);
      } catch (NoSuchFileException e) {
        // another run released its claim and removed the then empty directory meanwhile
        Files.createDirectories(dir);
        temp = writeTemp(content);
      }
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

    /** Deletes the claim, and the directory if the claim made it and nothing else is there. */
    @Override
    public void delete() throws IOException {
      Files.deleteIfExists(file);
      try {
        Files.deleteIfExists(dir);
      } catch (DirectoryNotEmptyException e) {
        // it holds the output
      }
    }

    @Override
    public String where() {
      return file.toString();
    }

    @Override
    public boolean racy() {
      return false; // a hard link and a rename are atomic
    }

    private static String sha256(byte[] content) {
      try {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
      } catch (NoSuchAlgorithmException e) {
        throw new UncheckedIOException(new IOException(e));
      }
    }
  }
}
