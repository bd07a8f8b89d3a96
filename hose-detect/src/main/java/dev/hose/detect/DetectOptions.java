package dev.hose.detect;

import dev.hose.common.HoseOptions;
import dev.hose.common.OutputClaimOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Options of {@code hose detect}: video URLs to detections, with bounded scratch space. */
public interface DetectOptions extends HoseOptions, OutputClaimOptions {
  @Description(
      "URL list (local path or s3://): one URL per line, or JSON lines {\"id\":…,\"url\":…}.")
  @Validation.Required
  String getInput();

  void setInput(String value);

  @Description("Output: a local directory or an s3:// prefix.")
  @Validation.Required
  String getOutput();

  void setOutput(String value);

  @Description("Local directory for downloaded videos; each worker instance owns a subdirectory.")
  @Validation.Required
  String getScratchDir();

  void setScratchDir(String value);

  @Description("Comma-separated detectors: motion, faces, people (or a Detector class name).")
  @Default.String("motion")
  String getDetectors();

  void setDetectors(String value);

  @Description("Frames per second handed to the detectors (at most the source rate).")
  @Default.Double(2.0)
  double getSampleFps();

  void setSampleFps(double value);

  @Description(
      "Which frames to decode: auto (the cheapest mode that still serves --sampleFps), all, noref"
          + " (skip frames nothing references, such as B-frames) or keyframes. A mode the video"
          + " cannot serve falls back to the next one (keyframes, noref, all).")
  @Default.String("auto")
  String getDecode();

  void setDecode(String value);

  @Description(
      "Decoder threads per video; 0 shares the cores among the videos decoded at once"
          + " (--targetParallelism on DirectRunner).")
  @Default.Integer(0)
  int getDecodeThreads();

  void setDecodeThreads(int value);

  @Description(
      "Largest width in pixels that frames are scaled to before detection (motion alone needs"
          + " only 320).")
  @Default.Integer(640)
  int getWorkingWidth();

  void setWorkingWidth(int value);

  @Description(
      "Largest video accepted, in bytes; larger ones are refused before or while downloading.")
  @Default.Long(1L << 30)
  long getMaxVideoBytes();

  void setMaxVideoBytes(long value);

  @Description("Bytes of scratch disk that the downloads of one worker JVM may hold at once.")
  @Default.Long(4L << 30)
  long getScratchBudgetBytes();

  void setScratchBudgetBytes(long value);

  @Description("Time limit for one video, download included: e.g. 90s, 10m, 1h, PT5M.")
  @Default.String("10m")
  String getTimeoutPerVideo();

  void setTimeoutPerVideo(String value);

  @Description("HTTP connect timeout in seconds.")
  @Default.Integer(10)
  int getConnectTimeoutSeconds();

  void setConnectTimeoutSeconds(int value);

  @Description("HTTP read timeout in seconds: a server silent this long fails the video.")
  @Default.Integer(30)
  int getReadTimeoutSeconds();

  void setReadTimeoutSeconds(int value);

  @Description("Accept file:// URLs (off by default: a URL list must not read the worker's disk).")
  @Default.Boolean(false)
  boolean getAllowLocalFiles();

  void setAllowLocalFiles(boolean value);

  @Description(
      "Comma-separated hosts that http(s) URLs and their redirects may reach: names, addresses or"
          + " *.domain. Empty allows any host.")
  @Default.String("")
  String getAllowedHosts();

  void setAllowedHosts(String value);
}
