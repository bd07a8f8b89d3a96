package dev.hose.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.support.Checkout;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The launcher next to the jars (hose-common/src/main/sh/launcher.sh) with each Java this machine
 * has: a rebuilt jar of the same size and date never runs the old jar's cached classes, and a cache
 * written for another jar is not used. Java 25 before 25.0.4 would run them (JDK-8377932).
 */
class LauncherIT {
  private static final long JAR_TIME = 1_764_000_000_000L;

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"17", "25"})
  void aRebuiltJarAndAnotherJarNeverRunWithACacheThatIsNotTheirs(String version) throws Exception {
    Path java = javaOf(version);
    Path a = jar("A");
    Path b = jar("B");
    assertEquals(Files.size(a), Files.size(b), "the JDK-8377932 case: a rebuilt jar of one size");
    Path cache = dir.resolve("cache");
    Path app = install("app", a);

    Run first = run(java, app, cache);
    assertEquals("A", first.out(), first.err());
    assertTrue(first.err().contains("recording"), first.err());
    Run second = run(java, app, cache);
    assertEquals("A", second.out(), second.err());
    assertTrue(second.err().contains("using"), second.err());

    replaceJar(app, b);
    Run rebuilt = run(java, app, cache);
    assertEquals("B", rebuilt.out(), "the old jar's cached classes ran: " + rebuilt.err());
    assertTrue(rebuilt.err().contains("recording"), rebuilt.err());
    Run again = run(java, app, cache);
    assertEquals("B", again.out(), again.err());
    assertTrue(again.err().contains("using"), again.err());
    assertEquals(1, cachesOf(cache, "app").size(), "the old jar's cache is removed");

    Path other = install("other", a);
    Run elsewhere = run(java, other, cache);
    assertEquals("A", elsewhere.out(), elsewhere.err());
    assertTrue(
        elsewhere.err().contains("recording"), "another jar's cache was used: " + elsewhere.err());
  }

  /**
   * target/hose, target/hose-archive and target/hose-detect share one cache directory: a new
   * recording of one jar removes its own old caches only, never those of a jar whose name it
   * prefixes.
   */
  @ParameterizedTest
  @ValueSource(strings = {"17", "25"})
  void aJarsNewCacheLeavesTheCachesOfTheJarsBesideIt(String version) throws Exception {
    Path java = javaOf(version);
    Path cache = dir.resolve("cache");
    Path longer = installedAndCached(java, "app-archive", jar("A"), cache);

    Path app = install("app", jar("B"));
    Run first = run(java, app, cache);
    assertEquals("B", first.out(), first.err());
    assertTrue(first.err().contains("recording"), first.err());
    Run beside = run(java, longer, cache);
    assertEquals("A", beside.out(), beside.err());
    assertTrue(
        beside.err().contains("using"),
        "app's recording removed app-archive's cache: " + beside.err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"17", "25"})
  void withNowhereToWriteACacheTheCommandStillRuns(String version) throws Exception {
    Path java = javaOf(version);
    Path app = install("app", jar("A"));
    // Paths under a regular file: no mkdir succeeds there, not even root's.
    Path file = Files.writeString(dir.resolve("a-file"), "");
    Run run = run(java, app, file.resolve("cache"), Map.of("HOME", file.toString()));
    assertEquals("A", run.out(), run.err());
    assertTrue(run.err().contains("no cache: neither"), run.err());
  }

  /**
   * A jar rebuilt with the same contents has a new date, and Java 17's JVM will not use a CDS
   * archive recorded for the old date ("Unable to use shared archive", a cold start every time):
   * the launcher records a cache for it, and the runs after it use that one.
   */
  @ParameterizedTest
  @ValueSource(strings = {"17", "25"})
  void aJarRebuiltWithTheSameContentsRecordsACacheItCanUse(String version) throws Exception {
    Path java = javaOf(version);
    Path cache = dir.resolve("cache");
    Path app = installedAndCached(java, "app", jar("A"), cache);

    Path jar = app.resolveSibling("app.jar");
    Files.setLastModifiedTime(jar, FileTime.fromMillis(JAR_TIME + 60_000));
    Run rebuilt = run(java, app, cache);
    assertEquals("A", rebuilt.out(), rebuilt.err());
    assertTrue(rebuilt.err().contains("recording"), rebuilt.err());
    Run again = run(java, app, cache);
    assertTrue(again.err().contains("using"), again.err());
    assertFalse(again.err().contains("Unable to use"), again.err());
    assertEquals(1, cachesOf(cache, "app").size(), "the old date's cache is removed");
  }

  /**
   * archive, verify and restore run with glibc's mmap threshold fixed, so that each native zstd
   * context goes back to the system when its shard ends; detect's frames do not; the user's own
   * value wins.
   */
  @ParameterizedTest
  @ValueSource(strings = {"17", "25"})
  void theShardCommandsRunWithAFixedMmapThreshold(String version) throws Exception {
    Path java = javaOf(version);
    Path app = install("app", jar("env", "System.getenv(\"MALLOC_MMAP_THRESHOLD_\")"));
    Path cache = dir.resolve("cache");
    assertShardCommandsAndDetectPrint(java, app, cache, "131072", "null");
    Map<String, String> own = Map.of("MALLOC_MMAP_THRESHOLD_", "65536");
    assertEquals("65536", run(java, app, cache, "archive", own).out());
    Map<String, String> off = Map.of("HOSE_CACHE", "off");
    assertEquals("131072", run(java, app, cache, "archive", off).out());
  }

  private Path javaOf(String version) {
    Path running = Path.of(System.getProperty("java.home"), "bin", "java");
    if (version.equals("17")) {
      return running;
    }
    Path jdk25 =
        Path.of(
            System.getenv().getOrDefault("HOSE_JAVA25", "/usr/lib/jvm/temurin-25-jdk-amd64"),
            "bin",
            "java");
    Assumptions.assumeTrue(
        Files.isExecutable(jdk25), "no Java 25 at " + jdk25 + " (set HOSE_JAVA25 to its home)");
    return jdk25;
  }

  /**
   * A jar whose main class prints {@code letter}: classes of one size, entries stored, one date.
   */
  private Path jar(String letter) throws IOException {
    return jar(letter, "\"" + letter + "\"");
  }

  /** A jar named {@code name} whose main class prints the Java {@code expression}. */
  private Path jar(String name, String expression) throws IOException {
    Path src = Files.createDirectories(dir.resolve("src-" + name + "/p"));
    Files.writeString(
        src.resolve("Main.java"),
        "package p; public class Main { public static void main(String[] a) {"
            + " System.out.print("
            + expression
            + "); } }");
    Path classes = Files.createDirectories(dir.resolve("classes-" + name));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertEquals(
        0,
        javac.run(
            null,
            null,
            null,
            "--release",
            "17",
            "-d",
            classes.toString(),
            src.resolve("Main.java").toString()));
    byte[] main = Files.readAllBytes(classes.resolve("p/Main.class"));
    Path jar = dir.resolve(name + ".jar");
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "p.Main");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
      JarEntry e = new JarEntry("p/Main.class");
      e.setMethod(JarEntry.STORED);
      e.setSize(main.length);
      CRC32 crc = new CRC32();
      crc.update(main);
      e.setCrc(crc.getValue());
      e.setTime(JAR_TIME);
      out.putNextEntry(e);
      out.write(main);
      out.closeEntry();
    }
    return jar;
  }

  /** {@link #install}s {@code jar}, then runs it twice: the first run records, the second uses. */
  private Path installedAndCached(Path java, String name, Path jar, Path cache) throws Exception {
    Path app = install(name, jar);
    assertTrue(run(java, app, cache).err().contains("recording"));
    assertTrue(run(java, app, cache).err().contains("using"));
    return app;
  }

  private Path install(String name, Path jar) throws IOException {
    Path launcher = dir.resolve(name);
    Files.copy(
        Checkout.root().resolve("hose-common/src/main/sh/launcher.sh"),
        launcher,
        StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    replaceJar(launcher, jar);
    return launcher;
  }

  /** Puts {@code jar} in place as a rebuild would, keeping the date: only the contents differ. */
  private static void replaceJar(Path launcher, Path jar) throws IOException {
    Path target = launcher.resolveSibling(launcher.getFileName() + ".jar");
    Files.copy(jar, target, StandardCopyOption.REPLACE_EXISTING);
    Files.setLastModifiedTime(target, FileTime.fromMillis(JAR_TIME));
  }

  /**
   * archive, verify, restore and detect let C2 wait ten times longer, so that it does not compile
   * what only the start runs; other commands keep the JVM's default; the user's JAVA_OPTS win.
   */
  @ParameterizedTest
  @ValueSource(strings = {"17", "25"})
  void theShardCommandsKeepC2OffTheStart(String version) throws Exception {
    Path java = javaOf(version);
    Path app =
        install(
            "app",
            jar(
                "jit",
                "java.lang.management.ManagementFactory.getPlatformMXBean("
                    + "com.sun.management.HotSpotDiagnosticMXBean.class)"
                    + ".getVMOption(\"Tier4InvocationThreshold\").getValue()"));
    Path cache = dir.resolve("cache");
    assertShardCommandsAndDetectPrint(java, app, cache, "50000", "50000");
    assertEquals("5000", run(java, app, cache, "demo", Map.of()).out());
    Map<String, String> own = Map.of("JAVA_OPTS", "-XX:Tier4InvocationThreshold=7000");
    assertEquals("7000", run(java, app, cache, "archive", own).out());
    assertEquals("7000", run(java, app, cache, "detect", own).out());
  }

  /**
   * A JVM log asked for in JAVA_OPTS is written, in a recording run and in one that uses the cache:
   * the launcher's own log settings (which begin with {@code -Xlog:disable}) come first.
   */
  @ParameterizedTest
  @ValueSource(strings = {"17", "25"})
  void aJvmLogAskedForInJavaOptsIsWritten(String version) throws Exception {
    Path java = javaOf(version);
    Path app = install("app", jar("A"));
    Path cache = dir.resolve("cache");
    Path log = dir.resolve("gc.log");
    Map<String, String> own = Map.of("JAVA_OPTS", "-Xlog:gc:file=" + log);
    for (String kind : List.of("recording", "using")) {
      Files.deleteIfExists(log);
      Run r = run(java, app, cache, "archive", own);
      assertTrue(r.err().contains(kind), r.err());
      assertTrue(Files.exists(log) && Files.readString(log).contains("Using"), kind);
    }
  }

  /** What {@code app} prints when run as each of archive, verify and restore, and as detect. */
  private static void assertShardCommandsAndDetectPrint(
      Path java, Path app, Path cache, String shardCommands, String detect) throws Exception {
    for (String command : List.of("archive", "verify", "restore")) {
      assertEquals(shardCommands, run(java, app, cache, command, Map.of()).out(), command);
    }
    assertEquals(detect, run(java, app, cache, "detect", Map.of()).out());
  }

  private record Run(String out, String err) {}

  private static Run run(Path java, Path launcher, Path cache) throws Exception {
    return run(java, launcher, cache, Map.of());
  }

  private static Run run(Path java, Path launcher, Path cache, Map<String, String> extraEnv)
      throws Exception {
    return run(java, launcher, cache, "run", extraEnv);
  }

  private static Run run(
      Path java, Path launcher, Path cache, String command, Map<String, String> extraEnv)
      throws Exception {
    ProcessBuilder pb = new ProcessBuilder(launcher.toString(), command);
    Map<String, String> env = pb.environment();
    env.remove("XDG_CACHE_HOME");
    env.remove("MALLOC_MMAP_THRESHOLD_");
    env.remove("JAVA_OPTS");
    env.remove("JAVA_TOOL_OPTIONS");
    env.putAll(extraEnv);
    env.put("HOSE_JAVA", java.toString());
    env.put("HOSE_CACHE_DIR", cache.toString());
    env.put("HOSE_LAUNCHER_DEBUG", "1");
    Process p = pb.start();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread drain = new Thread(() -> copy(p, err));
    drain.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the launcher did not end");
    drain.join();
    String stderr = err.toString(StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), stderr);
    return new Run(out.strip(), stderr);
  }

  private static void copy(Process p, ByteArrayOutputStream to) {
    try {
      p.getErrorStream().transferTo(to);
    } catch (IOException e) {
      // the process ended
    }
  }

  private static List<Path> cachesOf(Path cache, String name) throws IOException {
    try (Stream<Path> files = Files.list(cache)) {
      return new ArrayList<>(
          files.filter(f -> f.getFileName().toString().startsWith(name + "-")).toList());
    }
  }
}
