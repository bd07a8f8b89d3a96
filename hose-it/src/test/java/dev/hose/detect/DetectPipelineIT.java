package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hose.common.CommandLine;
import dev.hose.common.JobJar;
import dev.hose.embedded.S3Server;
import dev.hose.embedded.SyntheticVideo;
import dev.hose.support.JsonLines;
import dev.hose.support.video.VideoHttpServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole job through {@link DetectPipeline#run}: URL list and a video in S3, output in S3. */
class DetectPipelineIT {
  @TempDir Path dir;

  @Test
  void runsFromS3ToS3WithAManifest() throws Exception {
    Path moving = SyntheticVideo.create().write(dir.resolve("moving.mp4"));
    Path scratch = dir.resolve("scratch");
    try (S3Server s3 = S3Server.start(dir.resolve("s3"), 0, "AKIDTEST", "secretTEST");
        VideoHttpServer http = VideoHttpServer.start()) {
      s3.createBucket("videos");
      String httpUrl = http.add("moving.mp4", moving);
      Files.createDirectories(s3.objectPath("videos", "in").getParent());
      put(s3, "in/moving.mp4", Files.readAllBytes(moving));
      String urls =
          String.join(
              "\n",
              "{\"id\":\"from-s3\",\"url\":\"s3://videos/in/moving.mp4\"}",
              "{\"id\":\"from-http\",\"url\":\"" + httpUrl + "\"}",
              "{\"id\":\"missing\",\"url\":\"s3://videos/in/missing.mp4\"}",
              "this line is not a URL");
      put(s3, "in/urls.jsonl", urls.getBytes(StandardCharsets.UTF_8));

      DetectOptions options =
          CommandLine.parse(
              new String[] {
                "--runner=DirectRunner",
                "--input=s3://videos/in/urls.jsonl",
                "--output=s3://videos/out/",
                "--scratchDir=" + scratch,
                "--detectors=motion,faces",
                "--sampleFps=5",
                "--awsRegion=us-east-1",
                "--endpoint=" + s3.endpoint()
              },
              DetectOptions.class,
              JobJar.ALL);
      // Credentials reach the AWS SDK as they would in production, never as option values.
      System.setProperty("aws.accessKeyId", s3.accessKey());
      System.setProperty("aws.secretAccessKey", s3.secretKey());
      try {
        DetectPipeline.run(options);
      } finally {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
      }

      Path out = s3.objectPath("videos", "out");
      List<JsonNode> detections = readShards(out, "detections-");
      List<JsonNode> failures = readShards(out, "failures-");
      assertEquals(2, detections.size());
      for (JsonNode d : detections) {
        assertEquals(30, d.get("framesDecoded").asInt());
        assertEquals("all", d.get("decode").asText(), "no B-frames, key frames 1 s apart");
        assertEquals(d.get("framesSampled").asInt(), d.get("sampledTimes").size());
        assertEquals(0.2, d.get("sampledTimes").get(1).asDouble(), 1e-9);
        assertEquals(320, d.get("width").asInt());
        assertEquals(240, d.get("height").asInt());
        assertTrue(d.get("detections").size() > 0, d.toString());
        JsonNode first = d.get("detections").get(0);
        assertEquals("motion", first.get("detector").asText());
        assertTrue(first.has("time") && first.has("x") && first.has("frame"));
        assertTrue(d.get("segments").size() > 0);
      }
      assertEquals(2, failures.size());
      List<String> reasons = new ArrayList<>();
      failures.forEach(f -> reasons.add(f.get("reason").asText()));
      assertTrue(
          reasons.containsAll(List.of("download_failed", "invalid_input")), reasons.toString());

      JsonNode manifest = Json.read(Files.readString(out.resolve("_manifest.json")));
      assertEquals(4, manifest.get("videos").asInt());
      assertEquals(2, manifest.get("succeeded").asInt());
      assertEquals(2, manifest.get("failed").asInt());
      assertEquals(1, manifest.get("failedByReason").get("invalid_input").asInt());
      assertEquals("auto", manifest.get("settings").get("decode").asText());
      assertTrue(manifest.get("files").get("detections").get(0).asText().endsWith(".jsonl.gz"));
    }
    try (Stream<Path> left = Files.walk(scratch)) {
      assertEquals(List.of(scratch), left.toList());
    }
  }

  private static void put(S3Server s3, String key, byte[] bytes) throws IOException {
    Path p = s3.objectPath("videos", key);
    Files.createDirectories(p.getParent());
    Files.write(p, bytes);
  }

  static List<JsonNode> readShards(Path dir, String prefix) throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList()) {
        assertTrue(f.getFileName().toString().endsWith(".jsonl.gz"), f.toString());
        lines.addAll(JsonLines.read(f));
      }
    }
    return lines;
  }
}
