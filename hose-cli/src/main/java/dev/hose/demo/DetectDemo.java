package dev.hose.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.hose.common.CommandLine;
import dev.hose.common.JobJar;
import dev.hose.common.Json;
import dev.hose.detect.DetectManifest;
import dev.hose.detect.DetectOptions;
import dev.hose.detect.DetectPipeline;
import dev.hose.embedded.SyntheticVideo;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * The detect part of {@code hose demo}: generates a few short videos, serves them from a loopback
 * HTTP server, runs the detect pipeline on DirectRunner into {@code workDir/detect-out} and prints
 * what it found.
 */
public final class DetectDemo {
  private DetectDemo() {}

  /** Runs the demo; the HTTP server is stopped before this returns. */
  public static void run(Path workDir, PrintStream out) throws Exception {
    Map<String, Path> files =
        writeVideos(Files.createDirectories(workDir.resolve("detect-videos")));
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> serve(exchange, files));
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/";
      List<String> lines = new ArrayList<>();
      for (String name : List.of("moving-square.mp4", "static-scene.webm", "not-a-video.mp4")) {
        lines.add("{\"id\":\"" + name + "\",\"url\":\"" + base + name + "\"}");
      }
      lines.add(base + "missing.mp4");
      Path urls = Files.write(workDir.resolve("detect-urls.jsonl"), lines);
      Path output = workDir.resolve("detect-out");
      out.println(
          "detect: " + lines.size() + " URLs served from " + base + " (list: " + urls + ")");

      DetectOptions options =
          CommandLine.parse(
              new String[] {
                "--runner=DirectRunner",
                "--input=" + urls,
                "--output=" + output,
                "--scratchDir=" + workDir.resolve("detect-scratch"),
                "--detectors=motion,faces",
                "--sampleFps=5"
              },
              DetectOptions.class,
              JobJar.DETECT);
      DetectPipeline.run(options);
      print(output, out);
    } finally {
      server.stop(0);
    }
  }

  /** Two synthetic videos (one moving, one still) and a file that is not a video, by name. */
  private static Map<String, Path> writeVideos(Path videos) throws IOException {
    return Map.of(
        "moving-square.mp4",
        SyntheticVideo.create()
            .size(640, 360)
            .fps(25)
            .frames(75)
            .write(videos.resolve("moving-square.mp4")),
        "static-scene.webm",
        SyntheticVideo.create()
            .moving(false)
            .codec("libvpx", "webm")
            .write(videos.resolve("static-scene.webm")),
        "not-a-video.mp4",
        Files.writeString(videos.resolve("not-a-video.mp4"), "just some text\n"));
  }

  private static void serve(HttpExchange exchange, Map<String, Path> files) throws IOException {
    try (exchange) {
      Path file = files.get(exchange.getRequestURI().getPath().substring(1));
      if (file == null) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      byte[] body = Files.readAllBytes(file);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream os = exchange.getResponseBody()) {
        os.write(body);
      }
    }
  }

  private static void print(Path output, PrintStream out) throws IOException {
    for (JsonNode video : readLines(output, DetectManifest.DETECTIONS)) {
      out.printf(
          "  %-20s %5.1f s %dx%d, %d frames decoded, %d sampled, %d detections%n",
          video.get("id").asText(),
          video.get("duration").asDouble(),
          video.get("width").asInt(),
          video.get("height").asInt(),
          video.get("framesDecoded").asLong(),
          video.get("framesSampled").asLong(),
          video.get("detections").size());
      int shown = 0;
      for (JsonNode s : video.get("segments")) {
        if (shown++ == 3) {
          out.println("      …");
          break;
        }
        out.printf(
            "      %s/%s from %.2f s to %.2f s (%d sampled frames)%n",
            s.get("detector").asText(),
            s.get("label").asText(),
            s.get("start").asDouble(),
            s.get("end").asDouble(),
            s.get("frames").asInt());
      }
    }
    for (JsonNode f : readLines(output, DetectManifest.FAILURES)) {
      out.printf(
          "  %-20s failed: %s (%s)%n",
          f.has("id") ? f.get("id").asText() : "-",
          f.get("reason").asText(),
          f.get("message").asText());
    }
    out.println("detect: detections, failures and _manifest.json are in " + output);
  }

  private static List<JsonNode> readLines(Path dir, String prefix) throws IOException {
    List<JsonNode> nodes = new ArrayList<>();
    List<Path> shards;
    try (Stream<Path> s = Files.list(dir)) {
      shards = s.filter(p -> p.getFileName().toString().startsWith(prefix + "-")).sorted().toList();
    }
    for (Path shard : shards) {
      try (BufferedReader r =
          new BufferedReader(
              new InputStreamReader(
                  new GZIPInputStream(Files.newInputStream(shard)), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          nodes.add(Json.MAPPER.readTree(line));
        }
      }
    }
    return nodes;
  }
}
