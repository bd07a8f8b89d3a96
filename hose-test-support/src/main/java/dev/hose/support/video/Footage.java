package dev.hose.support.video;

import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;

import dev.hose.support.Checkout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;

/**
 * Real footage for detector tests, from Debian packages ({@code
 * hose-test-support/src/main/sh/footage.sh} fetches them into {@code target/footage} once), and
 * test videos made from it. Boxes that tests expect were labelled by hand on these files.
 */
public final class Footage {
  /** People walking in a hall (PETS 2006, from opencv-doc): 768x576, 10 fps, 795 frames. */
  public static final String VTEST = "vtest.avi";

  /** Portrait of astronaut Eileen Collins (from python3-skimage): 512x512. */
  public static final String ASTRONAUT = "astronaut.png";

  /** The astronaut's face in {@link #ASTRONAUT}: {x, y, width, height}. */
  public static final int[] ASTRONAUT_FACE = {172, 78, 104, 104};

  private static Path dir;

  private Footage() {}

  /** The footage file {@code name}, fetched on first use. */
  public static synchronized Path file(String name) throws IOException, InterruptedException {
    if (dir == null) {
      Path base = Checkout.root();
      Path target = base.resolve("target/footage");
      Path log = Files.createDirectories(target).resolve("footage.log");
      Process p =
          new ProcessBuilder(
                  "bash",
                  base.resolve("hose-test-support/src/main/sh/footage.sh").toString(),
                  "" + target)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(
            "hose-test-support/src/main/sh/footage.sh failed: "
                + Files.readString(log, StandardCharsets.UTF_8));
      }
      dir = target;
    }
    return dir.resolve(name);
  }

  /** A video of a still image sliding left to right over a gray canvas. */
  public record Pan(Path file, int[] x, int y, int frames) {
    /** {@code inImage} ({x, y, w, h} in the image) where it is on frame {@code frame}. */
    public int[] boxAt(long frame, int[] inImage) {
      int i = (int) frame;
      return new int[] {x[i] + inImage[0], y + inImage[1], inImage[2], inImage[3]};
    }
  }

  /**
   * Writes {@code frames} frames of {@code image} panning across a {@code width}x{@code height}
   * canvas.
   */
  public static Pan pan(Path image, Path out, int width, int height, int frames, double fps)
      throws IOException {
    int[] xs = new int[frames];
    try (Mat picture = imread(image.toString());
        Mat canvas = new Mat(height, width, picture.type());
        Scalar gray = new Scalar(128, 128, 128, 0);
        OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat();
        FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(out.toFile(), width, height, 0)) {
      if (picture.empty()) {
        throw new IOException("cannot read " + image);
      }
      int travel = Math.max(0, width - picture.cols());
      int y = Math.max(0, (height - picture.rows()) / 2);
      recorder.setFormat("mp4");
      recorder.setVideoCodecName("libopenh264");
      recorder.setFrameRate(fps);
      recorder.setVideoBitrate(width * height * 4);
      recorder.start();
      for (int i = 0; i < frames; i++) {
        xs[i] = frames == 1 ? 0 : travel * i / (frames - 1);
        canvas.put(gray);
        try (Rect r = new Rect(xs[i], y, picture.cols(), Math.min(picture.rows(), height));
            Rect src = new Rect(0, 0, picture.cols(), Math.min(picture.rows(), height));
            Mat dst = new Mat(canvas, r);
            Mat from = new Mat(picture, src)) {
          from.copyTo(dst);
        }
        recorder.record(converter.convert(canvas));
      }
      recorder.stop();
      return new Pan(out, xs, y, frames);
    }
  }
}
