package dev.hose.detect;

import java.util.List;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Lines of a URL list: good ones become videos, bad ones failures with the line; blanks vanish. */
@ExtendWith(TestPipelineExtension.class)
class ParseVideoRefsFnTest {
  @Test
  void linesBecomeVideosOrFailures(TestPipeline pipeline) {
    String longLine = "x".repeat(ParseVideoRefsFn.MAX_LINE_IN_RECORD + 10);
    PCollectionTuple parsed =
        pipeline
            .apply(
                Create.of(
                    "https://videos.example/a.mp4",
                    "{\"id\":\"b\",\"url\":\"s3://bucket/b.webm\"}",
                    "",
                    "# a comment",
                    "not a url",
                    "{\"id\":\"c\"}",
                    "file:///tmp/c.mp4",
                    "https://elsewhere.example/d.mp4",
                    longLine))
            .apply(
                ParDo.of(new ParseVideoRefsFn(false, List.of("videos.example", "bucket")))
                    .withOutputTags(
                        ParseVideoRefsFn.REFS, TupleTagList.of(ParseVideoRefsFn.FAILURES)));

    PAssert.that(
            parsed
                .get(ParseVideoRefsFn.REFS)
                .setCoder(SerializableCoder.of(VideoRef.class))
                .apply("Urls", MapElements.into(TypeDescriptors.strings()).via(VideoRef::url)))
        .containsInAnyOrder("https://videos.example/a.mp4", "s3://bucket/b.webm");
    PAssert.that(
            parsed
                .get(ParseVideoRefsFn.FAILURES)
                .setCoder(SerializableCoder.of(Failure.class))
                .apply(
                    "ReasonAndLine",
                    MapElements.into(TypeDescriptors.strings())
                        .via(f -> f.reason() + " " + f.line().length())))
        .containsInAnyOrder(
            "invalid_input 9",
            "invalid_input 10",
            "url_not_allowed 17",
            "url_not_allowed 31",
            "invalid_input " + ParseVideoRefsFn.MAX_LINE_IN_RECORD);
    pipeline.run().waitUntilFinish();
  }
}
