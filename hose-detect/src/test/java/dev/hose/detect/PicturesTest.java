package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameGrabber;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Noref decoding of H.264 that leaves non-reference packets out before the decoder gives what the
 * decoder's own {@code skip_frame=noref} gives: the same pictures, times and frame numbers. The
 * fixtures are 3 s of x264 High with B-frames (Debian's ffmpeg: {@code ffmpeg -f lavfi -i
 * testsrc2=size=320x180:rate=30 -t 3 -c:v libx264 -profile:v high -crf 32 -bf 3 -g 300
 * h264-bframes.mp4}, and the same to {@code .ts}), in MP4 (length-prefixed NAL units) and MPEG-TS
 * (start codes).
 */
class PicturesTest {
  @TempDir Path dir;

  @Test
  void leavingNonReferencePacketsOutGivesTheDecodersOwnPictures() throws Exception {
    for (String name : List.of("h264-bframes.mp4", "h264-bframes.ts")) {
      Path file = fixture(name);
      Map<String, String> options =
          Map.of("skip_frame", "noref", "skip_loop_filter", "all", "threads", "2");
      List<String> bySkipFrame;
      try (FFmpegFrameGrabber grabber = started(file, options);
          Pictures pictures = Pictures.grabbed(grabber, false)) {
        bySkipFrame = describe(pictures);
      }
      List<String> byPackets;
      long left;
      try (FFmpegFrameGrabber grabber = started(file, options);
          Pictures.WithoutNonReference pictures =
              new Pictures.WithoutNonReference(grabber, options)) {
        byPackets = describe(pictures);
        left = pictures.left();
      }
      assertEquals(bySkipFrame, byPackets, name);
      assertTrue(left >= 30, name + ": " + left + " packets left out");
      assertEquals(90 - left, byPackets.size(), name + ": every other frame decoded");
    }
  }

  @Test
  void nonReferencePacketsAreLeftOutOnlyInNorefModeOnH264() throws Exception {
    Path file = fixture("h264-bframes.mp4");
    try (FFmpegFrameGrabber grabber = started(file, Map.of());
        Pictures all = Pictures.of(grabber, DecodeMode.ALL, Map.of());
        FFmpegFrameGrabber again = started(file, Map.of("skip_frame", "noref"));
        Pictures noref = Pictures.of(again, DecodeMode.NOREF, Map.of("skip_frame", "noref"))) {
      assertTrue(!(all instanceof Pictures.WithoutNonReference));
      assertTrue(noref instanceof Pictures.WithoutNonReference);
      assertEquals(90, describe(all).size());
    }
  }

  /** Each picture as its time, frame number and a CRC of its luma plane. */
  private static List<String> describe(Pictures pictures) throws FrameGrabber.Exception {
    List<String> out = new ArrayList<>();
    for (AVFrame f; (f = pictures.next()) != null; ) {
      CRC32 crc = new CRC32();
      byte[] row = new byte[f.width()];
      for (int y = 0; y < f.height(); y++) {
        f.data(0).position((long) y * f.linesize(0)).get(row);
        crc.update(row);
      }
      out.add(pictures.timestamp() + "/" + pictures.frameNumber() + "/" + crc.getValue());
    }
    return out;
  }

  private static FFmpegFrameGrabber started(Path file, Map<String, String> options)
      throws FrameGrabber.Exception {
    FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile());
    grabber.setImageMode(FrameGrabber.ImageMode.RAW);
    options.forEach(grabber::setVideoOption);
    grabber.start();
    return grabber;
  }

  private Path fixture(String name) throws Exception {
    Path file = dir.resolve(name);
    try (InputStream in = PicturesTest.class.getResourceAsStream(name)) {
      Files.copy(in, file);
    }
    return file;
  }
}
