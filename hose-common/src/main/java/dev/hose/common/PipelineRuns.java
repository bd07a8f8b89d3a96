package dev.hose.common;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a pipeline to its end, as every launcher does: a stop from outside ({@link StopSignal})
 * cancels it, and an end other than DONE fails the run.
 */
public final class PipelineRuns {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineRuns.class);
  private static final Duration REST_TIMEOUT = Duration.ofSeconds(10);

  private PipelineRuns() {}

  /**
   * Runs {@code pipeline} and waits for it. On DirectRunner the launcher waits itself (rather than
   * in {@code run()}) so that a stop can cancel the result; FlinkRunner's attached {@code run()}
   * returns only at the end, so a stop cancels the job through the cluster's REST API.
   */
  public static PipelineResult runToDone(Pipeline pipeline) {
    PipelineOptions options = pipeline.getOptions();
    String runner = options.getRunner() == null ? "" : options.getRunner().getSimpleName();
    if (runner.equals("DirectRunner")) {
      options.as(DirectOptions.class).setBlockOnRun(false);
    }
    options.setJobName(options.getJobName()); // a stop finds the Flink job by this name
    PipelineResult result;
    try (AutoCloseable flinkCancel =
        runner.equals("FlinkRunner")
            ? StopSignal.onStop("cancelling the Flink job", () -> cancelFlinkJob(options))
            : () -> {}) {
      result = pipeline.run();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e); // closing the registration throws nothing
    }
    PipelineResult.State state;
    try (AutoCloseable cancel =
        StopSignal.onStop("cancelling the pipeline", () -> cancel(result))) {
      state = result.waitUntilFinish();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("the pipeline ended in state " + state);
    }
    return result;
  }

  private static void cancel(PipelineResult result) {
    try {
      result.cancel();
    } catch (IOException | UnsupportedOperationException e) {
      LOG.warn("could not cancel the pipeline: {}", e.toString());
    }
  }

  /**
   * Cancels this launcher's job on a Flink session cluster: the job whose name is this run's {@code
   * --jobName}, found through the JobManager's REST API ({@code --flinkMaster}). An embedded
   * cluster ({@code [local]}, {@code [auto]}) ends with this JVM.
   */
  static void cancelFlinkJob(PipelineOptions options) {
    String master = flinkMaster(options);
    if (master == null || master.startsWith("[")) {
      return;
    }
    String base = master.contains("://") ? master : "http://" + master;
    HttpClient http = HttpClient.newBuilder().connectTimeout(REST_TIMEOUT).build();
    try {
      var overview =
          Json.MAPPER.readTree(
              http.send(
                      HttpRequest.newBuilder(URI.create(base + "/jobs/overview"))
                          .timeout(REST_TIMEOUT)
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body());
      for (var job : overview.path("jobs")) {
        boolean ours = options.getJobName().equals(job.path("name").asText());
        boolean ending = job.path("state").asText().matches("FINISHED|FAILED|CANCELED|CANCELLING");
        if (ours && !ending) {
          String jid = job.path("jid").asText();
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/jobs/" + jid + "?mode=cancel"))
                  .method("PATCH", HttpRequest.BodyPublishers.noBody())
                  .timeout(REST_TIMEOUT)
                  .build(),
              HttpResponse.BodyHandlers.discarding());
          LOG.info("cancelled Flink job {} ({}) on {}", jid, options.getJobName(), master);
        }
      }
    } catch (IOException e) {
      LOG.warn("could not cancel the Flink job on {}: {}", master, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** {@code --flinkMaster}, read without a compile-time tie to the Flink runner. */
  private static String flinkMaster(PipelineOptions options) {
    try {
      Class<?> flinkOptions = Class.forName("org.apache.beam.runners.flink.FlinkPipelineOptions");
      @SuppressWarnings("unchecked")
      Object typed = options.as((Class<PipelineOptions>) flinkOptions);
      Method getter = flinkOptions.getMethod("getFlinkMaster");
      return (String) getter.invoke(typed);
    } catch (ReflectiveOperationException | LinkageError e) {
      return null;
    }
  }
}
