package dev.hose.detect;

import dev.hose.common.UserError;
import java.io.Serializable;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import org.apache.beam.runners.direct.DirectOptions;

/** What the detection DoFn needs from the options, checked and serializable. */
public record DetectConfig(
    String scratchDir,
    List<String> detectors,
    double sampleFps,
    DecodeMode decode,
    int decodeThreads,
    int concurrentVideos,
    int workingWidth,
    long maxVideoBytes,
    long scratchBudgetBytes,
    Duration timeoutPerVideo,
    int connectTimeoutMillis,
    int readTimeoutMillis,
    boolean allowLocalFiles,
    List<String> allowedHosts)
    implements Serializable {

  /** Checks the options; throws {@link UserError} with one clear line. */
  public static DetectConfig from(DetectOptions o) {
    if (!(o.getSampleFps() > 0)) {
      throw new UserError("--sampleFps must be positive");
    }
    if (o.getDecodeThreads() < 0) {
      throw new UserError("--decodeThreads must be 0 (automatic) or positive");
    }
    if (o.getWorkingWidth() < 32) {
      throw new UserError("--workingWidth must be at least 32");
    }
    if (o.getMaxVideoBytes() <= 0) {
      throw new UserError("--maxVideoBytes must be positive");
    }
    if (o.getScratchBudgetBytes() < o.getMaxVideoBytes()) {
      throw new UserError("--scratchBudgetBytes must be at least --maxVideoBytes");
    }
    if (o.getConnectTimeoutSeconds() <= 0 || o.getReadTimeoutSeconds() <= 0) {
      throw new UserError("--connectTimeoutSeconds and --readTimeoutSeconds must be positive");
    }
    return new DetectConfig(
        o.getScratchDir(),
        List.copyOf(Detectors.parse(o.getDetectors())),
        o.getSampleFps(),
        DecodeMode.parse(o.getDecode()),
        o.getDecodeThreads(),
        concurrentVideos(o),
        o.getWorkingWidth(),
        o.getMaxVideoBytes(),
        o.getScratchBudgetBytes(),
        parseDuration(o.getTimeoutPerVideo()),
        o.getConnectTimeoutSeconds() * 1000,
        o.getReadTimeoutSeconds() * 1000,
        o.getAllowLocalFiles(),
        parseHosts(o.getAllowedHosts()));
  }

  /**
   * Videos that one worker JVM decodes at once, as far as the options tell: DirectRunner's {@code
   * --targetParallelism}; 1 elsewhere (a Flink TaskManager's slots are not known here, so the
   * worker also counts the videos it is decoding).
   */
  static int concurrentVideos(DetectOptions o) {
    if (o.getRunner() != null && o.getRunner().getSimpleName().equals("DirectRunner")) {
      return Math.max(1, o.as(DirectOptions.class).getTargetParallelism());
    }
    return 1;
  }

  /**
   * Decoder threads for one video: {@code --decodeThreads}, or the cores shared out among the
   * videos decoding at once (the larger of {@code concurrentVideos} and {@code active}), at least
   * one. FFmpeg's default of one thread per core for every video oversubscribes the cores.
   */
  public int threadsFor(int active, int cores) {
    if (decodeThreads > 0) {
      return decodeThreads;
    }
    return Math.max(1, cores / Math.max(1, Math.max(concurrentVideos, active)));
  }

  /** {@code --allowedHosts}: comma-separated host names, addresses or {@code *.domain}. */
  static List<String> parseHosts(String text) {
    List<String> hosts = new java.util.ArrayList<>();
    for (String h : (text == null ? "" : text).split(",")) {
      String host = h.strip().toLowerCase(Locale.ROOT);
      if (host.isEmpty()) {
        continue;
      }
      if (host.contains("/") || host.contains(":") && !host.startsWith("[") || host.equals("*.")) {
        throw new UserError("--allowedHosts: '" + h.strip() + "' is not a host name or *.domain");
      }
      hosts.add(host);
    }
    return List.copyOf(hosts);
  }

  /** {@code 90s}, {@code 10m}, {@code 1h}, {@code 250ms}, a number of seconds, or ISO-8601. */
  public static Duration parseDuration(String text) {
    String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
    try {
      Duration d;
      if (s.startsWith("p")) {
        d = Duration.parse(s.toUpperCase(Locale.ROOT));
      } else if (s.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
      } else if (s.endsWith("s")) {
        d = Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
      } else if (s.endsWith("m")) {
        d = Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
      } else if (s.endsWith("h")) {
        d = Duration.ofHours(Long.parseLong(s.substring(0, s.length() - 1)));
      } else {
        d = Duration.ofSeconds(Long.parseLong(s));
      }
      if (d.isNegative() || d.isZero()) {
        throw new UserError("--timeoutPerVideo must be positive: " + text);
      }
      return d;
    } catch (NumberFormatException | DateTimeParseException e) {
      throw new UserError("--timeoutPerVideo is not a duration (e.g. 90s, 10m): " + text);
    }
  }
}
