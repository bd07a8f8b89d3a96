package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hose.embedded.SyntheticVideo;
import dev.hose.support.video.BadFiles;
import dev.hose.support.video.VideoHttpServer;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class DetectVideosIT {
  static final long MAX_BYTES = 300_000;

  @TempDir static Path files;
  @TempDir Path scratch;
  static VideoHttpServer http;

  @BeforeAll
  static void serveVideos() throws IOException {
    http = VideoHttpServer.start();
    http.add("moving.mp4", SyntheticVideo.create().write(files.resolve("moving.mp4")));
    http.add(
        "static.webm",
        SyntheticVideo.create()
            .moving(false)
            .codec("libvpx", "webm")
            .write(files.resolve("static.webm")));
    http.add(
        "big.avi",
        SyntheticVideo.create()
            .frames(10)
            .codec("rawvideo", "avi")
            .write(files.resolve("big.avi")));
    http.add("empty.mp4", BadFiles.empty(files.resolve("empty.mp4")));
    http.add("text.mp4", BadFiles.text(files.resolve("text.mp4")));
    http.add("image.mp4", BadFiles.image(files.resolve("image.mp4")));
    http.add("truncated.mp4", BadFiles.truncated(files.resolve("truncated.mp4")));
    http.add("audio.mp4", SyntheticVideo.writeAudioOnly(files.resolve("audio.mp4"), "mp4"));
    http.add("codec.avi", BadFiles.unsupportedCodec(files.resolve("codec.avi")));
  }

  @AfterAll
  static void stopServer() {
    http.close();
  }

  @AfterEach
  void scratchIsEmpty() throws IOException {
    try (Stream<Path> left = Files.walk(scratch)) {
      assertEquals(List.of(scratch), left.toList(), "left in --scratchDir");
    }
  }

  @Test
  void everyBadInputBecomesAFailureWithItsReason(TestPipeline pipeline) {
    String moving = http.url("/v/moving.mp4");
    String stat = http.url("/v/static.webm");
    List<String> lines = new ArrayList<>();
    List<String> expectedFailures = new ArrayList<>();
    lines.add(moving);
    lines.add("{\"id\":\"static\",\"url\":\"" + stat + "\"}");
    lines.add("");
    lines.add("# a comment");
    fail(lines, expectedFailures, http.url("/status/404"), "download_failed");
    fail(lines, expectedFailures, http.url("/status/500"), "download_failed");
    fail(lines, expectedFailures, http.url("/stall/moving.mp4"), "timeout");
    fail(lines, expectedFailures, http.url("/loop"), "download_failed");
    fail(lines, expectedFailures, redirectTo("file:///etc/passwd"), "url_not_allowed");
    fail(lines, expectedFailures, redirectTo("ftp://127.0.0.1/x.mp4"), "url_not_allowed");
    fail(lines, expectedFailures, http.url("/v/empty.mp4"), "not_a_video");
    fail(lines, expectedFailures, http.url("/v/text.mp4"), "not_a_video");
    fail(lines, expectedFailures, http.url("/v/image.mp4"), "not_a_video");
    fail(lines, expectedFailures, http.url("/v/truncated.mp4"), "decode_error");
    fail(lines, expectedFailures, http.url("/v/audio.mp4"), "not_a_video");
    fail(lines, expectedFailures, http.url("/v/codec.avi"), "decode_error");
    fail(lines, expectedFailures, http.url("/v/big.avi"), "too_large");
    fail(lines, expectedFailures, http.url("/chunked/big.avi"), "too_large");
    fail(lines, expectedFailures, "file:///etc/hostname", "url_not_allowed");
    fail(lines, expectedFailures, "gopher://127.0.0.1/x.mp4", "url_not_allowed");
    fail(lines, expectedFailures, "not a url", "invalid_input");
    fail(lines, expectedFailures, "{\"id\": \"broken\", ", "invalid_input");
    fail(lines, expectedFailures, "{\"id\": \"no-url\"}", "invalid_input");

    PCollectionTuple out =
        pipeline
            .apply("Lines", Create.of(lines))
            .apply("DetectVideos", DetectVideos.with(config(scratch, List.of("motion"))));

    PAssert.that(
            out.get(DetectVideos.FAILURES)
                .apply(
                    "FailureReasons",
                    MapElements.into(TypeDescriptors.strings())
                        .via(f -> (f.line() != null ? f.line() : f.url()) + " -> " + f.reason())))
        .containsInAnyOrder(expectedFailures);
    PAssert.that(
            out.get(DetectVideos.RESULTS)
                .apply(
                    "ResultSummaries",
                    MapElements.into(TypeDescriptors.strings())
                        .via(
                            r ->
                                r.id()
                                    + " "
                                    + r.framesDecoded()
                                    + " "
                                    + !r.detections().isEmpty())))
        .containsInAnyOrder(UrlPolicy.idOf(moving) + " 30 true", "static 30 false");
    pipeline.run().waitUntilFinish();
  }

  @Test
  void aDetectorThatThrowsOnEveryFrameLeavesNoFile(TestPipeline pipeline) {
    String moving = http.url("/v/moving.mp4");
    PCollectionTuple out =
        pipeline
            .apply("Urls", Create.of(moving, http.url("/v/static.webm")))
            .apply(
                "DetectVideos",
                DetectVideos.with(
                    config(scratch, List.of("motion", ThrowingDetector.class.getName()))));
    PAssert.that(
            out.get(DetectVideos.FAILURES)
                .apply("Reasons", MapElements.into(TypeDescriptors.strings()).via(Failure::reason)))
        .containsInAnyOrder("detector_error", "detector_error");
    PAssert.that(out.get(DetectVideos.RESULTS)).empty();
    pipeline.run().waitUntilFinish();
  }

  private static void fail(List<String> lines, List<String> expected, String line, String reason) {
    lines.add(line);
    expected.add(line + " -> " + reason);
  }

  private static String redirectTo(String target) {
    return http.url("/redirect?to=" + URLEncoder.encode(target, StandardCharsets.UTF_8));
  }

  static DetectConfig config(Path scratch, List<String> detectors) {
    return new DetectConfig(
        scratch.toString(),
        detectors,
        15.0,
        DecodeMode.AUTO,
        0,
        1,
        320,
        MAX_BYTES,
        4 * MAX_BYTES,
        Duration.ofSeconds(30),
        2_000,
        2_000,
        false,
        List.of()); // any host
  }
}
