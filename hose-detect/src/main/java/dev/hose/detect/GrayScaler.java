package dev.hose.detect;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_GRAY8;
import static org.bytedeco.ffmpeg.global.swscale.SWS_FAST_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_isSupportedInput;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Scales a decoded picture to a gray frame at working size, for sampled frames only: the grabber
 * runs in raw mode, so frames that are not sampled are never converted. Detectors work on small
 * gray frames, so the fast scaler is plenty. One thread at a time: it keeps one scaling context.
 */
final class GrayScaler implements AutoCloseable {
  private final int width;
  private final int height;
  private final PointerPointer<?> planes = new PointerPointer<>(1);
  private final IntPointer strides = new IntPointer(1);
  private SwsContext context;

  GrayScaler(int width, int height) {
    this.width = width;
    this.height = height;
  }

  /** A gray matrix of the working size, for {@link #scale} to fill; the caller closes it. */
  Mat newFrame() {
    return new Mat(height, width, opencv_core.CV_8UC1);
  }

  /**
   * Writes the picture as gray into {@code gray}, one of {@link #newFrame}'s.
   *
   * @throws IllegalStateException when FFmpeg cannot scale the picture's pixel format
   */
  void scale(AVFrame picture, Mat gray) {
    if (picture.format() < 0 || sws_isSupportedInput(picture.format()) == 0) {
      // checked first: swscale aborts the process on a format it has no description of
      throw new IllegalStateException("cannot scale pixel format " + picture.format());
    }
    context =
        sws_getCachedContext(
            context,
            picture.width(),
            picture.height(),
            picture.format(),
            width,
            height,
            AV_PIX_FMT_GRAY8,
            SWS_FAST_BILINEAR,
            null,
            null,
            (DoublePointer) null);
    if (context == null) {
      throw new IllegalStateException("cannot scale pixel format " + picture.format());
    }
    planes.put(0, gray.data());
    strides.put(0, (int) gray.step());
    sws_scale(
        context,
        new PointerPointer<>(picture),
        picture.linesize(),
        0,
        picture.height(),
        planes,
        strides);
  }

  @Override
  public void close() {
    if (context != null) {
      sws_freeContext(context);
      context = null;
    }
    planes.close();
    strides.close();
  }
}
