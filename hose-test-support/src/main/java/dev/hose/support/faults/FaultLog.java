package dev.hose.support.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * What one {@link Fault} test observed, run by run. Each run records the rows and bytes that were
 * lost (rows the source had at the snapshot but the committed output lacks, or output that claims
 * to be complete and is not) and the leftovers found afterwards (temp objects, multipart uploads,
 * scratch files, processes). A run survived when it lost nothing and left nothing.
 */
public final class FaultLog {
  /** Where each test writes its row; {@link FaultReport} reads them all. */
  public static final Path RESULTS = Path.of("target", "faults", "results");

  record Run(long rowsLost, long bytesLost, List<String> leftovers, String outcome) {
    boolean survived() {
      return rowsLost == 0 && bytesLost == 0 && leftovers.isEmpty();
    }
  }

  private final String job;
  private final String fault;
  private final List<Run> runs = new ArrayList<>();

  FaultLog(String job, String fault) {
    this.job = job;
    this.fault = fault;
  }

  /**
   * Records one run of the fault.
   *
   * @param leftovers what was found afterwards that should not be there, e.g. "2 temp objects";
   *     empty when nothing was
   * @param outcome what the job did, e.g. "failed cleanly (exit 1), next run complete"
   */
  public void run(long rowsLost, long bytesLost, List<String> leftovers, String outcome) {
    runs.add(new Run(rowsLost, bytesLost, List.copyOf(leftovers), outcome));
  }

  /** A run that lost and left nothing. */
  public void survived(String outcome) {
    run(0, 0, List.of(), outcome);
  }

  private void write(Throwable failure) {
    List<Run> all = new ArrayList<>(runs);
    if (failure != null) {
      String message = String.valueOf(failure.getMessage()).lines().findFirst().orElse("");
      all.add(
          new Run(
              0,
              0,
              List.of(),
              "TEST FAILED: " + failure.getClass().getSimpleName() + ": " + message));
    }
    StringBuilder json = new StringBuilder();
    json.append("{\"job\":").append(quote(job)).append(",\"fault\":").append(quote(fault));
    json.append(",\"runs\":[");
    for (int i = 0; i < all.size(); i++) {
      Run r = all.get(i);
      boolean ok = r.survived() && !r.outcome.startsWith("TEST FAILED");
      json.append(i == 0 ? "" : ",")
          .append("{\"survived\":")
          .append(ok)
          .append(",\"rowsLost\":")
          .append(r.rowsLost)
          .append(",\"bytesLost\":")
          .append(r.bytesLost)
          .append(",\"leftovers\":[");
      for (int j = 0; j < r.leftovers.size(); j++) {
        json.append(j == 0 ? "" : ",").append(quote(r.leftovers.get(j)));
      }
      json.append("],\"outcome\":").append(quote(r.outcome)).append('}');
    }
    json.append("]}\n");
    try {
      Files.createDirectories(RESULTS);
      String name = (job + "-" + fault).replaceAll("[^A-Za-z0-9]+", "-") + ".json";
      Files.writeString(RESULTS.resolve(name), json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  /** Gives {@link Fault} tests their log and writes it when the test ends, failed or not. */
  public static final class Extension implements ParameterResolver, AfterTestExecutionCallback {
    private static final ExtensionContext.Namespace NS =
        ExtensionContext.Namespace.create(FaultLog.class);

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
      return p.getParameter().getType() == FaultLog.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext c) {
      return log(c);
    }

    @Override
    public void afterTestExecution(ExtensionContext c) {
      log(c).write(c.getExecutionException().orElse(null));
    }

    private static FaultLog log(ExtensionContext c) {
      return c.getStore(NS)
          .getOrComputeIfAbsent(
              "log",
              k -> {
                Fault f = c.getRequiredTestMethod().getAnnotation(Fault.class);
                return new FaultLog(f.job(), f.value());
              },
              FaultLog.class);
    }
  }
}
