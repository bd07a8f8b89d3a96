package dev.hose.detect;

import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Lines of a URL list to detections: parses the lines, fans the videos out over the workers and
 * runs {@link DetectVideoFn}. Bad lines and failed videos go to {@link #FAILURES}.
 */
public final class DetectVideos extends PTransform<PCollection<String>, PCollectionTuple> {
  public static final TupleTag<VideoResult> RESULTS = DetectVideoFn.RESULTS;
  public static final TupleTag<Failure> FAILURES = new TupleTag<>() {};

  private final DetectConfig config;

  private DetectVideos(DetectConfig config) {
    this.config = config;
  }

  public static DetectVideos with(DetectConfig config) {
    return new DetectVideos(config);
  }

  @Override
  public PCollectionTuple expand(PCollection<String> lines) {
    PCollectionTuple parsed =
        lines.apply(
            "ParseVideoRefs",
            ParDo.of(new ParseVideoRefsFn(config.allowLocalFiles(), config.allowedHosts()))
                .withOutputTags(ParseVideoRefsFn.REFS, TupleTagList.of(ParseVideoRefsFn.FAILURES)));
    PCollection<VideoRef> refs =
        parsed.get(ParseVideoRefsFn.REFS).setCoder(SerializableCoder.of(VideoRef.class));
    PCollection<Failure> badLines =
        parsed.get(ParseVideoRefsFn.FAILURES).setCoder(SerializableCoder.of(Failure.class));

    PCollectionView<Long> total =
        refs.apply("CountVideos", Combine.globally(Count.<VideoRef>combineFn()).asSingletonView());
    PCollectionTuple detected =
        refs.apply("FanOutVideos", Reshuffle.viaRandomKey())
            .apply(
                "DetectVideo",
                ParDo.of(new DetectVideoFn(config, total))
                    .withSideInputs(total)
                    .withOutputTags(
                        DetectVideoFn.RESULTS, TupleTagList.of(DetectVideoFn.FAILURES)));
    PCollection<VideoResult> results =
        detected.get(DetectVideoFn.RESULTS).setCoder(SerializableCoder.of(VideoResult.class));
    PCollection<Failure> failures =
        PCollectionList.of(badLines)
            .and(detected.get(DetectVideoFn.FAILURES).setCoder(SerializableCoder.of(Failure.class)))
            .apply("CollectFailures", Flatten.pCollections());
    return PCollectionTuple.of(RESULTS, results).and(FAILURES, failures);
  }
}
