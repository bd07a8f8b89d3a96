package dev.hose.detect;

import java.io.Serializable;

/** Consecutive sampled frames in which one detector saw the same label. */
public record Segment(String detector, String label, double start, double end, int frames)
    implements Serializable {}
