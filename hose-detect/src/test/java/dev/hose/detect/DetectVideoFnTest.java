package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hose.embedded.SyntheticVideo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTagList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * DetectVideoFn on local files: a video becomes a result with its detections, anything else one
 * failure with its reason, and no scratch file outlives the pipeline.
 */
@ExtendWith(TestPipelineExtension.class)
class DetectVideoFnTest {
  @TempDir Path dir;

  @Test
  void videosBecomeResultsOtherInputsFailuresAndScratchIsEmptied(TestPipeline pipeline)
      throws Exception {
    Path moving =
        SyntheticVideo.create().size(320, 180).fps(10).frames(30).write(dir.resolve("moving.mp4"));
    Path text = Files.writeString(dir.resolve("text.mp4"), "not a video\n");
    Path scratch = dir.resolve("scratch");
    DetectConfig config = config(scratch);

    PCollectionTuple out =
        pipeline
            .apply(
                Create.of(
                        new VideoRef("moving", moving.toUri().toString()),
                        new VideoRef("text", text.toUri().toString()),
                        new VideoRef("missing", dir.resolve("missing.mp4").toUri().toString()))
                    .withCoder(SerializableCoder.of(VideoRef.class)))
            .apply(
                ParDo.of(new DetectVideoFn(config, null))
                    .withOutputTags(
                        DetectVideoFn.RESULTS, TupleTagList.of(DetectVideoFn.FAILURES)));
    PAssert.that(out.get(DetectVideoFn.RESULTS).setCoder(SerializableCoder.of(VideoResult.class)))
        .satisfies(
            results -> {
              List<VideoResult> all = List.copyOf(toList(results));
              assertEquals(1, all.size(), all.toString());
              VideoResult r = all.get(0);
              assertEquals("moving", r.id());
              assertEquals(30, r.framesDecoded());
              assertTrue(!r.detections().isEmpty(), r.toString());
              return null;
            });
    PAssert.that(out.get(DetectVideoFn.FAILURES).setCoder(SerializableCoder.of(Failure.class)))
        .satisfies(
            failures -> {
              List<String> reasons =
                  toList(failures).stream().map(f -> f.id() + " " + f.reason()).sorted().toList();
              assertEquals(
                  List.of(
                      "missing " + Reason.DOWNLOAD_FAILED.code(),
                      "text " + Reason.NOT_A_VIDEO.code()),
                  reasons);
              return null;
            });
    pipeline.run().waitUntilFinish();

    try (Stream<Path> left = Files.walk(scratch)) {
      assertEquals(List.of(), left.filter(Files::isRegularFile).toList());
    }
  }

  private static <T> List<T> toList(Iterable<T> items) {
    List<T> list = new java.util.ArrayList<>();
    items.forEach(list::add);
    return list;
  }

  private static DetectConfig config(Path scratch) {
    return new DetectConfig(
        scratch.toString(),
        List.of("motion"),
        10,
        DecodeMode.AUTO,
        1,
        1,
        320,
        1 << 30,
        1L << 30,
        java.time.Duration.ofMinutes(1),
        1000,
        1000,
        true,
        List.of());
  }
}
