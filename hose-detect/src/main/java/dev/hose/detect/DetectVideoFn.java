package dev.hose.detect;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Downloads each video into this instance's scratch space, decodes it and runs the detectors. The
 * scratch directory is created (and dead instances' leftovers swept) in {@code @Setup}; each
 * video's file is deleted before {@code @ProcessElement} returns, whatever happened;
 * {@code @Teardown} removes the directory as a safety net.
 */
final class DetectVideoFn extends DoFn<VideoRef, VideoResult> {
  static final TupleTag<VideoResult> RESULTS = new TupleTag<>() {};
  static final TupleTag<Failure> FAILURES = new TupleTag<>() {};

  private final DetectConfig config;
  private final PCollectionView<Long> total;
  private final Counter succeeded = Metrics.counter(DetectVideoFn.class, "videos_succeeded");
  private final Counter failed = Metrics.counter(DetectVideoFn.class, "videos_failed");
  private final Counter frames = Metrics.counter(DetectVideoFn.class, "frames_decoded");
  private final Counter detections = Metrics.counter(DetectVideoFn.class, "detections");
  private final Counter decodeFallbacks = Metrics.counter(DetectVideoFn.class, "decode_fallbacks");

  private transient ScratchSpace scratch;
  private transient VideoProcessor processor;

  DetectVideoFn(DetectConfig config, PCollectionView<Long> total) {
    this.config = config;
    this.total = total;
  }

  @Setup
  public void setup() throws IOException {
    scratch = ScratchSpace.open(Path.of(config.scratchDir()), config.scratchBudgetBytes());
    try {
      processor = new VideoProcessor(config, scratch);
    } catch (RuntimeException | Error e) {
      scratch.close();
      scratch = null;
      throw e;
    }
  }

  @ProcessElement
  public void processElement(ProcessContext c) throws InterruptedException {
    if (total != null) {
      Progress.total(c.sideInput(total));
    }
    VideoProcessor.Outcome outcome = processor.process(c.element());
    if (outcome.result() != null) {
      succeeded.inc();
      frames.inc(outcome.result().framesDecoded());
      detections.inc(outcome.result().detections().size());
      Metrics.counter(DetectVideoFn.class, "decoded_" + outcome.result().decode()).inc();
      if (outcome.result().decodeNote() != null) {
        decodeFallbacks.inc();
      }
      c.output(RESULTS, outcome.result());
    } else {
      failed.inc();
      Metrics.counter(DetectVideoFn.class, "failed_" + outcome.failure().reason()).inc();
      c.output(FAILURES, outcome.failure());
    }
  }

  @Teardown
  public void teardown() throws IOException {
    try {
      if (processor != null) {
        processor.close();
      }
    } finally {
      processor = null;
      if (scratch != null) {
        scratch.close();
        scratch = null;
      }
    }
  }
}
