package dev.hose.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.support.HoseProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/**
 * The jars {@code mvn package} makes: each job jar holds its pipeline and not what other jobs, the
 * demo servers or a Flink cluster bring, and says where a command it lacks lives.
 */
class JobJarsIT {
  private static final Path ALL = HoseProcess.jar();
  private static final Path ARCHIVE = ALL.resolveSibling("hose-archive.jar");
  private static final Path DETECT = ALL.resolveSibling("hose-detect.jar");
  private static final String OPTIONS_REGISTRARS =
      "META-INF/services/org.apache.beam.sdk.options.PipelineOptionsRegistrar";

  @Test
  void theArchiveJarHoldsNoVideoNoDemoServersNoDatabaseBinariesAndNoFlink() throws IOException {
    List<String> entries = entries(ARCHIVE);
    assertNone(
        entries,
        "org/bytedeco/",
        "dev/hose/detect/",
        "dev/hose/demo/",
        "dev/hose/embedded/",
        "io/zonky/",
        "postgres-linux-x86_64.txz",
        "org/gaul/",
        "org/jclouds/",
        "com/azure/",
        "org/apache/flink/runtime/",
        "org/apache/flink/api/common/");
    assertSome(
        entries,
        "dev/hose/archive/ArchivePipeline.class",
        "org/postgresql/Driver.class",
        "org/apache/beam/runners/flink/FlinkRunner.class",
        "org/apache/beam/runners/direct/DirectRunner.class");
  }

  @Test
  void theDetectJarHoldsLinuxNativesThatDetectLoadsAndNoFlink() throws IOException {
    List<String> entries = entries(DETECT);
    assertNone(
        entries,
        "dev/hose/archive/",
        "dev/hose/demo/",
        "dev/hose/embedded/",
        "io/zonky/",
        "org/gaul/",
        "org/postgresql/",
        "org/apache/flink/runtime/",
        "org/bytedeco/opencv/windows",
        "org/bytedeco/opencv/macosx",
        "org/bytedeco/opencv/linux-x86_64/python/",
        "org/bytedeco/opencv/linux-x86_64/libopencv_xfeatures2d",
        "org/bytedeco/tesseract/",
        "org/bytedeco/openblas/linux-x86_64/libjniopenblas_full.so");
    assertSome(
        entries,
        "dev/hose/detect/DetectPipeline.class",
        "org/bytedeco/ffmpeg/linux-x86_64/libavcodec.so.61",
        "org/bytedeco/opencv/linux-x86_64/libopencv_video.so.411",
        "org/bytedeco/opencv/linux-x86_64/libopencv_objdetect.so.411",
        "org/bytedeco/opencv/linux-x86_64/share/opencv4/haarcascades/"
            + "haarcascade_frontalface_default.xml");
  }

  @Test
  void aCommandThatIsNotInTheJarNamesTheJarThatHasIt() throws Exception {
    Run r = run(ARCHIVE, "detect", "--input=x");
    assertEquals(2, r.exit(), r.stderr());
    assertEquals(
        "hose: detect is not in hose-archive.jar: run it from hose-detect.jar (or hose.jar, which"
            + " has every command)",
        r.stderr().strip());
    r = run(DETECT, "archive");
    assertEquals(2, r.exit(), r.stderr());
    assertTrue(r.stderr().contains("run it from hose-archive.jar"), r.stderr());
  }

  @Test
  void helpListsHosesOwnOptionsWithDefaults() throws Exception {
    Run r = run(ARCHIVE, "archive", "--help");
    assertEquals(0, r.exit(), r.stderr());
    assertTrue(r.stdout().contains("  --tables (required)"), r.stdout());
    assertTrue(r.stdout().contains("  --gzipLevel [default: 6]"), r.stdout());
    assertTrue(!r.stdout().contains("PipelineOptions"), "Beam's registry listing: " + r.stdout());
    r = run(DETECT, "detect", "--help");
    assertEquals(0, r.exit(), r.stderr());
    assertTrue(r.stdout().contains("  --sampleFps [default: 2]"), r.stdout());
  }

  @Test
  void anUnknownOptionGetsOneLineWithTheClosestName() throws Exception {
    Run r =
        run(
            ARCHIVE,
            "archive",
            "--jdbcUrl=jdbc:postgresql://127.0.0.1:1/x",
            "--username=u",
            "--tabels=t",
            "--output=/tmp/hose-never-written");
    assertEquals(2, r.exit(), r.stderr());
    assertEquals(
        "hose archive: error: unknown option --tabels (did you mean --tables?); --help lists the"
            + " options",
        r.stderr().strip());
  }

  @Test
  void aJobJarRefusesTheFlinkRunnerWithOneLineSayingWhereFlinkIs() throws Exception {
    Run r =
        run(
            ARCHIVE,
            "archive",
            "--runnerConfig=runner-configs/flink-local.properties",
            "--jdbcUrl=jdbc:postgresql://127.0.0.1:1/x",
            "--username=u",
            "--tables=t",
            "--output=/tmp/hose-never-written");
    assertEquals(2, r.exit(), r.stderr());
    assertTrue(
        r.stderr()
            .strip()
            .startsWith(
                "hose archive: error: --runner=FlinkRunner needs"
                    + " Flink's classes, which hose-archive.jar leaves to the cluster"),
        r.stderr());
    assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
  }

  @Test
  void theJarsRegisterNoFlinkOrKinesisOptionsAtStart() throws IOException {
    for (Path jar : List.of(ARCHIVE, DETECT, ALL)) {
      String registrars;
      try (JarFile f = new JarFile(jar.toFile())) {
        ZipEntry e = f.getEntry(OPTIONS_REGISTRARS);
        registrars = new String(f.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8);
      }
      assertTrue(registrars.contains("DefaultPipelineOptionsRegistrar"), jar + ": " + registrars);
      assertTrue(registrars.contains("DirectRegistrar$Options"), jar + ": " + registrars);
      assertTrue(!registrars.contains("flink"), jar + ": " + registrars);
      assertTrue(!registrars.contains("kinesis"), jar + ": " + registrars);
    }
  }

  @Test
  void flinkAndS3OptionsStillParseWhereACommandNamesThem() throws Exception {
    // Nothing listens on port 1, and no AWS credentials are set.
    List<String> database =
        List.of("--jdbcUrl=jdbc:postgresql://127.0.0.1:1/x", "--username=u", "--tables=a.b");
    // Beam takes the runner's short name in any case too; the runner configs spell it FlinkRunner.
    List<String> flink = new ArrayList<>(List.of("archive", "--runner=flink"));
    flink.addAll(List.of("--flinkMaster=127.0.0.1:1", "--parallelism=2"));
    flink.addAll(database);
    flink.add("--output=/tmp/hose-never-written");
    List<String> s3 = new ArrayList<>(List.of("archive", "--awsRegion=us-east-1"));
    s3.addAll(List.of("--endpoint=http://127.0.0.1:1", "--s3UploadBufferSizeBytes=5242880"));
    s3.addAll(database);
    s3.add("--output=s3://bucket/never-written/");
    // Each gets past its options to the first place it reaches out: the database, the bucket.
    assertGotPastItsOptions(run(ALL, flink.toArray(String[]::new)), "127.0.0.1:1");
    assertGotPastItsOptions(run(ARCHIVE, s3.toArray(String[]::new)), "s3://bucket/never-written/");
  }

  private static void assertGotPastItsOptions(Run r, String reached) {
    assertTrue(r.exit() != 0, r.stderr());
    assertTrue(!r.stderr().contains("unknown option"), r.stderr());
    assertTrue(r.stderr().contains(reached), r.stderr());
  }

  private record Run(int exit, String stdout, String stderr) {}

  private static Run run(Path jar, String... args) throws Exception {
    List<String> command = HoseProcess.java(List.of("-Xmx256m"));
    command.add("-jar");
    command.add(jar.toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).start();
    p.getOutputStream().close();
    var out = p.getInputStream().readAllBytes();
    var err = p.getErrorStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("hose did not exit: " + command);
    }
    return new Run(
        p.exitValue(),
        new String(out, StandardCharsets.UTF_8),
        new String(err, StandardCharsets.UTF_8));
  }

  private static List<String> entries(Path jar) throws IOException {
    List<String> names = new ArrayList<>();
    try (JarFile f = new JarFile(jar.toFile())) {
      f.stream().map(ZipEntry::getName).forEach(names::add);
    }
    return names;
  }

  private static void assertNone(List<String> entries, String... prefixes) {
    for (String prefix : prefixes) {
      List<String> found =
          entries.stream()
              .filter(e -> e.startsWith(prefix) || e.endsWith(prefix))
              .limit(3)
              .toList();
      assertEquals(List.of(), found, "entries starting with " + prefix);
    }
  }

  private static void assertSome(List<String> entries, String... names) {
    for (String name : names) {
      assertTrue(entries.contains(name), "missing " + name);
    }
  }
}
