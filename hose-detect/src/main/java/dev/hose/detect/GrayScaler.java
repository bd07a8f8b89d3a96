package dev.hose.detect;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_GRAY8;
import static org.bytedeco.ffmpeg.global.swscale.SWS_FAST_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
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
 * gray frames, so the fast scaler is plenty. Owns one {@link Mat}, valid until the next call.
 */
final class GrayScaler implements AutoCloseable {
  private final int width;
  private final int height;
  private final Mat gray;
  private final PointerPointer<?> planes;
  private final IntPointer strides;
  private SwsContext context;

  GrayScaler(int width, int height) {
    this.width = width;
    this.height = height;
    this.gray = new Mat(height, width, opencv_core.CV_8UC1);
    this.planes = new PointerPointer<>(1).put(0, gray.data());
    this.strides = new IntPointer(1).put(0, (int) gray.step());
  }

  /** The picture as gray, {@code width} x {@code height}; the matrix is reused by the next call. */
  Mat scale(AVFrame picture) {
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
    sws_scale(
        context,
        new PointerPointer<>(picture),
        picture.linesize(),
        0,
        picture.height(),
        planes,
        strides);
    return gray;
  }

  @Override
  public void close() {
    if (context != null) {
      sws_freeContext(context);
      context = null;
    }
    planes.close();
    strides.close();
    gray.close();
  }
}
