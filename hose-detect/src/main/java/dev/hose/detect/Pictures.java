package dev.hose.detect;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_NONE;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_DATA_NEW_EXTRADATA;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_get_side_data;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;

import java.nio.ByteBuffer;
import java.util.Map;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/**
 * The decoded pictures of one pass over a started grabber's video, in decode order, with the
 * timestamps and frame numbers JavaCV gives. Unconverted: each picture is the decoder's, valid
 * until the next call.
 */
interface Pictures extends AutoCloseable {
  /** The next picture, or null at the end. */
  AVFrame next() throws FrameGrabber.Exception;

  /** The last picture's time in microseconds, as {@link FFmpegFrameGrabber#getTimestamp}. */
  long timestamp();

  /** The last picture's frame number, as {@link FFmpegFrameGrabber#getFrameNumber}. */
  long frameNumber();

  @Override
  void close();

  /**
   * The pictures of {@code grabber}'s video for decode {@code mode}. In noref mode an H.264 stream
   * is decoded by a decoder of hose's own that the packets of non-reference frames never reach
   * ({@link H264Packets}: the same pictures, and about a fifth less time at 720p); {@code options}
   * are that decoder's, as given to the grabber's. Otherwise the grabber decodes.
   */
  static Pictures of(FFmpegFrameGrabber grabber, DecodeMode mode, Map<String, String> options)
      throws FrameGrabber.Exception {
    if (mode == DecodeMode.NOREF && grabber.getVideoCodec() == AV_CODEC_ID_H264) {
      return new WithoutNonReference(grabber, options);
    }
    return grabbed(grabber, mode == DecodeMode.KEYFRAMES);
  }

  /** The pictures the grabber decodes; with {@code keyFrames}, only those of key frames. */
  static Pictures grabbed(FFmpegFrameGrabber grabber, boolean keyFrames) {
    return new Pictures() {
      @Override
      public AVFrame next() throws FrameGrabber.Exception {
        Frame frame = grabber.grabFrame(false, true, true, keyFrames, false);
        return frame == null ? null : (AVFrame) frame.opaque;
      }

      @Override
      public long timestamp() {
        return grabber.getTimestamp();
      }

      @Override
      public long frameNumber() {
        return grabber.getFrameNumber();
      }

      @Override
      public void close() {}
    };
  }

  /**
   * Reads the grabber's packets and decodes the video stream's itself, without those that {@link
   * H264Packets#nonReference} leaves out. Decode errors are passed over, as the grabber does. The
   * grabber's own decoder, which {@code start()} opened, is never given a packet: its threads stay
   * idle until the grabber closes.
   */
  final class WithoutNonReference implements Pictures {
    private final FFmpegFrameGrabber grabber;
    private final int stream;
    private final AVRational timeBase;
    private final long startMicros;
    private final double frameRate;
    private final int nalLengthSize;
    private final AVCodecContext decoder;
    private final AVFrame picture;

    /** Decode errors passed over once the stream has ended, before giving up on the rest. */
    private static final int MAX_ERRORS_AT_END = 64;

    private boolean flushed;
    private int errorsAtEnd;
    private long left;
    private long timestamp;
    private long frameNumber;

    WithoutNonReference(FFmpegFrameGrabber grabber, Map<String, String> options)
        throws FrameGrabber.Exception {
      this.grabber = grabber;
      AVFormatContext oc = grabber.getFormatContext();
      this.stream = videoStream(oc);
      AVCodecParameters par = oc.streams(stream).codecpar();
      this.timeBase = oc.streams(stream).time_base();
      this.startMicros = oc.start_time() != AV_NOPTS_VALUE ? oc.start_time() : 0;
      this.frameRate = grabber.getFrameRate();
      ByteBuffer extradata =
          par.extradata() == null || par.extradata_size() <= 0
              ? null
              : par.extradata().capacity(par.extradata_size()).asByteBuffer();
      this.nalLengthSize = H264Packets.nalLengthSize(extradata);
      AVCodec codec = avcodec_find_decoder(par.codec_id());
      this.decoder = codec == null ? null : avcodec_alloc_context3(codec);
      if (decoder == null) {
        throw new FrameGrabber.Exception("cannot allocate an H.264 decoder");
      }
      AVFrame frame = null;
      AVDictionary dict = new AVDictionary(null);
      try {
        int err = avcodec_parameters_to_context(decoder, par);
        if (err < 0) {
          throw new FrameGrabber.Exception("avcodec_parameters_to_context() error " + err);
        }
        options.forEach((k, v) -> av_dict_set(dict, k, v, 0));
        decoder.thread_count(0); // as the grabber does; the threads option decides
        err = avcodec_open2(decoder, codec, dict);
        if (err < 0) {
          throw new FrameGrabber.Exception("avcodec_open2() error " + err);
        }
        frame = av_frame_alloc();
        if (frame == null) {
          throw new FrameGrabber.Exception("av_frame_alloc() failed");
        }
      } catch (FrameGrabber.Exception | RuntimeException | Error e) {
        avcodec_free_context(decoder);
        throw e;
      } finally {
        av_dict_free(dict);
      }
      this.picture = frame;
    }

    /** The stream the grabber decodes: its first video stream with a known codec. */
    private static int videoStream(AVFormatContext oc) throws FrameGrabber.Exception {
      for (int i = 0; i < oc.nb_streams(); i++) {
        AVCodecParameters par = oc.streams(i).codecpar();
        if (par.codec_type() == AVMEDIA_TYPE_VIDEO && par.codec_id() != AV_CODEC_ID_NONE) {
          return i;
        }
      }
      throw new FrameGrabber.Exception("no video stream");
    }

    @Override
    public AVFrame next() throws FrameGrabber.Exception {
      while (true) {
        int err = avcodec_receive_frame(decoder, picture);
        if (err >= 0) {
          // JavaCV's arithmetic, so that times and frame numbers match the grabber's.
          long pts = picture.best_effort_timestamp();
          timestamp = 1000000L * pts * timeBase.num() / timeBase.den();
          frameNumber = Math.round((timestamp - startMicros) * frameRate / 1000000L);
          return picture;
        }
        if (flushed) {
          if (err == AVERROR_EOF()
              || err == AVERROR_EAGAIN()
              || ++errorsAtEnd > MAX_ERRORS_AT_END) {
            return null;
          }
          continue; // a delayed picture that fails to decode; the ones after it may not
        }
        AVPacket pkt = grabber.grabPacket();
        if (pkt == null) {
          avcodec_send_packet(decoder, null);
          flushed = true;
          continue;
        }
        try {
          if (pkt.stream_index() == stream) {
            if (wanted(pkt)) {
              avcodec_send_packet(decoder, pkt); // errors passed over, as the grabber does
            } else {
              left++;
            }
          }
        } finally {
          av_packet_unref(pkt);
        }
      }
    }

    private boolean wanted(AVPacket pkt) {
      if (pkt.data() == null || pkt.size() <= 0) {
        return true;
      }
      if (av_packet_get_side_data(pkt, AV_PKT_DATA_NEW_EXTRADATA, (SizeTPointer) null) != null) {
        return true;
      }
      ByteBuffer data = pkt.data().capacity(pkt.size()).asByteBuffer();
      return !H264Packets.nonReference(data, nalLengthSize);
    }

    @Override
    public long timestamp() {
      return timestamp;
    }

    @Override
    public long frameNumber() {
      return frameNumber;
    }

    /** Packets of the video stream left out so far. */
    long left() {
      return left;
    }

    @Override
    public void close() {
      av_frame_free(picture);
      avcodec_free_context(decoder);
    }
  }
}
