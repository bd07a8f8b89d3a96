package dev.hose.common;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;

/**
 * A command's options as its {@code --help} and the reference docs show them, read from the options
 * interface's {@code @Description}, {@code @Default} and {@code @Validation.Required}, so that the
 * help, the docs and the code cannot disagree. Reads annotations only: no Beam options registry, so
 * {@code --help} answers in well under a second.
 */
public final class OptionsHelp {
  /**
   * Where hose's defaults differ from Beam's. Beam's 64 MiB per open S3 file is far too much when
   * several writers are open.
   */
  static final Map<String, String> HOSE_DEFAULTS =
      Map.of("s3UploadBufferSizeBytes", String.valueOf(8 << 20));

  /** Beam's options that hose documents beside its own (S3 settings). */
  private static final Set<String> BEAM_OPTIONS = Set.of("awsRegion", "endpoint");

  /**
   * Beam options whose own description names Beam's default, which hose replaces ({@link
   * #HOSE_DEFAULTS}): what they mean under hose.
   */
  private static final Map<String, String> HOSE_MEANINGS =
      Map.of(
          "s3UploadBufferSizeBytes",
          "Size of each S3 upload part, held in memory once per file being written; the largest"
              + " object is 10,000 parts. At least 5 MiB (5242880).");

  /** One option: its name, default as shown, meaning, and whether it must be given. */
  public record Option(String name, String defaultValue, String meaning, boolean required) {}

  private OptionsHelp() {}

  /** Whether {@code args} ask for help. */
  public static boolean asked(String[] args) {
    for (String arg : args) {
      if (arg.equals("--help") || arg.equals("-h") || arg.startsWith("--help=")) {
        return true;
      }
    }
    return false;
  }

  /** The options of {@code type}: required ones first, then by name. */
  public static List<Option> options(Class<? extends PipelineOptions> type) {
    Map<String, Option> byName = new LinkedHashMap<>();
    for (Method getter : type.getMethods()) {
      String name = propertyName(getter);
      Description description = getter.getAnnotation(Description.class);
      if (name == null || description == null || byName.containsKey(name)) {
        continue;
      }
      boolean hoses = getter.getDeclaringClass().getName().startsWith("dev.hose.");
      if (!hoses && !BEAM_OPTIONS.contains(name) && !HOSE_DEFAULTS.containsKey(name)) {
        continue;
      }
      byName.put(
          name,
          new Option(
              name,
              defaultOf(name, getter),
              Errors.oneLine(HOSE_MEANINGS.getOrDefault(name, description.value())),
              getter.getAnnotation(Validation.Required.class) != null));
    }
    List<Option> options = new ArrayList<>(byName.values());
    options.sort(Comparator.comparing((Option o) -> !o.required()).thenComparing(Option::name));
    return options;
  }

  /** The text {@code hose COMMAND --help} prints. */
  public static String text(String command, String summary, Class<? extends PipelineOptions> type) {
    StringBuilder out = new StringBuilder();
    out.append("hose ").append(command).append(": ").append(summary).append("\n\nOptions:\n");
    for (Option o : options(type)) {
      String head = "  --" + o.name() + (o.required() ? " (required)" : "");
      if (!o.defaultValue().isEmpty()) {
        head += " [default: " + o.defaultValue() + "]";
      }
      out.append(head).append('\n');
      for (String line : wrap(o.meaning(), 94)) {
        out.append("      ").append(line).append('\n');
      }
    }
    out.append(
        "\nWhere to run: --runnerConfig=runner-configs/<direct|flink-local|flink-cluster>.properties"
            + " (DirectRunner by default).\nAny Beam option (--runner, --parallelism,"
            + " --flinkMaster, ...) is accepted as well and wins over the runner config.\n");
    return out.toString();
  }

  /** The options of {@code type} as a Markdown table, for the reference docs. */
  public static String markdown(Class<? extends PipelineOptions> type) {
    StringBuilder out = new StringBuilder("| option | default | meaning |\n|---|---|---|\n");
    for (Option o : options(type)) {
      String dflt = o.required() ? "required" : o.defaultValue();
      out.append("| `--")
          .append(o.name())
          .append("` | ")
          .append(dflt.isEmpty() ? "" : o.required() ? dflt : "`" + dflt + "`")
          .append(" | ")
          .append(o.meaning().replace("|", "\\|"))
          .append(" |\n");
    }
    return out.toString();
  }

  private static String propertyName(Method m) {
    String n = m.getName();
    if (m.getParameterCount() != 0) {
      return null;
    }
    int skip = n.startsWith("get") ? 3 : n.startsWith("is") ? 2 : -1;
    if (skip < 0 || n.length() == skip) {
      return null;
    }
    return Character.toLowerCase(n.charAt(skip)) + n.substring(skip + 1);
  }

  private static String defaultOf(String name, Method getter) {
    String hoses = HOSE_DEFAULTS.get(name);
    if (hoses != null) {
      return bytes(name, hoses);
    }
    for (Annotation a : getter.getAnnotations()) {
      String value = defaultValue(a);
      if (value != null) {
        return bytes(name, value);
      }
    }
    return "";
  }

  private static String defaultValue(Annotation a) {
    if (a instanceof Default.String s) {
      return s.value().isEmpty() ? "\"\"" : s.value();
    } else if (a instanceof Default.Integer i) {
      return String.valueOf(i.value());
    } else if (a instanceof Default.Long l) {
      return String.valueOf(l.value());
    } else if (a instanceof Default.Double d) {
      double v = d.value();
      return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    } else if (a instanceof Default.Boolean b) {
      return String.valueOf(b.value());
    } else if (a instanceof Default.Enum e) {
      return e.value();
    }
    return null;
  }

  /** {@code 16777216} as {@code 16 MiB} for options counted in bytes. */
  private static String bytes(String name, String value) {
    if (!name.endsWith("Bytes")) {
      return value;
    }
    long n = Long.parseLong(value);
    if (n >= 1L << 30 && n % (1L << 30) == 0) {
      return (n >> 30) + " GiB";
    } else if (n >= 1L << 20 && n % (1L << 20) == 0) {
      return (n >> 20) + " MiB";
    }
    return value;
  }

  private static List<String> wrap(String text, int width) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      if (line.length() > 0 && line.length() + 1 + word.length() > width) {
        lines.add(line.toString());
        line.setLength(0);
      }
      line.append(line.length() > 0 ? " " : "").append(word);
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }
}
