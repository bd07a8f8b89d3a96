package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class H264PacketsTest {
  // NAL header bytes: forbidden bit, nal_ref_idc (2 bits), nal_unit_type (5 bits).
  private static final int NONREF_SLICE = 0x01;
  private static final int REF_SLICE = 0x41;
  private static final int IDR = 0x65;
  private static final int SEI = 0x06;
  private static final int AUD = 0x09;
  private static final int SPS = 0x67;

  @Test
  void aPacketOfNonReferenceSlicesIsLeftOut() {
    for (int size : new int[] {1, 2, 4}) {
      assertTrue(H264Packets.nonReference(avcc(size, NONREF_SLICE), size));
      assertTrue(H264Packets.nonReference(avcc(size, AUD, NONREF_SLICE, NONREF_SLICE), size));
    }
    assertTrue(H264Packets.nonReference(annexB(NONREF_SLICE), 0));
    assertTrue(H264Packets.nonReference(annexB(AUD, NONREF_SLICE), 0));
  }

  @Test
  void anythingTheDecoderReadsKeepsThePacket() {
    for (int[] nals :
        new int[][] {
          {REF_SLICE},
          {IDR},
          {NONREF_SLICE, REF_SLICE},
          {SEI, NONREF_SLICE}, // the decoder reads SEI messages of skipped frames
          {SPS, NONREF_SLICE},
          {AUD}, // no slice: nothing to save
          {0x80 | NONREF_SLICE}, // forbidden bit: for the decoder to judge
        }) {
      assertFalse(H264Packets.nonReference(avcc(4, nals), 4));
      assertFalse(H264Packets.nonReference(annexB(nals), 0));
    }
  }

  @Test
  void aPacketThatCannotBeReadIsKept() {
    ByteBuffer truncated = avcc(4, NONREF_SLICE);
    truncated.limit(truncated.limit() - 1);
    assertFalse(H264Packets.nonReference(truncated, 4));
    assertFalse(H264Packets.nonReference(ByteBuffer.wrap(new byte[] {0, 0, 0, 0}), 4));
    assertFalse(H264Packets.nonReference(ByteBuffer.wrap(new byte[0]), 4));
    assertFalse(H264Packets.nonReference(avcc(4, NONREF_SLICE), 3));
    assertFalse(H264Packets.nonReference(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0));
  }

  @Test
  void theLengthFieldSizeComesFromTheAvcCRecord() {
    assertEquals(
        4, H264Packets.nalLengthSize(ByteBuffer.wrap(new byte[] {1, 100, 0, 31, -1, -31, 0})));
    assertEquals(
        2, H264Packets.nalLengthSize(ByteBuffer.wrap(new byte[] {1, 100, 0, 31, -3, -31, 0})));
    assertEquals(0, H264Packets.nalLengthSize(ByteBuffer.wrap(new byte[] {0, 0, 0, 1, 103, 0, 0})));
    assertEquals(0, H264Packets.nalLengthSize(ByteBuffer.wrap(new byte[] {1, 100})));
    assertEquals(0, H264Packets.nalLengthSize(null));
  }

  /** NAL units of 3 bytes each (header and payload), each after a big-endian length. */
  private static ByteBuffer avcc(int lengthSize, int... headers) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int h : headers) {
      for (int b = lengthSize - 1; b >= 0; b--) {
        out.write((3 >> (8 * b)) & 0xff);
      }
      out.write(h);
      out.write(0x9a);
      out.write(0x0c);
    }
    return ByteBuffer.wrap(out.toByteArray());
  }

  /** The same NAL units after start codes (a 4-byte one first, as encoders write). */
  private static ByteBuffer annexB(int... headers) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < headers.length; i++) {
      if (i == 0) {
        out.write(0);
      }
      out.write(0);
      out.write(0);
      out.write(1);
      out.write(headers[i]);
      out.write(0x9a);
      out.write(0x0c);
    }
    return ByteBuffer.wrap(out.toByteArray());
  }
}
