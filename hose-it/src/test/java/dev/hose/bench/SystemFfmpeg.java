package dev.hose.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Debian's {@code ffmpeg}, whose libx264 and libx265 encode the benchmark's H.264 High and HEVC
 * clips (JavaCV's FFmpeg has neither encoder). Installed with {@code apt-get} when missing and this
 * runs as root; otherwise one line says what to install.
 */
final class SystemFfmpeg {
  static final Path BINARY = Path.of("/usr/bin/ffmpeg");

  private static boolean checked;

  private SystemFfmpeg() {}

  /** Encodes the lossless {@code master} to {@code out} as {@code h264-high} or {@code hevc}. */
  static void encode(Path master, Path out, String codec) throws IOException, InterruptedException {
    ensure();
    List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "-hide_banner", "-nostdin"));
    cmd.addAll(List.of("-v", "error", "-y", "-i", master.toString(), "-an", "-pix_fmt", "yuv420p"));
    if (codec.equals("h264-high")) {
      // x264's defaults: 3 B-frames with a B-pyramid, a key frame at most every 250 frames.
      cmd.addAll(List.of("-c:v", "libx264", "-profile:v", "high", "-preset", "medium"));
    } else {
      cmd.addAll(
          List.of(
              "-c:v",
              "libx265",
              "-preset",
              "fast",
              "-tag:v",
              "hvc1",
              "-x265-params",
              "log-level=error"));
    }
    cmd.addAll(List.of("-f", "mp4", out.toString()));
    run(cmd, "encoding " + out.getFileName());
  }

  static synchronized void ensure() throws IOException, InterruptedException {
    if (checked) {
      return;
    }
    if (!Files.isExecutable(BINARY)) {
      if (!"root".equals(System.getProperty("user.name"))) {
        throw new IllegalStateException(
            "the H.264 High and HEVC clips need Debian's ffmpeg: `sudo apt-get install ffmpeg`, or"
                + " run --codecs=vp9,openh264");
      }
      System.out.println("  installing Debian's ffmpeg (libx264, libx265) with apt-get …");
      run(
          List.of("apt-get", "install", "-y", "-q", "--no-install-recommends", "ffmpeg"),
          "apt-get");
    }
    checked = true;
  }

  private static void run(List<String> cmd, String what) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
    Process p = pb.start();
    byte[] output = p.getInputStream().readAllBytes();
    if (p.waitFor() != 0) {
      String text = new String(output, StandardCharsets.UTF_8).strip();
      int from = Math.max(0, text.length() - 2000);
      throw new IllegalStateException(what + " failed: " + text.substring(from));
    }
  }
}
