package dev.hose.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.hose.common.FileTrees;
import dev.hose.support.Checkout;
import dev.hose.support.FlinkSessionCluster;
import dev.hose.support.JsonLines;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Java2DFrameConverter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code hose detect} submitted to a local Flink session cluster with
 * runner-configs/flink-cluster.properties: JavaCV's natives load in the job's classloader on the
 * TaskManagers, the detections and failures equal a DirectRunner run's, the scratch directory is
 * empty afterwards, and a job failure reaches the client with its cause. Videos are generated and
 * served over loopback HTTP, with an x264 clip with B-frames among them, so that the TaskManagers
 * also decode in noref mode through hose's own packet filter.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlinkDetectIT {
  private static final int VIDEOS = 6;

  /**
   * x264 High with B-frames (hose-detect's test fixture), which detect decodes in noref mode
   * through its own packet filter ({@code Pictures.WithoutNonReference}), the path the generated
   * MPEG-4 videos do not take.
   */
  private static final String BFRAMES = "bframes-h264.mp4";

  /** The videos with detections: the generated ones and the B-frame one. */
  private static final int GOOD = VIDEOS + 1;

  private static final ObjectMapper JSON = new ObjectMapper();

  private Path work;
  private HttpServer http;
  private FlinkSessionCluster cluster;
  private Path urls;

  @BeforeAll
  void start() throws Exception {
    work = Checkout.root().resolve("target/it/FlinkDetectIT");
    FileTrees.delete(work);
    Path videos = Files.createDirectories(work.resolve("videos"));
    for (int i = 0; i < VIDEOS; i++) {
      writeVideo(videos.resolve("moving-" + i + ".mp4"), i);
    }
    Files.copy(
        Checkout.root().resolve("hose-detect/src/test/resources/dev/hose/detect/h264-bframes.mp4"),
        videos.resolve(BFRAMES));
    byte[] garbage = new byte[64 * 1024];
    new Random(7).nextBytes(garbage);
    Files.write(videos.resolve("broken.mp4"), garbage);

    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext(
        "/",
        exchange -> {
          try (exchange) {
            Path file = videos.resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
            if (!file.startsWith(videos) || !Files.isRegularFile(file)) {
              exchange.sendResponseHeaders(404, -1);
              return;
            }
            exchange.sendResponseHeaders(200, Files.size(file));
            try (OutputStream out = exchange.getResponseBody()) {
              Files.copy(file, out);
            }
          }
        });
    http.start();
    String base = "http://127.0.0.1:" + http.getAddress().getPort() + "/";
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < VIDEOS; i++) {
      lines.add(base + "moving-" + i + ".mp4");
    }
    lines.add(base + BFRAMES);
    lines.add(base + "broken.mp4");
    lines.add(base + "missing.mp4");
    urls = Files.write(work.resolve("urls.txt"), lines);

    cluster =
        FlinkSessionCluster.builder(work.resolve("cluster"))
            .taskManagers(2)
            .slotsPerTaskManager(1)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .start();
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (cluster != null) {
        cluster.close();
        assertEquals(List.of(), cluster.alivePids(), "cluster processes left");
      }
    } finally {
      if (http != null) {
        http.stop(0);
      }
    }
  }

  @Test
  void clusterRunFindsTheSameAsDirectRunnerAndLeavesScratchEmpty() throws Exception {
    JavaProcess.Result direct = detect("direct", "direct").run();
    assertEquals(0, direct.exitCode(), direct.toString());
    JavaProcess.Result flink = detect("flink-cluster", "flink").run();
    assertEquals(0, flink.exitCode(), flink.toString());
    System.out.printf(
        "detect %d URLs: DirectRunner %ds, Flink cluster %ds%n",
        GOOD + 2, direct.elapsed().toSeconds(), flink.elapsed().toSeconds());

    List<String> detections = lines(work.resolve("out/direct"), "detections-");
    List<String> failures = lines(work.resolve("out/direct"), "failures-");
    assertEquals(GOOD, detections.size(), "one detections line per good video");
    assertEquals(2, failures.size(), "the broken and the missing video are failures");
    assertEquals(detections, lines(work.resolve("out/flink"), "detections-"));
    assertEquals(failures, lines(work.resolve("out/flink"), "failures-"));
    assertTrue(Files.exists(work.resolve("out/flink/_manifest.json")));
    List<String> bframes = detections.stream().filter(l -> l.contains(BFRAMES)).toList();
    assertEquals(1, bframes.size());
    assertEquals("noref", JSON.readTree(bframes.get(0)).path("decode").asText(), bframes.get(0));

    for (String run : List.of("direct", "flink")) {
      try (Stream<Path> left = Files.walk(work.resolve("scratch/" + run))) {
        List<Path> entries = left.filter(p -> !p.equals(work.resolve("scratch/" + run))).toList();
        assertEquals(List.of(), entries, "scratch dir of the " + run + " run is empty");
      }
    }

    JsonNode job = cluster.jobs().get(0);
    assertEquals("FINISHED", job.path("state").asText());
    int max = 0;
    for (JsonNode vertex : cluster.rest("/jobs/" + job.path("jid").asText()).path("vertices")) {
      max = Math.max(max, vertex.path("parallelism").asInt());
    }
    assertTrue(max >= 2, "job ran with parallelism >= 2");
    List<Long> videosIn = new ArrayList<>();
    String jid = job.path("jid").asText();
    for (JsonNode subtask : cluster.subtasks(jid, "at DetectVideos/DetectVideo)")) {
      videosIn.add(subtask.path("metrics").path("read-records").asLong());
    }
    // Random keys spread the videos, so both subtasks usually get some; reported, not asserted.
    System.out.println("DetectVideo records in per subtask: " + videosIn);
  }

  /** A second detect job loads the natives again in a new classloader on the same TaskManagers. */
  @Test
  void secondJobOnTheSameTaskManagersSucceeds() throws Exception {
    for (int i = 0; i < 2; i++) {
      JavaProcess.Result result = detect("flink-cluster", "again-" + i).run();
      assertEquals(0, result.exitCode(), result.toString());
      assertEquals(GOOD, lines(work.resolve("out/again-" + i), "detections-").size());
    }
  }

  @Test
  void jobFailureIsReportedWithItsCause() throws Exception {
    JavaProcess.Result result =
        detect("flink-cluster", "bad-detector", "dev.hose.NoSuchDetector").run();
    assertNotEquals(0, result.exitCode(), result.toString());
    assertTrue(result.output().contains("hose detect: error: "), result.toString());
    assertTrue(result.output().contains("NoSuchDetector"), result.toString());
    assertFalse(Files.exists(work.resolve("out/bad-detector/_manifest.json")));
    System.out.println(
        "bad detector: "
            + result.output().lines().filter(l -> l.startsWith("hose ")).findFirst().orElse("?")
            + " (exit "
            + result.exitCode()
            + ")");
  }

  private JavaProcess detect(String runnerConfig, String name) throws IOException {
    return detect(runnerConfig, name, "motion");
  }

  private JavaProcess detect(String runnerConfig, String name, String detectors)
      throws IOException {
    Path scratch = Files.createDirectories(work.resolve("scratch/" + name));
    List<String> args =
        new ArrayList<>(
            List.of(
                "detect",
                "--runnerConfig=runner-configs/" + runnerConfig + ".properties",
                "--input=" + urls,
                "--output=" + work.resolve("out/" + name),
                "--scratchDir=" + scratch,
                "--detectors=" + detectors));
    if (runnerConfig.equals("flink-cluster")) {
      args.add("--flinkMaster=" + cluster.flinkMaster());
    }
    return JavaProcess.hose(args.toArray(new String[0])).timeout(java.time.Duration.ofMinutes(10));
  }

  private static List<String> lines(Path dir, String prefix) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList()) {
        JsonLines.forEach(f, lines::add);
      }
    }
    Collections.sort(lines);
    return lines;
  }

  /** Four seconds of a white square crossing a grey background, MPEG-4 at 10 fps. */
  static void writeVideo(Path file, int seed) throws IOException {
    avutil.av_log_set_level(avutil.AV_LOG_ERROR);
    int width = 160;
    int height = 120;
    try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(file.toFile(), width, height);
        Java2DFrameConverter converter = new Java2DFrameConverter()) {
      recorder.setFormat("mp4");
      recorder.setVideoCodec(avcodec.AV_CODEC_ID_MPEG4);
      recorder.setFrameRate(10);
      recorder.setVideoQuality(2);
      recorder.start();
      BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
      for (int i = 0; i < 40; i++) {
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(90, 90, 90));
        g.fillRect(0, 0, width, height);
        if (i >= 10 && i < 30) {
          g.setColor(Color.WHITE);
          g.fillRect((i - 10) * 6, 30 + seed * 5, 30, 30);
        }
        g.dispose();
        recorder.record(converter.convert(image));
      }
      recorder.stop();
    }
  }
}
