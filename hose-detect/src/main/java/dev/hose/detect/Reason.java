package dev.hose.detect;

/** Why a video produced no detections; the code is what failure records carry. */
public enum Reason {
  DOWNLOAD_FAILED,
  TOO_LARGE,
  TIMEOUT,
  NOT_A_VIDEO,
  DECODE_ERROR,
  DETECTOR_ERROR,
  /** A line of the URL list that is neither a URL nor a JSON object with a url. */
  INVALID_INPUT,
  /** A scheme that is not allowed, file:// without --allowLocalFiles, or such a redirect. */
  URL_NOT_ALLOWED,
  /** The scratch disk had no room for the video (full, or over a quota). */
  SCRATCH_FULL;

  public String code() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
