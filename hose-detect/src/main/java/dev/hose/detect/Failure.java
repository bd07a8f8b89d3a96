package dev.hose.detect;

import java.io.Serializable;

/**
 * A failures record: the video (or the offending input line when it could not be parsed), the
 * reason code and a message.
 */
public record Failure(String id, String url, String reason, String message, String line)
    implements Serializable {
  static Failure of(VideoRef ref, VideoFailure e) {
    return new Failure(ref.id(), ref.url(), e.reason().code(), e.getMessage(), null);
  }
}
