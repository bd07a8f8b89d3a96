package dev.hose.detect;

import java.util.List;
import java.util.Optional;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Turns lines of the URL list into {@link VideoRef}s; a malformed line or a URL whose scheme is not
 * allowed becomes a failure that carries the offending line.
 */
final class ParseVideoRefsFn extends DoFn<String, VideoRef> {
  static final TupleTag<VideoRef> REFS = new TupleTag<>() {};
  static final TupleTag<Failure> FAILURES = new TupleTag<>() {};

  /** Lines longer than this are cut in failure records. */
  static final int MAX_LINE_IN_RECORD = 2_000;

  private final boolean allowLocalFiles;
  private final List<String> allowedHosts;
  private final Counter badLines = Metrics.counter(ParseVideoRefsFn.class, "bad_lines");

  ParseVideoRefsFn(boolean allowLocalFiles, List<String> allowedHosts) {
    this.allowLocalFiles = allowLocalFiles;
    this.allowedHosts = List.copyOf(allowedHosts);
  }

  @ProcessElement
  public void processElement(@Element String line, MultiOutputReceiver out) {
    VideoRef ref = null;
    try {
      Optional<VideoRef> parsed = UrlPolicy.parseLine(line);
      if (parsed.isEmpty()) {
        return;
      }
      ref = parsed.get();
      UrlPolicy.check(ref.url(), allowLocalFiles, allowedHosts);
      out.get(REFS).output(ref);
    } catch (VideoFailure e) {
      badLines.inc();
      String shown =
          line.length() > MAX_LINE_IN_RECORD ? line.substring(0, MAX_LINE_IN_RECORD) : line;
      out.get(FAILURES)
          .output(
              new Failure(
                  ref == null ? null : ref.id(),
                  ref == null ? null : ref.url(),
                  e.reason().code(),
                  e.getMessage(),
                  shown));
    }
  }
}
