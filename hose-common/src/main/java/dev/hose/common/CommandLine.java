package dev.hose.common;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Turns a command's arguments into pipeline options: pulls runner options from {@code
 * --runnerConfig} (the command line wins), applies hose's defaults, then lets Beam parse and
 * validate. Runner choices live in runner-configs/, never in code.
 */
public final class CommandLine {
  /** Replaced in runner-config values by the path of the running hose jar. */
  static final String JAR_PLACEHOLDER = "${hose.jar}";

  /**
   * Replaced in runner-config values by the job jar of the command being run: what a Flink
   * submission stages, so that the cluster receives the job without the Flink it already has.
   */
  static final String JOB_JAR_PLACEHOLDER = "${hose.jobJar}";

  private static final Pattern MISSING_PROPERTY =
      Pattern.compile("missing a property named '([^']*)'");

  static final String DEFAULT_CONFIG = "runner-configs/direct.properties";

  /** The AWS SDK's switch for the EC2 instance metadata service (AWS_EC2_METADATA_DISABLED). */
  static final String NO_INSTANCE_METADATA = "aws.disableEc2Metadata";

  private CommandLine() {}

  /**
   * Parses {@code args} into options of type {@code type}, validating required options. {@code
   * jobJar} is the jar that a cluster submission stages for this command.
   */
  public static <T extends PipelineOptions> T parse(String[] args, Class<T> type, JobJar jobJar) {
    String[] merged = withDefaults(args, jobJar);
    checkS3Region(merged);
    avoidInstanceMetadata(merged, System.getenv());
    registerFlinkOptions(merged);
    PipelineOptionsFactory.register(type);
    try {
      return PipelineOptionsFactory.fromArgs(merged).withValidation().as(type);
    } catch (IllegalArgumentException e) {
      throw new UserError(unknownOption(e.getMessage(), type), e);
    }
  }

  /**
   * Beam's message for a bad argument as one line; for an unknown option, the closest option name
   * of {@code type}.
   */
  public static String unknownOption(String message, Class<? extends PipelineOptions> type) {
    Matcher m = MISSING_PROPERTY.matcher(message == null ? "" : message);
    if (!m.find()) {
      return Errors.firstLine(message, "invalid arguments");
    }
    String unknown = m.group(1);
    String closest = null;
    int best = Integer.MAX_VALUE;
    for (OptionsHelp.Option o : OptionsHelp.options(type)) {
      int d = distance(unknown.toLowerCase(Locale.ROOT), o.name().toLowerCase(Locale.ROOT));
      if (d < best) {
        best = d;
        closest = o.name();
      }
    }
    String line = "unknown option --" + unknown;
    if (closest != null && best <= Math.max(2, unknown.length() / 2)) {
      line += " (did you mean --" + closest + "?)";
    }
    return line + "; --help lists the options";
  }

  /** Levenshtein distance. */
  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /**
   * For a command that names the Flink runner, registers its options ({@code --flinkMaster}, {@code
   * --parallelism}, ...), which the jars leave out of the options registry that every start builds
   * (pom.xml: its 109 options cost a start that does not use them about 0.2 s). The job jars leave
   * Flink itself to the cluster; without it on the classpath the runner cannot even be named, so
   * say where it is instead of failing inside Beam.
   */
  static void registerFlinkOptions(String[] args) {
    if (!namesFlinkRunner(args)) {
      return;
    }
    try {
      Class.forName("org.apache.flink.api.common.JobID", false, CommandLine.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new UserError(
          "--runner=FlinkRunner needs Flink's classes, which "
              + JobJar.running().getFileName()
              + " leaves to the cluster: submit with hose.jar (it stages this job jar), or put"
              + " Flink's lib/ on the classpath: java -cp "
              + JobJar.running().getFileName()
              + ":$FLINK_HOME/lib/'*' dev.hose.Hose ...");
    }
    PipelineOptionsFactory.register(FlinkPipelineOptions.class);
  }

  /**
   * Whether {@code --runner} names the Flink runner in any of the forms Beam takes: its simple name
   * in any case, with or without "Runner" ({@code flink}, {@code FlinkRunner}), or its class name.
   */
  static boolean namesFlinkRunner(String[] args) {
    for (String arg : args) {
      if (arg.startsWith("--runner=")) {
        String runner = arg.substring("--runner=".length());
        String lower = runner.toLowerCase(Locale.ROOT);
        if (lower.equals("flink")
            || lower.equals("flinkrunner")
            || runner.endsWith(".FlinkRunner")) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Without a region the AWS SDK probes EC2 instance metadata: slow, and wrong off EC2. Any s3://
   * path therefore needs {@code --awsRegion} (or AWS_REGION).
   */
  static void checkS3Region(String[] args) {
    if (usesS3(args)
        && !isGiven(args, "awsRegion")
        && System.getenv("AWS_REGION") == null
        && System.getenv("AWS_DEFAULT_REGION") == null) {
      throw new UserError(
          "s3:// paths need --awsRegion (e.g. --awsRegion=us-east-1; any name works for"
              + " S3-compatible servers)");
    }
  }

  /**
   * A run with no s3:// location never asks the EC2 instance metadata service for anything: Beam's
   * S3 filesystem, registered all the same, resolves a default region, and off EC2 that waits about
   * a second for the service not to answer. A setting of the user's is left as it is.
   */
  static void avoidInstanceMetadata(String[] args, Map<String, String> env) {
    if (!usesS3(args)
        && env.get("AWS_EC2_METADATA_DISABLED") == null
        && System.getProperty(NO_INSTANCE_METADATA) == null) {
      System.setProperty(NO_INSTANCE_METADATA, "true");
    }
  }

  /** Whether any option names an s3:// location. */
  private static boolean usesS3(String[] args) {
    for (String arg : args) {
      if (arg.contains("=s3://")) {
        return true;
      }
    }
    return false;
  }

  /** The arguments with the runner config's options and hose's defaults merged in. */
  static String[] withDefaults(String[] args, JobJar jobJar) {
    Map<String, String> given = new LinkedHashMap<>();
    List<String> result = new ArrayList<>();
    for (String arg : args) {
      given.put(optionName(arg), arg);
      result.add(arg);
    }
    String config = valueOf(given.get("runnerConfig"));
    Map<String, String> configured =
        config != null ? readConfig(Path.of(config), jobJar) : defaultConfig(jobJar);
    for (Map.Entry<String, String> e : configured.entrySet()) {
      if (!given.containsKey(e.getKey())) {
        result.add("--" + e.getKey() + "=" + e.getValue());
        given.put(e.getKey(), e.getValue());
      }
    }
    addDefault(
        given, result, "s3ClientFactoryClass", PathStyleS3ClientBuilderFactory.class.getName());
    OptionsHelp.HOSE_DEFAULTS.forEach((name, value) -> addDefault(given, result, name, value));
    return result.toArray(new String[0]);
  }

  /** The jar's copy of runner-configs/direct.properties, used when no --runnerConfig is given. */
  static Map<String, String> defaultConfig(JobJar jobJar) {
    try (var in = CommandLine.class.getResourceAsStream("/" + DEFAULT_CONFIG)) {
      if (in == null) {
        return Map.of();
      }
      return parseConfig(
          DEFAULT_CONFIG,
          new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList(),
          jobJar);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads {@code key=value} lines; {@code #} starts a comment. */
  static Map<String, String> readConfig(Path file, JobJar jobJar) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UserError("cannot read --runnerConfig " + file + ": " + e);
    }
    return parseConfig(file.toString(), lines, jobJar);
  }

  private static Map<String, String> parseConfig(String file, List<String> lines, JobJar jobJar) {
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
      options.put(
          key,
          value
              .replace(JAR_PLACEHOLDER, JobJar.running().toString())
              .replace(JOB_JAR_PLACEHOLDER, jobJar.stagedPath()));
    }
    return options;
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
}
