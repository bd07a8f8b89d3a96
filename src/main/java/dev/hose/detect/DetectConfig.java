package dev.hose.detect;

import dev.hose.common.UserError;
import java.io.Serializable;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;

/** What the detection DoFn needs from the options, checked and serializable. */
public record DetectConfig(
    String scratchDir,
    List<String> detectors,
    double sampleFps,
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
        o.getWorkingWidth(),
        o.getMaxVideoBytes(),
        o.getScratchBudgetBytes(),
        parseDuration(o.getTimeoutPerVideo()),
        o.getConnectTimeoutSeconds() * 1000,
        o.getReadTimeoutSeconds() * 1000,
        o.getAllowLocalFiles(),
        parseHosts(o.getAllowedHosts()));
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
