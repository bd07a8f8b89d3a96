package dev.hose.detect;

import java.io.Serializable;
import java.util.List;

/** The detections line of one video. */
public record VideoResult(
    String id,
    String url,
    double duration,
    double fps,
    int width,
    int height,
    long framesDecoded,
    long framesSampled,
    List<Detection> detections,
    List<Segment> segments)
    implements Serializable {}
