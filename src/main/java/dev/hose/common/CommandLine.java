package dev.hose.common;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Turns a command's arguments into pipeline options: pulls runner options from {@code
 * --runnerConfig} (the command line wins), applies hose's defaults, then lets Beam parse and
 * validate. Runner choices live in runner-configs/, never in code.
 */
public final class CommandLine {
  /** Beam's 64 MiB per open S3 file is far too much when several writers are open. */
  static final String DEFAULT_S3_UPLOAD_BUFFER_BYTES = String.valueOf(8 << 20);

  /** Replaced in runner-config values by the path of the running hose jar. */
  static final String JAR_PLACEHOLDER = "${hose.jar}";

  static final String DEFAULT_CONFIG = "runner-configs/direct.properties";

  private CommandLine() {}

  /** Parses {@code args} into options of type {@code type}, validating required options. */
  public static <T extends PipelineOptions> T parse(String[] args, Class<T> type) {
    PipelineOptionsFactory.register(type);
    String[] merged = withDefaults(args);
    checkS3Region(merged);
    try {
      return PipelineOptionsFactory.fromArgs(merged).withValidation().as(type);
    } catch (IllegalArgumentException e) {
      throw new UserError(firstLine(e.getMessage()), e);
    }
  }

  /**
   * Without a region the AWS SDK probes EC2 instance metadata: slow, and wrong off EC2. Any s3://
   * path therefore needs {@code --awsRegion} (or AWS_REGION).
   */
  static void checkS3Region(String[] args) {
    boolean usesS3 = false;
    for (String arg : args) {
      usesS3 |= arg.contains("=s3://");
    }
    if (usesS3
        && !isGiven(args, "awsRegion")
        && System.getenv("AWS_REGION") == null
        && System.getenv("AWS_DEFAULT_REGION") == null) {
      throw new UserError(
          "s3:// paths need --awsRegion (e.g. --awsRegion=us-east-1; any name works for"
              + " S3-compatible servers)");
    }
  }

  /** The arguments with the runner config's options and hose's defaults merged in. */
  static String[] withDefaults(String[] args) {
    Map<String, String> given = new LinkedHashMap<>();
    List<String> result = new ArrayList<>();
    for (String arg : args) {
      given.put(optionName(arg), arg);
      result.add(arg);
    }
    String config = valueOf(given.get("runnerConfig"));
    Map<String, String> configured =
        config != null ? readConfig(Path.of(config)) : defaultConfig();
    for (Map.Entry<String, String> e : configured.entrySet()) {
      if (!given.containsKey(e.getKey())) {
        result.add("--" + e.getKey() + "=" + e.getValue());
        given.put(e.getKey(), e.getValue());
      }
    }
    addDefault(
        given, result, "s3ClientFactoryClass", PathStyleS3ClientBuilderFactory.class.getName());
    addDefault(given, result, "s3UploadBufferSizeBytes", DEFAULT_S3_UPLOAD_BUFFER_BYTES);
    return result.toArray(new String[0]);
  }

  /** The jar's copy of runner-configs/direct.properties, used when no --runnerConfig is given. */
  static Map<String, String> defaultConfig() {
    try (var in = CommandLine.class.getResourceAsStream("/" + DEFAULT_CONFIG)) {
      if (in == null) {
        return Map.of();
      }
      return parseConfig(
          DEFAULT_CONFIG, new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads {@code key=value} lines; {@code #} starts a comment. */
  static Map<String, String> readConfig(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UserError("cannot read --runnerConfig " + file + ": " + e);
    }
    return parseConfig(file.toString(), lines);
  }

  private static Map<String, String> parseConfig(String file, List<String> lines) {
    Map<String, String> options = new LinkedHashMap<>();
    for (String raw : lines) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new UserError("bad line in runner config " + file + ": " + line);
      }
      String key = line.substring(0, eq).strip();
      String value = line.substring(eq + 1).strip();
      options.put(key, value.replace(JAR_PLACEHOLDER, runningJar()));
    }
    return options;
  }

  /** The jar (or classes directory) that hose runs from. */
  public static String runningJar() {
    try {
      return Path.of(CommandLine.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether the user gave option {@code name} (in any spelling Beam accepts). */
  public static boolean isGiven(String[] args, String name) {
    for (String arg : args) {
      if (name.equals(optionName(arg))) {
        return true;
      }
    }
    return false;
  }

  private static void addDefault(
      Map<String, String> given, List<String> result, String name, String value) {
    if (!given.containsKey(name)) {
      result.add("--" + name + "=" + value);
    }
  }

  private static String optionName(String arg) {
    String s = arg.startsWith("--") ? arg.substring(2) : arg;
    int eq = s.indexOf('=');
    return eq < 0 ? s : s.substring(0, eq);
  }

  private static String valueOf(String arg) {
    if (arg == null) {
      return null;
    }
    int eq = arg.indexOf('=');
    return eq < 0 ? null : arg.substring(eq + 1);
  }

  static String firstLine(String message) {
    if (message == null) {
      return "invalid arguments";
    }
    int nl = message.indexOf('\n');
    return (nl < 0 ? message : message.substring(0, nl)).strip();
  }
}
