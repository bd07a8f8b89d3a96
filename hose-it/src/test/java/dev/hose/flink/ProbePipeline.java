package dev.hose.flink;

import dev.hose.common.Cli;
import dev.hose.common.Command;
import dev.hose.common.CommandLine;
import dev.hose.common.HoseOptions;
import dev.hose.common.JobJar;
import dev.hose.common.JvmTemp;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;

/**
 * A test-only job that shows where its work ran: every element is written as {@code
 * element,workerPid}. It goes through the same CLI, option parsing and {@code --runnerConfig} as
 * hose's commands, so it proves a runner config end to end before the real pipelines do.
 *
 * <pre>java -cp hose.jar:test-classes dev.hose.flink.ProbePipeline probe --output=DIR ...</pre>
 */
public final class ProbePipeline implements Command {
  /** Options of the probe job. */
  public interface ProbeOptions extends HoseOptions {
    @Description("Directory for the part files.")
    @Validation.Required
    String getOutput();

    void setOutput(String value);

    @Description("How many elements to generate.")
    @Default.Long(10_000L)
    long getElements();

    void setElements(long value);

    @Description("Throw on this element, on the worker (-1: never).")
    @Default.Long(-1L)
    long getFailOn();

    void setFailOn(long value);

    @Description(
        "Load the JavaCV natives (FFmpeg, OpenCV) in every worker, as detect does, to check that"
            + " jobs after the first still load them from their own classloader.")
    @Default.Boolean(false)
    boolean getLoadNatives();

    void setLoadNatives(boolean value);
  }

  public static void main(String[] args) {
    JvmTemp.claim();
    System.exit(new Cli(List.of(new ProbePipeline()), System.err).execute(args));
  }

  @Override
  public String name() {
    return "probe";
  }

  @Override
  public String summary() {
    return "test job: writes element,workerPid lines";
  }

  @Override
  public int run(String[] args) {
    ProbeOptions options = CommandLine.parse(args, ProbeOptions.class, JobJar.ALL);
    PipelineResult.State state = runProbe(options).waitUntilFinish();
    return state == PipelineResult.State.DONE ? 0 : 1;
  }

  static PipelineResult runProbe(ProbeOptions options) {
    Pipeline p = Pipeline.create(options);
    p.apply("GenerateElements", GenerateSequence.from(0).to(options.getElements()))
        .apply("SpreadOverWorkers", Reshuffle.viaRandomKey())
        .apply(
            "TagWithWorkerPid",
            ParDo.of(new TagWithWorkerPidFn(options.getFailOn(), options.getLoadNatives())))
        .apply(
            "WriteParts",
            TextIO.write().to(options.getOutput() + "/part").withSuffix(".txt").withNumShards(4));
    return p.run();
  }

  /** Outputs {@code element,pid} of the JVM that processed the element. */
  static final class TagWithWorkerPidFn extends DoFn<Long, String> {
    private final long failOn;
    private final boolean loadNatives;

    TagWithWorkerPidFn(long failOn, boolean loadNatives) {
      this.failOn = failOn;
      this.loadNatives = loadNatives;
    }

    @Setup
    public void setup() {
      if (loadNatives) {
        org.bytedeco.javacpp.Loader.load(org.bytedeco.ffmpeg.global.avformat.class);
        org.bytedeco.javacpp.Loader.load(org.bytedeco.opencv.global.opencv_imgproc.class);
      }
    }

    @ProcessElement
    public void processElement(@Element Long element, OutputReceiver<String> out) {
      if (element == failOn) {
        throw new IllegalStateException("probe failed on element " + element + " on purpose");
      }
      out.output(element + "," + ProcessHandle.current().pid());
    }
  }
}
