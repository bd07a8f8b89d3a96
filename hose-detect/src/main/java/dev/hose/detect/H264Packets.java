package dev.hose.detect;

import java.nio.ByteBuffer;

/**
 * Reads the NAL unit headers of H.264 packets, to tell which packets hold a frame that no other
 * frame refers to. Pure functions over the packet's bytes, tested without files.
 *
 * <p>FFmpeg's H.264 decoder at {@code skip_frame=noref} skips every NAL unit whose {@code
 * nal_ref_idc} is 0 except SEI messages, so a packet made only of such slices (and access unit
 * delimiters, filler, end marks) yields no picture and changes no state: leaving it out before the
 * decoder gives the same pictures. It also spares the packet its trip through the decoder's frame
 * threads, whose hand-offs cost about as much as skipping its decoding saves
 * (docs/detect.md#noref-packets).
 */
final class H264Packets {
  private static final int SLICE = 1;
  private static final int IDR_SLICE = 5;
  private static final int SEI = 6;

  private H264Packets() {}

  /**
   * The NAL length field's size in bytes for packets of a stream with this {@code extradata}: 1, 2
   * or 4 for an avcC record (MP4, Matroska), 0 for Annex B start codes (MPEG-TS, raw streams).
   */
  static int nalLengthSize(ByteBuffer extradata) {
    if (extradata == null
        || extradata.remaining() < 7
        || extradata.get(extradata.position()) != 1) {
      return 0;
    }
    return (extradata.get(extradata.position() + 4) & 3) + 1;
  }

  /**
   * Whether {@code packet} holds slices of a non-reference frame and nothing the decoder would
   * read: at least one slice, every NAL unit's {@code nal_ref_idc} 0, no SEI. A packet that cannot
   * be read is kept, for the decoder to judge.
   *
   * @param nalLengthSize from {@link #nalLengthSize}; 0 for start codes
   */
  static boolean nonReference(ByteBuffer packet, int nalLengthSize) {
    int start = packet.position();
    int end = packet.limit();
    boolean slice = false;
    if (nalLengthSize == 0) {
      for (int i = start; i + 3 < end; i++) {
        if (packet.get(i) == 0 && packet.get(i + 1) == 0 && packet.get(i + 2) == 1) {
          int verdict = verdict(packet.get(i + 3));
          if (verdict < 0) {
            return false;
          }
          slice |= verdict > 0;
          i += 3;
        }
      }
      return slice;
    }
    if (nalLengthSize != 1 && nalLengthSize != 2 && nalLengthSize != 4) {
      return false;
    }
    for (int i = start; i < end; ) {
      if (end - i <= nalLengthSize) {
        return false;
      }
      long length = 0;
      for (int b = 0; b < nalLengthSize; b++) {
        length = (length << 8) | (packet.get(i + b) & 0xff);
      }
      i += nalLengthSize;
      if (length < 1 || length > end - i) {
        return false;
      }
      int verdict = verdict(packet.get(i));
      if (verdict < 0) {
        return false;
      }
      slice |= verdict > 0;
      i += (int) length;
    }
    return slice;
  }

  /** For one NAL header byte: -1 the decoder reads it, 1 a skipped slice, 0 anything skipped. */
  private static int verdict(byte header) {
    int type = header & 0x1f;
    int refIdc = (header >> 5) & 3;
    if ((header & 0x80) != 0 || refIdc != 0 || type == SEI) {
      return -1;
    }
    return type >= SLICE && type <= IDR_SLICE ? 1 : 0;
  }
}
