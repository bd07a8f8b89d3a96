package dev.hose.common;

import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * A DoFn that holds this worker JVM's {@link WorkerResources} from setup to teardown, so that the
 * last DoFn of a job to tear down releases what the job's libraries left in the JVM. Subclasses add
 * their own setup and teardown in {@link #setUp} and {@link #tearDown}: Beam allows one
 * {@code @Setup} and one {@code @Teardown} method per DoFn.
 */
public abstract class WorkerDoFn<InputT, OutputT> extends DoFn<InputT, OutputT> {
  private transient WorkerResources resources;

  @Setup
  public final void setup(PipelineOptions options) throws Exception {
    resources = WorkerResources.open(options);
    try {
      setUp(options);
    } catch (Exception | Error e) {
      // A runner does not tear down a DoFn whose setup failed.
      tearDownResources();
      throw e;
    }
  }

  @Teardown
  public final void teardown() throws Exception {
    try {
      tearDown();
    } finally {
      tearDownResources();
    }
  }

  /** What this DoFn opens for its life, after the worker's resources are open. */
  protected void setUp(PipelineOptions options) throws Exception {}

  /** What this DoFn closes, before the worker's resources are released. */
  protected void tearDown() throws Exception {}

  /** This JVM's shared resources, open between setup and teardown. */
  protected final WorkerResources resources() {
    return resources;
  }

  private void tearDownResources() {
    if (resources != null) {
      resources.close();
      resources = null;
    }
  }
}
