package dev.hose.detect;

import dev.hose.common.UserError;
import java.util.Locale;

/**
 * Which frames the decoder decodes ({@code --decode}). Cheaper modes skip frames that sampling at
 * {@code --sampleFps} does not need: {@link #NOREF} skips frames no other frame references
 * (FFmpeg's {@code skip_frame=noref}, in practice non-reference B-frames), {@link #KEYFRAMES}
 * decodes key frames only. {@link #AUTO} picks the cheapest one that still serves every sample.
 */
public enum DecodeMode {
  AUTO,
  ALL,
  NOREF,
  KEYFRAMES;

  /** {@code --decode}: {@code auto}, {@code all}, {@code noref} or {@code keyframes}. */
  public static DecodeMode parse(String text) {
    String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
    for (DecodeMode m : values()) {
      if (m.key().equals(s)) {
        return m;
      }
    }
    throw new UserError(
        "unknown --decode mode '" + text + "' (known: auto, all, noref, keyframes)");
  }

  /** The name in {@code --decode} and in results. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** FFmpeg's {@code skip_frame} value for this mode, or null for the decoder's default. */
  String skipFrame() {
    return switch (this) {
      case NOREF -> "noref";
      case KEYFRAMES -> "nokey";
      default -> null;
    };
  }

  /** The next cheaper-to-honour mode when this one cannot serve the sample rate. */
  DecodeMode fallback() {
    return switch (this) {
      case KEYFRAMES -> NOREF;
      default -> ALL;
    };
  }
}
