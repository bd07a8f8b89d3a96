package dev.hose.detect;

/** A video that cannot be processed, with the reason recorded in the failures output. */
public final class VideoFailure extends Exception {
  private final Reason reason;

  public VideoFailure(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public VideoFailure(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
