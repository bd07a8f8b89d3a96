package dev.hose.detect;

import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avformat.AV_DISPOSITION_ATTACHED_PIC;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;

import java.nio.file.Path;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVRational;

/**
 * Reads the packets of a video's first video stream, without decoding, to learn what {@link
 * DecodePlan} needs: key frame spacing, frame order and frame duration. Demuxing costs a small
 * fraction of decoding; the scan stops as soon as the answer is known (B-frames seen, or a key
 * frame gap longer than the sampling interval with none).
 */
final class StreamProbe {
  /** Packets after which a stream without reordering is taken to have no B-frames. */
  static final int PACKETS_FOR_ORDER = 120;

  private StreamProbe() {}

  /** What the packets say; unknown facts come back as "nothing cheaper than all". */
  static DecodePlan.Stream scan(Path file, long intervalMicros, Deadline deadline)
      throws VideoFailure {
    AVFormatContext oc = new AVFormatContext(null);
    if (avformat_open_input(oc, file.toString(), null, null) < 0) {
      return new DecodePlan.Stream(0, false, -1);
    }
    AVPacket pkt = av_packet_alloc();
    try {
      int index = videoStream(oc);
      if (index < 0) {
        return new DecodePlan.Stream(0, false, -1);
      }
      AVStream st = oc.streams(index);
      Facts facts = new Facts(st.time_base(), intervalMicros);
      while (!facts.settled() && av_read_frame(oc, pkt) >= 0) {
        if (pkt.stream_index() == index) {
          long pts = pkt.pts() != AV_NOPTS_VALUE ? pkt.pts() : pkt.dts();
          facts.packet(pts, (pkt.flags() & AV_PKT_FLAG_KEY) != 0);
        }
        av_packet_unref(pkt);
        if (facts.packets % 256 == 0) {
          deadline.check();
        }
      }
      return facts.toStream(frameMicros(st)).withWidth(st.codecpar().width());
    } finally {
      av_packet_free(pkt);
      avformat_close_input(oc);
    }
  }

  private static int videoStream(AVFormatContext oc) {
    for (int i = 0; i < oc.nb_streams(); i++) {
      AVStream st = oc.streams(i);
      if (st.codecpar().codec_type() == AVMEDIA_TYPE_VIDEO
          && (st.disposition() & AV_DISPOSITION_ATTACHED_PIC) == 0) {
        return i;
      }
    }
    return -1;
  }

  private static long frameMicros(AVStream st) {
    AVRational r = st.avg_frame_rate().num() > 0 ? st.avg_frame_rate() : st.r_frame_rate();
    return r.num() > 0 && r.den() > 0 ? Math.round(1e6 * r.den() / r.num()) : 0;
  }

  /** Accumulates packet facts; pure, so it is tested without files. */
  static final class Facts {
    private final long num;
    private final long den;
    private final long intervalMicros;
    long packets;
    private long maxPts = Long.MIN_VALUE;
    private boolean reorders;
    private long lastKey = Long.MIN_VALUE;
    private long maxKeyGap;
    private long previous = Long.MIN_VALUE;
    private long minStep = Long.MAX_VALUE;
    private boolean sawTimestamps = true;

    Facts(AVRational timeBase, long intervalMicros) {
      this(timeBase.num(), timeBase.den(), intervalMicros);
    }

    Facts(long num, long den, long intervalMicros) {
      this.num = num;
      this.den = den;
      this.intervalMicros = intervalMicros;
    }

    void packet(long pts, boolean key) {
      packets++;
      if (pts == AV_NOPTS_VALUE) {
        sawTimestamps = false;
        return;
      }
      long micros = pts * 1_000_000L * num / den;
      if (lastKey == Long.MIN_VALUE) {
        lastKey = micros;
      }
      if (micros < maxPts) {
        reorders = true;
      }
      if (previous != Long.MIN_VALUE && micros > previous) {
        minStep = Math.min(minStep, micros - previous);
      }
      previous = micros;
      maxPts = Math.max(maxPts, micros);
      if (key) {
        maxKeyGap = Math.max(maxKeyGap, micros - lastKey);
        lastKey = micros;
      }
    }

    /** Whether more packets cannot change the choice any more. */
    boolean settled() {
      long gap = lastKey == Long.MIN_VALUE ? 0 : Math.max(maxKeyGap, maxPts - lastKey);
      boolean keyframesOut = DecodePlan.tooLong(gap, intervalMicros) || !sawTimestamps;
      return keyframesOut && (reorders || packets >= PACKETS_FOR_ORDER);
    }

    /**
     * The facts; the last key frame's gap runs to the last frame. Without a frame rate from the
     * container ({@code frameMicros} 0), the smallest step between packets stands in.
     */
    DecodePlan.Stream toStream(long frameMicros) {
      if (frameMicros <= 0 && minStep != Long.MAX_VALUE) {
        frameMicros = minStep;
      }
      long keyGap = -1;
      if (sawTimestamps && packets > 0) {
        keyGap = Math.max(maxKeyGap, maxPts - lastKey);
      }
      return new DecodePlan.Stream(frameMicros, reorders, keyGap);
    }
  }
}
