package dev.hose.detect;

import dev.hose.common.OwnedDirectory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Processes one video: download into a scratch file, decode at the sample rate, run the detectors.
 * Plain Java, used by {@link DetectVideoFn}; one instance per thread. Every native object (grabber,
 * frames, matrices, detector state) is released before {@link #process} returns, and the scratch
 * file is deleted on every exit.
 */
public final class VideoProcessor implements AutoCloseable {
  /** Demuxers that read single pictures, not videos. */
  private static final Set<String> IMAGE_FORMATS = Set.of("image2", "gif", "apng", "webp_pipe");

  static {
    avutil.av_log_set_level(avutil.AV_LOG_FATAL);
  }

  private final DetectConfig config;
  private final ScratchSpace scratch;
  private final Fetcher fetcher;
  private final List<Detector> detectors;

  /** Either a result or a failure. */
  public record Outcome(VideoResult result, Failure failure) {}

  public VideoProcessor(DetectConfig config, ScratchSpace scratch) {
    this.config = config;
    this.scratch = scratch;
    this.fetcher =
        new Fetcher(
            config.connectTimeoutMillis(),
            config.readTimeoutMillis(),
            config.allowLocalFiles(),
            config.allowedHosts());
    this.detectors = Detectors.create(config.detectors());
  }

  /** Downloads, decodes and detects; a bad video is a {@link Failure}, never an exception. */
  public Outcome process(VideoRef ref) throws InterruptedException {
    Deadline deadline = Deadline.in(config.timeoutPerVideo());
    try (Fetcher.Source source = fetcher.open(ref.url(), deadline)) {
      long length = source.length();
      if (length > config.maxVideoBytes()) {
        throw new VideoFailure(
            Reason.TOO_LARGE,
            length + " bytes is more than --maxVideoBytes=" + config.maxVideoBytes());
      }
      if (length >= 0) {
        scratch.checkRoom(length);
      }
      long cap = Math.min(config.maxVideoBytes(), scratch.budgetBytes());
      long reserve = length >= 0 ? length : cap;
      VideoResult result =
          scratch.use(
              ref.url(),
              reserve,
              deadline,
              file -> {
                Fetcher.copy(source, file, cap, deadline);
                return analyze(file, ref, deadline);
              });
      Progress.succeeded(result.framesDecoded());
      return new Outcome(result, null);
    } catch (VideoFailure e) {
      Progress.failed();
      return new Outcome(null, Failure.of(ref, e));
    } catch (java.io.InterruptedIOException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedException("interrupted while processing " + ref.id());
    } catch (IOException e) {
      Progress.failed();
      VideoFailure failure =
          OwnedDirectory.isOutOfSpace(e)
              ? new VideoFailure(
                  Reason.SCRATCH_FULL, "scratch disk full: " + OwnedDirectory.spaceProblem(e), e)
              : new VideoFailure(Reason.DOWNLOAD_FAILED, "scratch file: " + e, e);
      return new Outcome(null, Failure.of(ref, failure));
    }
  }

  /** Decodes {@code file} and runs the detectors on frames sampled at {@code --sampleFps}. */
  public VideoResult analyze(Path file, VideoRef ref, Deadline deadline)
      throws VideoFailure, IOException {
    if (Files.size(file) == 0) {
      throw new VideoFailure(Reason.NOT_A_VIDEO, "empty file");
    }
    List<Detector.Session> sessions = new ArrayList<>();
    try (PointerScope videoScope = new PointerScope();
        FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile());
        OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat()) {
      grabber.setImageMode(FrameGrabber.ImageMode.GRAY);
      // Detectors work on small gray frames: the fast scaler is plenty and much cheaper.
      grabber.setImageScalingFlags(swscale.SWS_FAST_BILINEAR);
      try {
        grabber.start();
      } catch (FrameGrabber.Exception | RuntimeException e) {
        throw openFailure(file, e);
      }
      String format = grabber.getFormat();
      if (format != null && (IMAGE_FORMATS.contains(format) || format.endsWith("_pipe"))) {
        throw new VideoFailure(Reason.NOT_A_VIDEO, "an image (" + format + "), not a video");
      }
      int srcWidth = grabber.getImageWidth();
      int srcHeight = grabber.getImageHeight();
      if (!grabber.hasVideo() || srcWidth <= 0 || srcHeight <= 0) {
        throw new VideoFailure(Reason.NOT_A_VIDEO, "no video stream (" + format + ")");
      }
      int useful = detectors.stream().mapToInt(Detector::maxUsefulWidth).max().orElse(srcWidth);
      int width = Math.max(2, Math.min(srcWidth, Math.min(config.workingWidth(), useful)) & ~1);
      int height = Math.max(2, (int) Math.round((double) srcHeight * width / srcWidth) & ~1);
      grabber.setImageWidth(width);
      grabber.setImageHeight(height);
      double scaleX = (double) srcWidth / width;
      double scaleY = (double) srcHeight / height;
      for (Detector d : detectors) {
        sessions.add(d.start(width, height));
      }

      long interval = Math.max(1, Math.round(1_000_000 / config.sampleFps()));
      long nextSample = Long.MIN_VALUE;
      long decoded = 0;
      List<Detection> detections = new ArrayList<>();
      List<Long> sampled = new ArrayList<>();
      List<Detector.Box> boxes = new ArrayList<>();
      long lastTimestamp = 0;
      while (true) {
        Frame frame;
        try {
          frame = grabber.grabImage();
        } catch (FrameGrabber.Exception | RuntimeException e) {
          throw new VideoFailure(
              Reason.DECODE_ERROR, "frame " + decoded + ": " + e.getMessage(), e);
        }
        if (frame == null) {
          break;
        }
        long index = decoded++;
        deadline.check();
        if (Thread.currentThread().isInterrupted()) {
          throw new java.io.InterruptedIOException("interrupted while decoding");
        }
        long ts = grabber.getTimestamp();
        lastTimestamp = Math.max(lastTimestamp, ts);
        // A quarter interval of slack absorbs timestamp rounding (66666 vs 66667 µs at 15 fps).
        if (nextSample != Long.MIN_VALUE && ts < nextSample - interval / 4) {
          continue;
        }
        nextSample = (nextSample == Long.MIN_VALUE ? ts : nextSample) + interval;
        while (nextSample <= ts) {
          nextSample += interval;
        }
        sampled.add(index);
        double time = ts / 1e6;
        try (PointerScope frameScope = new PointerScope()) {
          Mat gray = converter.convert(frame);
          for (int i = 0; i < sessions.size(); i++) {
            boxes.clear();
            try {
              sessions.get(i).detect(gray, boxes);
            } catch (RuntimeException e) {
              throw new VideoFailure(
                  Reason.DETECTOR_ERROR,
                  detectors.get(i).name() + " on frame " + index + ": " + e,
                  e);
            }
            for (Detector.Box b : boxes) {
              detections.add(
                  new Detection(
                      detectors.get(i).name(),
                      b.label(),
                      index,
                      time,
                      (int) Math.round(b.x() * scaleX),
                      (int) Math.round(b.y() * scaleY),
                      (int) Math.round(b.width() * scaleX),
                      (int) Math.round(b.height() * scaleY),
                      b.score()));
            }
          }
        }
      }
      if (decoded == 0) {
        throw new VideoFailure(Reason.DECODE_ERROR, "no frame could be decoded");
      }
      double fps = grabber.getFrameRate();
      long length = grabber.getLengthInTime();
      double duration = (length > 0 ? length : lastTimestamp) / 1e6;
      return new VideoResult(
          ref.id(),
          ref.url(),
          MotionDetector.round(duration),
          MotionDetector.round(fps),
          srcWidth,
          srcHeight,
          decoded,
          sampled.size(),
          detections,
          Segments.merge(detections, sampled));
    } catch (FrameGrabber.Exception e) {
      throw new VideoFailure(Reason.DECODE_ERROR, "closing the decoder: " + e.getMessage(), e);
    } finally {
      for (Detector.Session s : sessions) {
        s.close();
      }
    }
  }

  /**
   * A file that does not open: a known container that fails is a broken video (decode_error),
   * anything else is not a video.
   */
  private static VideoFailure openFailure(Path file, Exception e) {
    String message = clean(String.valueOf(e.getMessage()), file);
    if (message.contains("avcodec_find_decoder") || message.contains("Unsupported")) {
      return new VideoFailure(Reason.DECODE_ERROR, "unsupported codec: " + message, e);
    }
    if (looksLikeContainer(file)) {
      return new VideoFailure(Reason.DECODE_ERROR, "broken or truncated video: " + message, e);
    }
    return new VideoFailure(Reason.NOT_A_VIDEO, "not a video: " + message, e);
  }

  /** JavaCV's message without the scratch path and its hints about logging. */
  static String clean(String message, Path file) {
    String s = message.replace(" \"" + file + "\"", "").replace(file.toString(), "");
    int hint = s.indexOf(" (Has setFormat");
    if (hint < 0) {
      hint = s.indexOf(" (For more details");
    }
    return (hint < 0 ? s : s.substring(0, hint)).replaceAll("\\s+", " ").strip();
  }

  /** Whether the file starts like MP4/MOV, Matroska/WebM, AVI, MPEG-TS/PS, FLV or Ogg. */
  static boolean looksLikeContainer(Path file) {
    byte[] head = new byte[12];
    try (FileChannel ch = FileChannel.open(file)) {
      int n = ch.read(ByteBuffer.wrap(head));
      if (n < 4) {
        return false;
      }
    } catch (IOException e) {
      return false;
    }
    String s = new String(head, StandardCharsets.ISO_8859_1);
    return s.startsWith("ftyp", 4)
        || s.startsWith("\u001aE\u00df\u00a3")
        || (s.startsWith("RIFF") && s.startsWith("AVI", 8))
        || s.startsWith("FLV")
        || s.startsWith("OggS")
        || s.startsWith("\u0000\u0000\u0001\u00ba")
        || head[0] == 0x47;
  }

  @Override
  public void close() {
    for (Detector d : detectors) {
      try {
        d.close();
      } catch (RuntimeException e) {
        // Best effort: the JVM frees the rest at exit.
      }
    }
  }
}
