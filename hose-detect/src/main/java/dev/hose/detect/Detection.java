package dev.hose.detect;

import java.io.Serializable;

/**
 * One detection on one sampled frame. The box is in source-video pixels; {@code score} is null when
 * the detector has none.
 */
public record Detection(
    String detector,
    String label,
    long frame,
    double time,
    int x,
    int y,
    int width,
    int height,
    Double score)
    implements Serializable {}
