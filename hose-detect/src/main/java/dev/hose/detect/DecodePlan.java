package dev.hose.detect;

/**
 * Chooses the decode mode of one video from what its container says, before decoding. Pure
 * functions; {@link VideoProcessor} also checks while decoding that the chosen mode really leaves
 * no gap longer than a sampling interval, and falls back to the next mode when it does.
 */
final class DecodePlan {
  /**
   * Frames that noref decoding is assumed to drop in a row: x264's default of 3 B-frames, all of
   * them non-reference in the worst case (x265's 4 come with a B-pyramid, so fewer). A stream with
   * longer runs is caught while decoding and decoded again in the next mode.
   */
  static final int MAX_NONREF_RUN = 3;

  private DecodePlan() {}

  /**
   * What the container tells about the video stream.
   *
   * @param frameMicros duration of one frame, or 0 when unknown
   * @param reorders whether frames are stored out of display order (B-frames)
   * @param maxKeyGapMicros the longest time without a key frame (up to the last frame), or -1 when
   *     the packets have no timestamps
   * @param width the picture width the container states, or 0
   */
  record Stream(long frameMicros, boolean reorders, long maxKeyGapMicros, int width) {
    Stream(long frameMicros, boolean reorders, long maxKeyGapMicros) {
      this(frameMicros, reorders, maxKeyGapMicros, 0);
    }

    Stream withWidth(int w) {
      return new Stream(frameMicros, reorders, maxKeyGapMicros, w);
    }
  }

  /** The mode used and, when it is not the one asked for, why: said once per video. */
  record Choice(DecodeMode mode, String note) {}

  /** The cheapest mode at or after {@code requested} that serves one frame per interval. */
  static Choice choose(DecodeMode requested, Stream stream, long intervalMicros) {
    if (requested == DecodeMode.AUTO) {
      for (DecodeMode m : new DecodeMode[] {DecodeMode.KEYFRAMES, DecodeMode.NOREF}) {
        if (problem(m, stream, intervalMicros) == null) {
          return new Choice(m, null);
        }
      }
      return new Choice(DecodeMode.ALL, null);
    }
    DecodeMode mode = requested;
    StringBuilder note = new StringBuilder();
    for (String p; (p = problem(mode, stream, intervalMicros)) != null; mode = mode.fallback()) {
      note.append(note.isEmpty() ? "" : "; ").append(fallbackNote(mode, p));
    }
    return new Choice(mode, note.isEmpty() ? null : note.toString());
  }

  /** Why {@code mode} cannot serve the interval on this stream, or null when it can. */
  static String problem(DecodeMode mode, Stream stream, long intervalMicros) {
    return switch (mode) {
      case KEYFRAMES ->
          stream.maxKeyGapMicros() < 0
              ? "no key frame index"
              : tooLong(stream.maxKeyGapMicros(), intervalMicros)
                  ? "key frames up to " + seconds(stream.maxKeyGapMicros()) + " s apart"
                  : null;
      case NOREF ->
          !stream.reorders()
              ? "no B-frames"
              : stream.frameMicros() <= 0
                  ? "unknown frame rate"
                  : tooLong((MAX_NONREF_RUN + 1) * stream.frameMicros(), intervalMicros)
                      ? "frames would be up to "
                          + seconds((MAX_NONREF_RUN + 1) * stream.frameMicros())
                          + " s apart"
                      : null;
      default -> null;
    };
  }

  /**
   * Whether frames {@code gapMicros} apart leave a due sample without its frame: with a frame at
   * least every interval, every sample is served on time (the sampler's slack absorbs rounding).
   */
  static boolean tooLong(long gapMicros, long intervalMicros) {
    return gapMicros > intervalMicros + Sampler.SLACK_MICROS;
  }

  static String fallbackNote(DecodeMode mode, String problem) {
    return "--decode="
        + mode.key()
        + " cannot serve --sampleFps ("
        + problem
        + "): decoded "
        + mode.fallback().key();
  }

  static String seconds(long micros) {
    return String.valueOf(Math.round(micros / 1e4) / 100.0);
  }
}
