package dev.hose.support.video;

import dev.hose.embedded.SyntheticVideo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Files that look like videos by name but are not, or are broken. */
public final class BadFiles {
  private BadFiles() {}

  public static Path empty(Path file) throws IOException {
    return Files.write(file, new byte[0]);
  }

  public static Path text(Path file) throws IOException {
    return Files.writeString(file, "this is not a video\n".repeat(100), StandardCharsets.UTF_8);
  }

  /** A real PNG (a single picture) under a video's name. */
  public static Path image(Path file) throws IOException {
    Path png = file.resolveSibling(file.getFileName() + ".png");
    try (org.bytedeco.opencv.opencv_core.Mat m =
        new org.bytedeco.opencv.opencv_core.Mat(
            64,
            64,
            org.bytedeco.opencv.global.opencv_core.CV_8UC3,
            new org.bytedeco.opencv.opencv_core.Scalar(10, 200, 30, 0))) {
      org.bytedeco.opencv.global.opencv_imgcodecs.imwrite(png.toString(), m);
    }
    Files.move(png, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return file;
  }

  /** The first third of a valid MP4 (whose index is at the end). */
  public static Path truncated(Path file) throws IOException {
    Path whole = SyntheticVideo.create().write(file.resolveSibling("whole-" + file.getFileName()));
    byte[] bytes = Files.readAllBytes(whole);
    Files.delete(whole);
    return Files.write(file, Arrays.copyOf(bytes, bytes.length / 3));
  }

  /** An AVI whose video stream names a codec (FourCC "HOSE") that no decoder knows. */
  public static Path unsupportedCodec(Path file) throws IOException {
    Path avi =
        SyntheticVideo.create()
            .codec("mjpeg", "avi")
            .write(file.resolveSibling("mjpeg-" + file.getFileName() + ".avi"));
    byte[] bytes = Files.readAllBytes(avi);
    Files.delete(avi);
    replaceAll(bytes, "MJPG", "HOSE");
    replaceAll(bytes, "mjpg", "hose");
    return Files.write(file, bytes);
  }

  private static void replaceAll(byte[] bytes, String from, String to) {
    byte[] f = from.getBytes(StandardCharsets.US_ASCII);
    byte[] t = to.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i + f.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + f.length, f, 0, f.length)) {
        System.arraycopy(t, 0, bytes, i, t.length);
      }
    }
  }
}
