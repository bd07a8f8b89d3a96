package dev.hose.common;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.options.ValueProvider;

/**
 * Where a secret comes from: an environment variable or a file, never an option value. Only the
 * name of the variable or the path of the file is serialized into the job, so the secret itself
 * never shows in pipeline options, display data or the Flink UI; it is read where it is used.
 */
public final class Secrets {
  private Secrets() {}

  /** A serializable reference to a secret that resolves on whichever JVM calls {@link #get()}. */
  public static final class SecretRef implements ValueProvider<String>, Serializable {
    private static final long serialVersionUID = 1L;
    private final String envVar;
    private final String file;

    private SecretRef(String envVar, String file) {
      this.envVar = envVar;
      this.file = file;
    }

    @Override
    public String get() {
      if (envVar != null) {
        String value = System.getenv(envVar);
        if (value == null) {
          throw new UserError(
              "environment variable " + envVar + " (named by --passwordEnv) is not set");
        }
        return value;
      }
      if (file != null) {
        try {
          return stripNewline(Files.readString(Path.of(file), StandardCharsets.UTF_8));
        } catch (IOException e) {
          throw new UserError("cannot read --passwordFile " + file + ": " + e.getMessage(), e);
        }
      }
      return null;
    }

    @Override
    public boolean isAccessible() {
      return true;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof SecretRef r
          && java.util.Objects.equals(envVar, r.envVar)
          && java.util.Objects.equals(file, r.file);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(envVar, file);
    }

    /** Never the secret: only where it comes from. */
    @Override
    public String toString() {
      return envVar != null ? "env:" + envVar : file != null ? "file:" + file : "none";
    }
  }

  /** Builds a reference from the two options; at most one of them may be set. */
  public static SecretRef of(String envVar, String file) {
    if (envVar != null && !envVar.isEmpty() && file != null && !file.isEmpty()) {
      throw new UserError("give either --passwordEnv or --passwordFile, not both");
    }
    return new SecretRef(blankToNull(envVar), blankToNull(file));
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private static String stripNewline(String s) {
    int end = s.length();
    while (end > 0 && (s.charAt(end - 1) == '\n' || s.charAt(end - 1) == '\r')) {
      end--;
    }
    return s.substring(0, end);
  }
}
