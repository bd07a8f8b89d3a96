package dev.hose.detect;

import dev.hose.common.Errors;
import dev.hose.common.OutputClaim;
import dev.hose.common.PipelineRuns;
import dev.hose.common.RunIds;
import dev.hose.common.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import software.amazon.awssdk.core.exception.SdkException;

/** The detect pipeline: video URLs to detections and failures as gzipped JSON lines. */
public final class DetectPipeline {
  private static final TypeDescriptor<DetectCounts> COUNTS = TypeDescriptor.of(DetectCounts.class);

  private DetectPipeline() {}

  /** Checks the options, runs the pipeline to completion and returns its result. */
  public static PipelineResult run(DetectOptions options) throws InterruptedException {
    DetectConfig config = check(options);
    try (OutputClaim claim = claimOutput(options)) {
      Pipeline pipeline = Pipeline.create(options);
      build(pipeline, options, config);
      return PipelineRuns.runToDone(pipeline);
    }
  }

  /** One run per output at a time: two would interleave their shards under one manifest. */
  private static OutputClaim claimOutput(DetectOptions options) throws InterruptedException {
    String runId = RunIds.timestamped();
    try {
      return OutputClaim.acquire(
          options.getOutput(), runId, "hose detect", options, options.getWait());
    } catch (IOException | SdkException e) {
      throw new UserError(
          "cannot write to " + options.getOutput() + ": " + Errors.rootMessage(e), e);
    }
  }

  /**
   * Checks what can be checked before the pipeline starts: the options, that {@code --input} exists
   * and that {@code --scratchDir} is writable. Throws {@link UserError}.
   */
  public static DetectConfig check(DetectOptions options) {
    DetectConfig config = DetectConfig.from(options);
    checkScratchDir(Path.of(options.getScratchDir()));
    FileSystems.setDefaultPipelineOptions(options);
    checkInput(options.getInput());
    return config;
  }

  /**
   * A local path is checked with {@link Files}: Beam's local match of a missing file walks every
   * directory under its parent (from {@code /} for {@code /missing}, which can take minutes).
   */
  static void checkInput(String input) {
    boolean local = !input.contains("://") || input.startsWith("file://");
    boolean glob = input.contains("*") || input.contains("?") || input.contains("[");
    if (local && !glob) {
      Path path =
          input.startsWith("file://") ? Path.of(java.net.URI.create(input)) : Path.of(input);
      if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
        throw new UserError("--input " + input + ": no such readable file");
      }
      return;
    }
    try {
      MatchResult match = FileSystems.match(input, EmptyMatchTreatment.DISALLOW);
      if (match.status() != MatchResult.Status.OK || match.metadata().isEmpty()) {
        throw new UserError("--input " + input + ": no such file");
      }
    } catch (IOException e) {
      throw new UserError("--input " + input + ": " + e.getMessage(), e);
    }
  }

  static void checkScratchDir(Path dir) {
    try {
      Files.createDirectories(dir);
      Path probe = Files.createTempFile(dir, ".probe-", ".tmp");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new UserError("--scratchDir " + dir + " is not writable: " + e.getMessage(), e);
    }
  }

  /** Adds the steps to {@code pipeline}; tests run it with their own pipeline. */
  static void build(Pipeline pipeline, DetectOptions options, DetectConfig config) {
    /* Steps:
     * 1) Read the URL list: one URL, or one JSON object with id and url, per line.
     * 2) DetectVideos: parse the lines (bad ones become failures), fan the videos out with a
     *    reshuffle, then download, decode and detect each in bounded scratch space.
     * 3) Write detections and failures as gzipped JSON lines under --output.
     * 4) Write _manifest.json with the counts, once both outputs are complete.
     */
    String output = options.getOutput();
    PCollectionTuple detected =
        pipeline
            .apply("ReadUrlList", TextIO.read().from(options.getInput()))
            .apply("DetectVideos", DetectVideos.with(config));
    PCollection<VideoResult> results = detected.get(DetectVideos.RESULTS);
    PCollection<Failure> failures = detected.get(DetectVideos.FAILURES);

    WriteFilesResult<Void> detectionFiles =
        writeJsonLines(
            results, "ResultsToJson", "WriteDetections", output, DetectManifest.DETECTIONS);
    WriteFilesResult<Void> failureFiles =
        writeJsonLines(
            failures, "FailuresToJson", "WriteFailures", output, DetectManifest.FAILURES);

    PCollectionList.of(
            results.apply(
                "CountSucceeded",
                MapElements.into(COUNTS).via((VideoResult r) -> DetectCounts.success())))
        .and(
            failures.apply(
                "CountFailed",
                MapElements.into(COUNTS).via((Failure f) -> DetectCounts.failure(f.reason()))))
        .and(fileCounts(detectionFiles, DetectCounts::detectionFile, "CountDetectionFiles"))
        .and(fileCounts(failureFiles, DetectCounts::failureFile, "CountFailureFiles"))
        .apply("CollectCounts", Flatten.pCollections())
        .apply("SumCounts", Combine.globally(new DetectCounts.Sum()))
        .apply("WriteManifest", ParDo.of(new WriteManifestFn(output, settings(options, config))));
  }

  /** Writes {@code items} as gzipped JSON lines, one file set named {@code name} under output. */
  private static <T> WriteFilesResult<Void> writeJsonLines(
      PCollection<T> items, String toJson, String write, String output, String name) {
    return items
        .apply(
            toJson, MapElements.into(TypeDescriptors.strings()).via((T item) -> Json.write(item)))
        .apply(write, jsonLines(output, name));
  }

  private static TextIO.TypedWrite<String, Void> jsonLines(String output, String name) {
    String prefix =
        FileSystems.matchNewResource(output, true)
            .resolve(name, StandardResolveOptions.RESOLVE_FILE)
            .toString();
    return TextIO.write()
        .to(prefix)
        .withSuffix(".jsonl")
        .withCompression(Compression.GZIP)
        .withOutputFilenames();
  }

  /** One count per finished file, by its name without the directory. */
  private static PCollection<DetectCounts> fileCounts(
      WriteFilesResult<Void> files, SerializableFunction<String, DetectCounts> count, String name) {
    return files
        .getPerDestinationOutputFilenames()
        .apply(name + "Values", Values.create())
        .apply(
            name,
            MapElements.into(COUNTS)
                .via(f -> count.apply(FileSystems.matchNewResource(f, false).getFilename())));
  }

  private static Map<String, String> settings(DetectOptions options, DetectConfig config) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("detectors", String.join(",", config.detectors()));
    s.put("sampleFps", String.valueOf(config.sampleFps()));
    s.put("decode", config.decode().key());
    s.put("workingWidth", String.valueOf(config.workingWidth()));
    s.put("maxVideoBytes", String.valueOf(config.maxVideoBytes()));
    s.put("timeoutPerVideo", config.timeoutPerVideo().toString());
    s.put("allowedHosts", String.join(",", config.allowedHosts()));
    s.put("input", options.getInput());
    return s;
  }
}
