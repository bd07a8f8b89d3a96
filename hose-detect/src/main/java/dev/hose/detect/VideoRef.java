package dev.hose.detect;

import java.io.Serializable;

/** One video to process: a stable id and its URL. */
public record VideoRef(String id, String url) implements Serializable {}
