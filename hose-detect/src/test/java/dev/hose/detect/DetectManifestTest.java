package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Detect's manifest: counts summed by {@link DetectCounts.Sum}, written by WriteManifestFn. */
@ExtendWith(TestPipelineExtension.class)
class DetectManifestTest {
  @TempDir Path out;

  private static final List<DetectCounts> RUN =
      List.of(
          DetectCounts.success(),
          DetectCounts.success(),
          DetectCounts.failure("timeout"),
          DetectCounts.failure("invalid_input"),
          DetectCounts.failure("timeout"),
          DetectCounts.detectionFile("detections-00001-of-00002.jsonl.gz"),
          DetectCounts.detectionFile("detections-00000-of-00002.jsonl.gz"),
          DetectCounts.failureFile("failures-00000-of-00001.jsonl.gz"));

  @Test
  void countsAddUp(TestPipeline pipeline) {
    PAssert.thatSingleton(
            pipeline.apply(Create.of(RUN)).apply(Combine.globally(new DetectCounts.Sum())))
        .satisfies(
            sum -> {
              assertEquals(2, sum.succeeded());
              assertEquals(3, sum.failed());
              assertEquals(5, sum.videos());
              assertEquals(Map.of("invalid_input", 1L, "timeout", 2L), sum.failedByReason());
              assertEquals(2, sum.detectionFiles().size());
              assertEquals(List.of("failures-00000-of-00001.jsonl.gz"), sum.failureFiles());
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  @Test
  void anEmptyRunCountsNothing(TestPipeline pipeline) {
    PAssert.thatSingleton(
            pipeline
                .apply(Create.empty(SerializableCoder.of(DetectCounts.class)))
                .apply(Combine.globally(new DetectCounts.Sum())))
        .isEqualTo(DetectCounts.NONE);
    pipeline.run().waitUntilFinish();
  }

  @Test
  void theManifestHoldsCountsFilesAndSettings(TestPipeline pipeline) throws Exception {
    pipeline
        .apply(Create.of(RUN))
        .apply(Combine.globally(new DetectCounts.Sum()))
        .apply(ParDo.of(new WriteManifestFn(out.toString(), Map.of("decode", "auto"))));
    pipeline.run().waitUntilFinish();

    JsonNode manifest = Json.read(Files.readString(out.resolve(DetectManifest.FILE)));
    assertEquals("detect", manifest.get("command").asText());
    assertEquals(5, manifest.get("videos").asLong());
    assertEquals(2, manifest.get("succeeded").asLong());
    assertEquals(3, manifest.get("failed").asLong());
    assertEquals("{\"invalid_input\":1,\"timeout\":2}", manifest.get("failedByReason").toString());
    assertEquals(
        "{\"detections\":[\"detections-00000-of-00002.jsonl.gz\","
            + "\"detections-00001-of-00002.jsonl.gz\"],"
            + "\"failures\":[\"failures-00000-of-00001.jsonl.gz\"]}",
        manifest.get("files").toString());
    assertEquals("{\"decode\":\"auto\"}", manifest.get("settings").toString());
    DetectManifest typed = DetectManifest.parse(Files.readString(out.resolve(DetectManifest.FILE)));
    assertEquals(3, typed.failed());
    assertEquals(List.of("failures-00000-of-00001.jsonl.gz"), typed.files().failures());
  }

  @Test
  void aKindWithNoFileIsLeftOutOfFiles() throws Exception {
    DetectManifest m = DetectManifest.of(DetectCounts.NONE, Map.of(), "2026-12-03T00:00:00Z");
    assertEquals("{ }", Json.read(m.toJson()).get("files").toPrettyString());
    assertEquals(m, DetectManifest.parse(m.toJson()));
  }
}
