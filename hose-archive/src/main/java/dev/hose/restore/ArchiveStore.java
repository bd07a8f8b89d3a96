package dev.hose.restore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;

/** An archive's objects through Beam's {@link FileSystems} (S3 or local), named by string. */
final class ArchiveStore {
  private ArchiveStore() {}

  /** {@code input} as a directory: absolute if local, ending in {@code /}. */
  static String asDirectory(String input) {
    String s = input;
    if (!s.contains("://")) {
      s = Path.of(s).toAbsolutePath().normalize().toString();
    } else if (s.startsWith("file://")) {
      s = Path.of(java.net.URI.create(s)).toString();
    }
    return s.endsWith("/") ? s : s + "/";
  }

  /** The parent directory of a directory ({@code a/b/} → {@code a/}). */
  static String parent(String dir) {
    String trimmed = dir.substring(0, dir.length() - 1);
    int slash = trimmed.lastIndexOf('/');
    return slash < 0 ? dir : trimmed.substring(0, slash + 1);
  }

  static boolean exists(String location) throws IOException {
    return size(location) >= 0;
  }

  /** The size of an object, or -1 if it does not exist. */
  static long size(String location) throws IOException {
    MatchResult m = FileSystems.match(location, EmptyMatchTreatment.ALLOW);
    return m.status() == MatchResult.Status.OK && !m.metadata().isEmpty()
        ? m.metadata().get(0).sizeBytes()
        : -1;
  }

  /** Objects matching a glob ({@code *} within one level, {@code **} across levels). */
  static List<String> list(String glob) throws IOException {
    MatchResult m = FileSystems.match(glob, EmptyMatchTreatment.ALLOW);
    List<String> found = new ArrayList<>();
    if (m.status() == MatchResult.Status.OK) {
      for (MatchResult.Metadata md : m.metadata()) {
        found.add(md.resourceId().toString());
      }
    }
    return found;
  }

  static InputStream open(String location) throws IOException {
    return Channels.newInputStream(FileSystems.open(FileSystems.matchNewResource(location, false)));
  }

  static String readString(String location) throws IOException {
    try (InputStream in = open(location)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
