package dev.hose.detect;

import java.io.Serializable;
import java.util.List;

/**
 * The detections line of one video. {@code decode} is the decode mode used; {@code decodeNote} says
 * why it differs from {@code --decode} (null when it does not); {@code sampledTimes} are the
 * seconds of the sampled frames.
 */
public record VideoResult(
    String id,
    String url,
    double duration,
    double fps,
    int width,
    int height,
    long framesDecoded,
    long framesSampled,
    String decode,
    String decodeNote,
    List<Double> sampledTimes,
    List<Detection> detections,
    List<Segment> segments)
    implements Serializable {}
