package dev.hose.embedded;

import static org.bytedeco.opencv.global.opencv_imgproc.FILLED;
import static org.bytedeco.opencv.global.opencv_imgproc.LINE_8;

import java.io.IOException;
import java.nio.ShortBuffer;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;

/**
 * Generates test and demo videos: a bright square moving over a static textured background, with
 * its exact position known for every frame ({@link #boxAt}), or no square at all ({@link
 * #moving(boolean) moving(false)}).
 */
public final class SyntheticVideo {
  static {
    // The muxer's banner ("Output #0, mp4, to …") is FFmpeg INFO: keep errors only.
    org.bytedeco.ffmpeg.global.avutil.av_log_set_level(
        org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR);
  }

  private final int width;
  private final int height;
  private final double fps;
  private final int frames;
  private final String codec;
  private final String format;
  private final boolean moving;
  private int gop;
  private int bFrames;

  private SyntheticVideo(
      int width, int height, double fps, int frames, String codec, String format, boolean moving) {
    this.width = width;
    this.height = height;
    this.fps = fps;
    this.frames = frames;
    this.codec = codec;
    this.format = format;
    this.moving = moving;
  }

  /** A 320x240, 15 fps, 2 s MPEG-4 video in an MP4 container with a moving square. */
  public static SyntheticVideo create() {
    return new SyntheticVideo(320, 240, 15, 30, "mpeg4", "mp4", true);
  }

  public SyntheticVideo size(int w, int h) {
    return keep(new SyntheticVideo(w, h, fps, frames, codec, format, moving));
  }

  public SyntheticVideo fps(double f) {
    return keep(new SyntheticVideo(width, height, f, frames, codec, format, moving));
  }

  public SyntheticVideo frames(int n) {
    return keep(new SyntheticVideo(width, height, fps, n, codec, format, moving));
  }

  /** An FFmpeg encoder name (mpeg4, libopenh264, mjpeg, libvpx, ffv1) and a container format. */
  public SyntheticVideo codec(String encoder, String container) {
    return keep(new SyntheticVideo(width, height, fps, frames, encoder, container, moving));
  }

  /** Frames from one key frame to the next (default: one second's worth). */
  public SyntheticVideo gop(int frames) {
    SyntheticVideo v =
        keep(new SyntheticVideo(width, height, fps, this.frames, codec, format, moving));
    v.gop = frames;
    return v;
  }

  /** Up to {@code n} B-frames in a row (default none; the mpeg4 encoder has them). */
  public SyntheticVideo bFrames(int n) {
    SyntheticVideo v = keep(new SyntheticVideo(width, height, fps, frames, codec, format, moving));
    v.bFrames = n;
    return v;
  }

  private SyntheticVideo keep(SyntheticVideo v) {
    v.gop = gop;
    v.bFrames = bFrames;
    return v;
  }

  public SyntheticVideo moving(boolean m) {
    return keep(new SyntheticVideo(width, height, fps, frames, codec, format, m));
  }

  public int width() {
    return width;
  }

  public int height() {
    return height;
  }

  public double fps() {
    return fps;
  }

  public int frames() {
    return frames;
  }

  /** The square's side in pixels. */
  public int side() {
    return Math.max(8, height / 5);
  }

  /** The square on frame {@code i} as {x, y, width, height}; null when the video is static. */
  public int[] boxAt(int i) {
    if (!moving) {
      return null;
    }
    int side = side();
    int rangeX = width - side - 2;
    int step = Math.max(2, (int) Math.round(width / (1.5 * fps)));
    int travel = (i * step) % (2 * rangeX);
    int x = 1 + (travel <= rangeX ? travel : 2 * rangeX - travel);
    int y =
        (height - side) / 2
            + (int) Math.round((height / 6.0) * Math.sin(i * 2 * Math.PI / (fps * 2)));
    return new int[] {x, y, side, side};
  }

  /** Writes the video to {@code file}. */
  public Path write(Path file) throws IOException {
    try (Mat background = background();
        Mat canvas = new Mat();
        OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat();
        FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(file.toFile(), width, height, 0)) {
      recorder.setFormat(format);
      recorder.setVideoCodecName(codec);
      recorder.setFrameRate(fps);
      recorder.setGopSize(gop > 0 ? gop : (int) Math.max(1, Math.round(fps)));
      if (bFrames > 0) {
        recorder.setMaxBFrames(bFrames);
      }
      if (codec.equals("ffv1") || codec.equals("rawvideo")) {
        recorder.setPixelFormat(org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P);
      } else if (codec.equals("mjpeg")) {
        recorder.setPixelFormat(org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ420P);
      }
      recorder.setVideoBitrate(Math.max(400_000, width * height * 4));
      recorder.start();
      try (Scalar white = new Scalar(255, 255, 255, 0)) {
        for (int i = 0; i < frames; i++) {
          background.copyTo(canvas);
          int[] b = boxAt(i);
          if (b != null) {
            try (Rect r = new Rect(b[0], b[1], b[2], b[3])) {
              opencv_imgproc.rectangle(canvas, r, white, FILLED, LINE_8, 0);
            }
          }
          Frame frame = converter.convert(canvas);
          recorder.record(frame);
        }
      }
      recorder.stop();
    }
    return file;
  }

  /** Writes an audio-only file (1 s of a tone) in {@code container}, e.g. mp4 with AAC. */
  public static Path writeAudioOnly(Path file, String container) throws IOException {
    try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(file.toFile(), 1)) {
      recorder.setFormat(container);
      recorder.setAudioCodec(avcodec.AV_CODEC_ID_AAC);
      recorder.setSampleRate(44_100);
      recorder.setAudioChannels(1);
      recorder.start();
      short[] samples = new short[44_100];
      for (int i = 0; i < samples.length; i++) {
        samples[i] = (short) (8000 * Math.sin(2 * Math.PI * 440 * i / 44_100.0));
      }
      recorder.recordSamples(44_100, 1, ShortBuffer.wrap(samples));
      recorder.stop();
    }
    return file;
  }

  /** A static background: a gradient with a few dark and light blocks, in color. */
  private Mat background() {
    Mat bg = new Mat(height, width, org.bytedeco.opencv.global.opencv_core.CV_8UC3);
    try (org.bytedeco.javacpp.indexer.UByteIndexer idx = bg.createIndexer()) {
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          int v = 40 + (60 * x) / width + (40 * y) / height;
          idx.put(y, x, 0, v);
          idx.put(y, x, 1, v + 10);
          idx.put(y, x, 2, v + 20);
        }
      }
    }
    int block = Math.max(4, height / 12);
    for (int k = 0; k < 6; k++) {
      int x = (k * 53 * width / 320) % Math.max(1, width - block);
      int y = (k * 37 * height / 240 + block) % Math.max(1, height - block);
      int shade = k % 2 == 0 ? 20 : 170;
      try (Point a = new Point(x, y);
          Point b = new Point(x + block, y + block);
          Scalar s = new Scalar(shade, shade, shade, 0)) {
        opencv_imgproc.rectangle(bg, a, b, s, FILLED, LINE_8, 0);
      }
    }
    return bg;
  }
}
