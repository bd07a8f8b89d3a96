package dev.hose.detect;

import dev.hose.common.Errors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Processes one video: download into a scratch file, decode what the sample rate needs, run the
 * detectors. Plain Java, used by {@link DetectVideoFn}; one instance per thread. Every native
 * object (grabber, frames, matrices, detector state) is released before {@link #process} returns,
 * and the scratch file is deleted on every exit.
 *
 * <p>Over 350 lines on purpose: every native object and the scratch file are released in this
 * class's finally blocks, and the release order is only checked by reading them in one place.
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

  /**
   * Runs the detectors, off the decoding thread ({@link FrameHandoff}): decoding the next pictures
   * and detecting on the last ones overlap. One pool for the JVM, whose threads (one per video
   * being decoded) are reused from video to video and from DoFn instance to instance, so their
   * native allocations reuse the same malloc arenas.
   */
  private static final ExecutorService DETECTING =
      Executors.newCachedThreadPool(
          new ThreadFactory() {
            private final AtomicInteger made = new AtomicInteger();

            @Override
            public Thread newThread(Runnable r) {
              Thread t = new Thread(r, "hose-detecting-" + made.incrementAndGet());
              t.setDaemon(true);
              return t;
            }
          });

  /** Videos this JVM is decoding now: decoder threads are shared out among them. */
  private static final AtomicInteger ACTIVE = new AtomicInteger();

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
    this.detectors = Detectors.inRunOrder(Detectors.create(config.detectors()));
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
          Errors.isOutOfSpace(e)
              ? new VideoFailure(
                  Reason.SCRATCH_FULL, "scratch disk full: " + Errors.spaceProblem(e), e)
              : new VideoFailure(Reason.DOWNLOAD_FAILED, "scratch file: " + e, e);
      return new Outcome(null, Failure.of(ref, failure));
    }
  }

  /**
   * Decodes {@code file} and runs the detectors on frames sampled at {@code --sampleFps}.
   *
   * <p>Steps: 1) choose the decode mode from the stream's packets; 2) decode in that mode, scaling
   * only sampled frames; 3) when the mode leaves a gap longer than a sampling interval after all,
   * start again in the next mode, and say so in the result.
   */
  public VideoResult analyze(Path file, VideoRef ref, Deadline deadline)
      throws VideoFailure, IOException {
    if (Files.size(file) == 0) {
      throw new VideoFailure(Reason.NOT_A_VIDEO, "empty file");
    }
    long interval = Math.max(1, Math.round(1_000_000 / config.sampleFps()));
    DecodePlan.Stream stream = StreamProbe.scan(file, interval, deadline);
    DecodePlan.Choice choice = DecodePlan.choose(config.decode(), stream, interval);
    String loopFilter = skipLoopFilter(stream.width());
    ACTIVE.incrementAndGet();
    try {
      while (true) {
        try {
          return decode(file, ref, deadline, choice, loopFilter);
        } catch (ModeFallsShort e) {
          String note = DecodePlan.fallbackNote(choice.mode(), e.getMessage());
          choice =
              new DecodePlan.Choice(
                  choice.mode().fallback(),
                  choice.note() == null ? note : choice.note() + "; " + note);
        }
      }
    } finally {
      ACTIVE.decrementAndGet();
    }
  }

  /**
   * FFmpeg's {@code skip_loop_filter} for a source {@code srcWidth} wide (0: unknown). Frames that
   * nothing references never need deblocking (no later frame inherits the difference). When the
   * working frame is at most half the source's width, every frame skips it: each working pixel
   * averages at least 2x2 source pixels, which hides block edges, and deblocking is a large share
   * of H.264 decoding. (Reference frames then differ slightly from the encoder's, and the
   * difference carries on until the next key frame, at a scale the working frame does not show.)
   */
  String skipLoopFilter(int srcWidth) {
    return srcWidth > 0 && 2 * workingWidth(srcWidth) <= srcWidth ? "all" : "noref";
  }

  /** The width frames are scaled to for the detectors: even, at most the source's. */
  int workingWidth(int srcWidth) {
    int useful = detectors.stream().mapToInt(Detector::maxUsefulWidth).max().orElse(srcWidth);
    return Math.max(2, Math.min(srcWidth, Math.min(config.workingWidth(), useful)) & ~1);
  }

  /** One pass over the video in {@code choice}'s mode. */
  private VideoResult decode(
      Path file, VideoRef ref, Deadline deadline, DecodePlan.Choice choice, String loopFilter)
      throws VideoFailure, IOException, ModeFallsShort {
    List<Detector.Session> sessions = new ArrayList<>();
    Map<String, String> options = decoderOptions(choice.mode(), loopFilter);
    try (PointerScope videoScope = new PointerScope();
        FFmpegFrameGrabber grabber = open(file, options);
        Pictures pictures = pictures(grabber, choice.mode(), options)) {
      int srcWidth = grabber.getImageWidth();
      int srcHeight = grabber.getImageHeight();
      int width = workingWidth(srcWidth);
      int height = Math.max(2, (int) Math.round((double) srcHeight * width / srcWidth) & ~1);
      for (Detector d : detectors) {
        sessions.add(d.start(width, height));
      }
      Pass pass =
          new Pass(
              choice.mode(),
              config.sampleFps(),
              srcWidth / (double) width,
              srcHeight / (double) height);
      try (GrayScaler scaler = new GrayScaler(width, height);
          FrameHandoff handoff =
              new FrameHandoff(
                  DETECTING,
                  scaler,
                  (gray, index, ts) -> detect(sessions, gray, index, ts, pass))) {
        decodeFrames(pictures, pass, handoff, deadline);
      }
      double fps = grabber.getFrameRate();
      pass.finish(grabber.getLengthInTime() - (fps > 0 ? Math.round(1e6 / fps) : 0));
      return result(ref, grabber, srcWidth, srcHeight, pass, choice.note());
    } catch (FrameGrabber.Exception e) {
      throw new VideoFailure(Reason.DECODE_ERROR, "closing the decoder: " + e.getMessage(), e);
    } finally {
      for (Detector.Session s : sessions) {
        s.close();
      }
    }
  }

  /**
   * Decodes every frame the mode lets through, handing the sampled ones to the detectors, and waits
   * until they are done with the last.
   */
  private static void decodeFrames(
      Pictures pictures, Pass pass, FrameHandoff handoff, Deadline deadline)
      throws VideoFailure, IOException, ModeFallsShort {
    try {
      for (AVFrame picture; (picture = next(pictures, pass)) != null; ) {
        checkStillWanted(deadline);
        long ts = pictures.timestamp();
        pass.decodedAt(ts);
        if (pass.sampler.take(ts)) {
          long index = pictures.frameNumber();
          pass.sampled(index, ts);
          handoff.submit(picture, index, ts);
        }
      }
      handoff.finish();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while decoding");
    }
  }

  /** The decoder's options: which frames to skip, where to skip deblocking, how many threads. */
  private Map<String, String> decoderOptions(DecodeMode mode, String loopFilter) {
    Map<String, String> options = new LinkedHashMap<>();
    if (mode.skipFrame() != null) {
      options.put("skip_frame", mode.skipFrame());
    }
    options.put("skip_loop_filter", loopFilter);
    int threads = config.threadsFor(ACTIVE.get(), Runtime.getRuntime().availableProcessors());
    options.put("threads", String.valueOf(threads));
    return options;
  }

  /**
   * A started grabber in raw mode (no conversion of frames that are not sampled), its decoder
   * opened with {@code options}.
   */
  private static FFmpegFrameGrabber open(Path file, Map<String, String> options)
      throws VideoFailure {
    FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile());
    try {
      grabber.setImageMode(FrameGrabber.ImageMode.RAW);
      options.forEach(grabber::setVideoOption);
      try {
        grabber.start();
      } catch (FrameGrabber.Exception | RuntimeException e) {
        throw openFailure(file, e);
      }
      checkIsVideo(grabber);
      return grabber;
    } catch (VideoFailure | RuntimeException | Error e) {
      closeQuietly(grabber);
      throw e;
    }
  }

  private static void checkIsVideo(FFmpegFrameGrabber grabber) throws VideoFailure {
    String format = grabber.getFormat();
    if (format != null && (IMAGE_FORMATS.contains(format) || format.endsWith("_pipe"))) {
      throw new VideoFailure(Reason.NOT_A_VIDEO, "an image (" + format + "), not a video");
    }
    if (!grabber.hasVideo() || grabber.getImageWidth() <= 0 || grabber.getImageHeight() <= 0) {
      throw new VideoFailure(Reason.NOT_A_VIDEO, "no video stream (" + format + ")");
    }
  }

  /** The pass's pictures; a decoder that does not open is a decode error. */
  private static Pictures pictures(
      FFmpegFrameGrabber grabber, DecodeMode mode, Map<String, String> options)
      throws VideoFailure {
    try {
      return Pictures.of(grabber, mode, options);
    } catch (FrameGrabber.Exception | RuntimeException e) {
      throw new VideoFailure(Reason.DECODE_ERROR, "opening the decoder: " + e.getMessage(), e);
    }
  }

  /** The next decoded picture, unconverted; null at the end. */
  private static AVFrame next(Pictures pictures, Pass pass) throws VideoFailure {
    try {
      return pictures.next();
    } catch (FrameGrabber.Exception | RuntimeException e) {
      throw new VideoFailure(
          Reason.DECODE_ERROR, "frame " + pass.decoded + ": " + e.getMessage(), e);
    }
  }

  private static void checkStillWanted(Deadline deadline) throws VideoFailure, IOException {
    deadline.check();
    if (Thread.currentThread().isInterrupted()) {
      throw new java.io.InterruptedIOException("interrupted while decoding");
    }
  }

  /**
   * Runs every detector on one sampled frame, on the detecting thread; boxes go back to source
   * pixels.
   */
  private void detect(List<Detector.Session> sessions, Mat gray, long index, long ts, Pass pass)
      throws VideoFailure {
    List<Detector.Box> earlier = new ArrayList<>();
    List<Detector.Box> boxes = new ArrayList<>();
    for (int i = 0; i < sessions.size(); i++) {
      boxes.clear();
      String name = detectors.get(i).name();
      try {
        sessions.get(i).detect(gray, earlier, boxes);
      } catch (RuntimeException e) {
        throw new VideoFailure(Reason.DETECTOR_ERROR, name + " on frame " + index + ": " + e, e);
      }
      for (Detector.Box b : boxes) {
        pass.detections.add(
            new Detection(
                name,
                b.label(),
                index,
                ts / 1e6,
                (int) Math.round(b.x() * pass.scaleX),
                (int) Math.round(b.y() * pass.scaleY),
                (int) Math.round(b.width() * pass.scaleX),
                (int) Math.round(b.height() * pass.scaleY),
                b.score()));
      }
      earlier.addAll(boxes);
    }
  }

  private static VideoResult result(
      VideoRef ref,
      FFmpegFrameGrabber grabber,
      int srcWidth,
      int srcHeight,
      Pass pass,
      String note) {
    long length = grabber.getLengthInTime();
    double duration = (length > 0 ? length : pass.lastTimestamp) / 1e6;
    return new VideoResult(
        ref.id(),
        ref.url(),
        MotionDetector.round(duration),
        MotionDetector.round(grabber.getFrameRate()),
        srcWidth,
        srcHeight,
        pass.decoded,
        pass.sampledFrames.size(),
        pass.mode.key(),
        note,
        List.copyOf(pass.sampledTimes),
        pass.detections,
        Segments.merge(pass.detections, pass.sampledFrames));
  }

  /** The state of one decoding pass. */
  static final class Pass {
    final DecodeMode mode;
    final Sampler sampler;
    final long interval;
    final double scaleX;
    final double scaleY;
    long decoded;
    long lastTimestamp;
    long previous = Long.MIN_VALUE;
    final List<Long> sampledFrames = new ArrayList<>();
    final List<Double> sampledTimes = new ArrayList<>();
    final List<Detection> detections = new ArrayList<>();

    Pass(DecodeMode mode, double sampleFps, double scaleX, double scaleY) {
      this.mode = mode;
      this.interval = Math.max(1, Math.round(1_000_000 / sampleFps));
      this.sampler = new Sampler(1_000_000 / sampleFps);
      this.scaleX = scaleX;
      this.scaleY = scaleY;
    }

    /** Counts a decoded frame; in a skipping mode, a gap too long for the sample rate ends it. */
    void decodedAt(long ts) throws ModeFallsShort {
      decoded++;
      if (mode != DecodeMode.ALL
          && previous != Long.MIN_VALUE
          && DecodePlan.tooLong(ts - previous, interval)) {
        throw new ModeFallsShort(
            "frames " + DecodePlan.seconds(ts - previous) + " s apart at " + ts / 1e6 + " s");
      }
      previous = Math.max(previous, ts);
      lastTimestamp = Math.max(lastTimestamp, ts);
    }

    void sampled(long index, long ts) {
      sampledFrames.add(index);
      sampledTimes.add(Math.round(ts / 1e3) / 1e3);
    }

    /**
     * At the end: no frame at all, or (skipping) a last decoded frame too long before the video's
     * last frame, at {@code lastFrameMicros}.
     */
    void finish(long lastFrameMicros) throws VideoFailure, ModeFallsShort {
      if (decoded == 0) {
        if (mode != DecodeMode.ALL) {
          throw new ModeFallsShort("no frame decoded");
        }
        throw new VideoFailure(Reason.DECODE_ERROR, "no frame could be decoded");
      }
      if (mode != DecodeMode.ALL
          && lastFrameMicros > 0
          && DecodePlan.tooLong(lastFrameMicros - lastTimestamp, interval)) {
        throw new ModeFallsShort(
            "last frame "
                + DecodePlan.seconds(lastFrameMicros - lastTimestamp)
                + " s before the end");
      }
    }
  }

  /** The decode mode left a gap longer than a sampling interval; the message says where. */
  static final class ModeFallsShort extends Exception {
    ModeFallsShort(String message) {
      super(message, null, false, false);
    }
  }

  private static void closeQuietly(FFmpegFrameGrabber grabber) {
    try {
      grabber.close();
    } catch (FrameGrabber.Exception | RuntimeException e) {
      // The open already failed; that failure is the one to report.
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
