package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hose.common.Errors;
import dev.hose.common.OutputClaim;
import dev.hose.common.OwnedDirectory;
import dev.hose.embedded.SyntheticVideo;
import dev.hose.support.HoseProcess;
import dev.hose.support.JsonLines;
import dev.hose.support.faults.Fault;
import dev.hose.support.faults.FaultLog;
import dev.hose.support.video.BadFiles;
import dev.hose.support.video.FaultyVideoServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The detect half of the fault suite, against real {@code java -jar target/hose.jar detect}
 * processes, a raw-socket HTTP server on loopback ({@link FaultyVideoServer}), generated clips and
 * real tmpfs mounts. Every run is checked for videos not accounted for in detections + failures,
 * failure reasons, and bytes left in {@code --scratchDir}.
 */
class DetectFaultsIT {
  /** --maxVideoBytes and --scratchBudgetBytes: bigger than the 8 MB tmpfs scratch disks. */
  static final long CAP = 10L << 20;

  static final String OK = "ok";

  @TempDir static Path shared;
  static byte[] clip;
  static byte[] truncated;
  static byte[] garbage;

  @BeforeAll
  static void clips() throws IOException {
    clip =
        Files.readAllBytes(
            SyntheticVideo.create().size(160, 120).frames(10).write(shared.resolve("clip.mp4")));
    truncated = Files.readAllBytes(BadFiles.truncated(shared.resolve("truncated.mp4")));
    garbage = new byte[32 * 1024];
    new Random(7).nextBytes(garbage);
    garbage[0] = 0x13; // not an MPEG-TS sync byte
  }

  @Fault(job = "detect", value = "worker SIGKILLed mid-download, rerun beside a live worker")
  void killedMidDownload(FaultLog fault, @TempDir Path dir) throws Exception {
    try (FaultyVideoServer http = new FaultyVideoServer(clip, truncated, garbage)) {
      killAndRerun(
          fault,
          dir,
          http,
          http,
          http.url("/hold/victim/clip.mp4"),
          clip.length / 2,
          List.of("--detectors=motion"),
          "mid-download");
    }
  }

  @Fault(job = "detect", value = "worker SIGKILLed mid-detection, rerun beside a live worker")
  void killedMidDetection(FaultLog fault, @TempDir Path dir) throws Exception {
    // Long enough that decoding it with both detectors takes seconds, not milliseconds.
    byte[] longVideo =
        Files.readAllBytes(SyntheticVideo.create().frames(600).write(dir.resolve("long.mp4")));
    try (FaultyVideoServer http = new FaultyVideoServer(clip, truncated, garbage);
        FaultyVideoServer longHttp = new FaultyVideoServer(longVideo, truncated, garbage)) {
      killAndRerun(
          fault,
          dir,
          http,
          longHttp,
          longHttp.url("/ok/long.mp4"),
          longVideo.length,
          List.of("--detectors=motion,faces", "--sampleFps=15"),
          "mid-detection");
    }
  }

  @Fault(
      job = "detect",
      value = "a second run on the same output while the first runs: refused, then --wait")
  void overlappingRuns(FaultLog fault, @TempDir Path dir) throws Exception {
    try (FaultyVideoServer http = new FaultyVideoServer(clip, truncated, garbage)) {
      Path scratch = dir.resolve("scratch");
      Path shared = dir.resolve("shared");
      List<String> patient =
          List.of("--timeoutPerVideo=5m", "--readTimeoutSeconds=300", "--output=" + shared);
      Path list =
          lines(
              dir,
              "list.txt",
              List.of(http.url("/hold/first/clip.mp4"), http.url("/ok/overlap/1/clip.mp4")));
      Hose first = Hose.start(dir, "first", list, scratch, patient);
      Hose waiting = null;
      try {
        assertTrue(http.awaitHeld("first", 3, TimeUnit.MINUTES), "the first run never asked");
        String holder =
            Json.read(Files.readString(shared.resolve(OutputClaim.NAME))).path("runId").asText();
        Hose second = Hose.start(dir, "second", list, scratch, patient);
        int refusedExit = second.await(120);
        List<String> refusedLines =
            second.stderr().lines().filter(l -> l.startsWith("hose ")).toList();
        List<String> waitArgs = new ArrayList<>(patient);
        waitArgs.add("--wait=true");
        Hose w = Hose.start(dir, "waiting", list, scratch, waitArgs);
        waiting = w;
        await(
            "the --wait run waiting for the first",
            () -> stderrOf(w).contains("waiting for run " + holder) ? true : null,
            w);
        http.release("first");
        int firstExit = first.await(120);
        int waitedExit = waiting.await(300);
        JsonNode manifest = Output.read(shared).manifest();
        Leftovers left = Leftovers.scan(scratch);
        List<String> leftovers = new ArrayList<>();
        if (Files.exists(shared.resolve(OutputClaim.NAME))) {
          leftovers.add("the output claim");
        }
        leftovers.addAll(left.describe());
        String line = refusedLines.isEmpty() ? "" : refusedLines.get(0);
        fault.run(
            0,
            0,
            leftovers,
            "second run refused (exit "
                + refusedExit
                + ") with \""
                + line
                + "\"; a run with --wait waited, then completed (exit "
                + waitedExit
                + ", "
                + manifest.path("succeeded").asInt()
                + "/"
                + manifest.path("videos").asInt()
                + " videos)");
        assertEquals(0, firstExit, first.stderrTail());
        assertEquals(2, refusedExit, second.stderrTail());
        assertEquals(1, refusedLines.size(), second.stderrTail());
        assertTrue(line.contains("in use by run " + holder), line);
        assertEquals(0, waitedExit, waiting.stderrTail());
        assertEquals(2, manifest.path("succeeded").asInt(), manifest.toString());
        assertEquals(List.of(), leftovers);
      } finally {
        http.release("first");
        first.destroy();
        if (waiting != null) {
          waiting.destroy();
        }
      }
    }
  }

  private static String stderrOf(Hose hose) {
    try {
      return hose.stderr();
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * Starts a live worker held mid-download, starts a victim on {@code victimUrl} plus five good
   * videos, SIGKILLs it once its scratch file holds {@code killAtBytes}, reruns the victim's list
   * on the same --scratchDir and checks what the sweep removed and kept; then lets the live worker
   * finish.
   */
  private void killAndRerun(
      FaultLog fault,
      Path dir,
      FaultyVideoServer http,
      FaultyVideoServer victimHttp,
      String victimUrl,
      long killAtBytes,
      List<String> victimArgs,
      String when)
      throws Exception {
    Path scratch = dir.resolve("scratch");
    List<String> patient =
        List.of("--timeoutPerVideo=5m", "--readTimeoutSeconds=300", "--targetParallelism=2");
    Hose live =
        Hose.start(
            dir,
            "live",
            lines(dir, "live.txt", List.of(http.url("/hold/live/clip.mp4"))),
            scratch,
            patient);
    Hose victim = null;
    Hose rerun = null;
    try {
      assertTrue(http.awaitHeld("live", 3, TimeUnit.MINUTES), "the live worker never asked");
      Path liveFile =
          await(
              "the live worker's partial file",
              () -> scratchFile(scratch, live, clip.length / 2),
              live);
      byte[] liveBytes = Files.readAllBytes(liveFile);

      List<String> victimLines = new ArrayList<>(List.of(victimUrl));
      for (int i = 0; i < 5; i++) {
        victimLines.add(http.url("/ok/" + when + "/" + i + "/clip.mp4"));
      }
      Path victimList = lines(dir, "victim.txt", victimLines);
      List<String> args = new ArrayList<>(patient);
      args.addAll(victimArgs);
      victim = Hose.start(dir, "victim", victimList, scratch, args);
      Hose v = victim;
      Path victimFile =
          await(
              "the victim's scratch file at " + killAtBytes + " bytes",
              () -> scratchFile(scratch, v, killAtBytes),
              v);
      victim.sigkill();
      assertTrue(
          Files.exists(victimFile) && Files.size(victimFile) == killAtBytes,
          "the victim finished with its file before it was killed: not killed " + when);
      Path deadDir = victimFile.getParent();
      Leftovers dead = Leftovers.scan(deadDir);

      rerun = Hose.start(dir, "rerun", victimList, scratch, args);
      assertEquals(0, rerun.await(300), rerun.stderrTail());
      Accounting rerunOut = Accounting.of(rerun.output(), expectAllOk(victimLines));
      boolean deadSwept = !Files.exists(deadDir);
      boolean liveKept =
          Files.exists(liveFile) && Arrays.equals(liveBytes, Files.readAllBytes(liveFile));

      http.release("live");
      assertEquals(0, live.await(120), live.stderrTail());
      Accounting liveOut =
          Accounting.of(live.output(), expectAllOk(List.of(http.url("/hold/live/clip.mp4"))));
      Leftovers left = Leftovers.scan(scratch);

      fault.run(
          rerunOut.lost() + liveOut.lost(),
          left.bytes(),
          left.describe(),
          String.format(
              "kill -9 %s left %s; the rerun (exit 0, %d/%d videos) swept it%s; the live"
                  + " worker's %d-byte partial file was %s and it then finished 1/1",
              when,
              dead.summary(),
              rerunOut.accounted(),
              victimLines.size(),
              deadSwept ? "" : " NOT",
              liveBytes.length,
              liveKept ? "untouched" : "DISTURBED"));
      assertTrue(deadSwept, "the rerun did not sweep the dead worker's " + deadDir);
      assertTrue(liveKept, "the rerun touched the live worker's " + liveFile);
      assertEquals(List.of(), rerunOut.wrong());
      assertEquals(List.of(), liveOut.wrong());
      assertEquals(0, rerunOut.lost() + liveOut.lost());
      assertEquals(List.of(), left.describe());
    } finally {
      live.destroy();
      if (victim != null) {
        victim.destroy();
      }
      if (rerun != null) {
        rerun.destroy();
      }
    }
  }

  @Fault(
      job = "detect",
      value = "scratch disk fills up (8 MB tmpfs): mid-run, and full before start")
  void scratchDiskFull(FaultLog fault, @TempDir Path dir) throws Exception {
    Path scratch = dir.resolve("scratch");
    try (FaultyVideoServer http = new FaultyVideoServer(clip, truncated, garbage);
        Tmpfs tmpfs = Tmpfs.mount(scratch, "8m")) {
      // 1) Videos of CAP bytes, with Content-Length (refused before the download) and chunked
      //    (written until ENOSPC), among good ones.
      Map<String, String> expected = new LinkedHashMap<>();
      for (int i = 0; i < 20; i++) {
        expected.put(http.url("/ok/full/" + i + "/clip.mp4"), OK);
      }
      for (int i = 0; i < 3; i++) {
        expected.put(http.url("/sized/" + CAP + "/full/" + i), "scratch_full");
        expected.put(http.url("/chunked/" + (CAP - (1 << 20)) + "/full/" + i), "scratch_full");
      }
      // A long --timeoutPerVideo: a CAP-sized download waits for the whole budget.
      List<String> patient = List.of("--timeoutPerVideo=2m");
      Hose run =
          Hose.start(dir, "fills", lines(dir, "fills.txt", shuffled(expected)), scratch, patient);
      int exit = run.await(300);
      Accounting out = Accounting.of(run.output(), expected);
      Leftovers left = Leftovers.scan(scratch);
      fault.run(
          out.lost(),
          left.bytes(),
          left.describe(),
          String.format(
              "fills mid-run: exit %d, %d succeeded, %d scratch_full (%s), %d wrong reasons",
              exit,
              out.succeeded(),
              out.count("scratch_full"),
              out.sample("scratch_full"),
              out.wrong().size()));
      assertEquals(0, exit, run.stderrTail());
      assertEquals(List.of(), out.wrong());
      assertEquals(List.of(), left.describe());

      // 2) Another tenant filled the disk before the run started.
      Path filler = scratch.resolve("someone-elses-file");
      long fillerBytes = fill(filler);
      Map<String, String> none = new LinkedHashMap<>();
      for (int i = 0; i < 10; i++) {
        none.put(http.url("/ok/none/" + i + "/clip.mp4"), "scratch_full");
      }
      Hose full = Hose.start(dir, "full", lines(dir, "full.txt", shuffled(none)), scratch, patient);
      int fullExit = full.await(300);
      Accounting fullOut = Accounting.of(full.output(), none);
      Leftovers fullLeft = Leftovers.scan(scratch, filler);
      fault.run(
          fullOut.lost(),
          fullLeft.bytes(),
          fullLeft.describe(),
          String.format(
              "full before start (%d-byte file of another tenant): exit %d, %d/%d videos"
                  + " scratch_full (%s), the other file untouched: %s",
              fillerBytes,
              fullExit,
              fullOut.count("scratch_full"),
              none.size(),
              fullOut.sample("scratch_full"),
              Files.size(filler) == fillerBytes));
      assertEquals(0, fullExit, full.stderrTail());
      assertEquals(List.of(), fullOut.wrong());
      assertEquals(List.of(), fullLeft.describe());
      assertEquals(fillerBytes, Files.size(filler));
    }
  }

  @Fault(job = "detect", value = "1,000 videos, 30% faults of every kind, 8 MB tmpfs scratch")
  void thousandVideos(FaultLog fault, @TempDir Path dir) throws Exception {
    Path scratch = dir.resolve("scratch");
    try (FaultyVideoServer http = new FaultyVideoServer(clip, truncated, garbage);
        Tmpfs tmpfs = Tmpfs.mount(scratch, "8m")) {
      String localhost = "http://localhost:" + http.port();
      Map<String, String> expected = new LinkedHashMap<>();
      Map<String, Integer> kinds = new TreeMap<>();
      add(expected, kinds, "404", 20, i -> http.url("/status/404/" + i), "download_failed");
      add(expected, kinds, "500", 20, i -> http.url("/status/500/" + i), "download_failed");
      add(expected, kinds, "403", 10, i -> http.url("/status/403/" + i), "download_failed");
      add(expected, kinds, "stalled body", 20, i -> http.url("/stall/" + i), "timeout");
      add(expected, kinds, "slow body", 15, i -> http.url("/drip/" + i), "timeout");
      add(expected, kinds, "reset mid-body", 20, i -> http.url("/reset/" + i), "download_failed");
      add(expected, kinds, "body cut short", 20, i -> http.url("/short/" + i), "download_failed");
      add(expected, kinds, "truncated file", 20, i -> http.url("/truncated/" + i), "decode_error");
      add(expected, kinds, "garbage", 20, i -> http.url("/garbage/" + i), "not_a_video");
      add(
          expected,
          kinds,
          "over the cap",
          20,
          i -> http.url("/sized/" + (CAP + 1) + "/" + i),
          "too_large");
      add(
          expected,
          kinds,
          "redirect to file://",
          15,
          i -> redirect(http, i, "file:///etc/passwd"),
          "url_not_allowed");
      add(
          expected,
          kinds,
          "redirect to ftp://",
          10,
          i -> redirect(http, i, "ftp://127.0.0.1/" + i),
          "url_not_allowed");
      add(
          expected,
          kinds,
          "redirect to another host",
          10,
          i -> redirect(http, i, localhost + "/ok/" + i),
          "url_not_allowed");
      add(expected, kinds, "redirect loop", 15, i -> http.url("/loop/" + i), "download_failed");
      add(
          expected,
          kinds,
          "disallowed scheme",
          15,
          i ->
              List.of("file:///etc/passwd?", "gopher://127.0.0.1/", "FILE:///etc/hostname?")
                      .get(i % 3)
                  + i,
          "url_not_allowed");
      add(expected, kinds, "disallowed host", 15, i -> localhost + "/ok/" + i, "url_not_allowed");
      add(expected, kinds, "local path", 10, i -> "/etc/passwd-" + i, "invalid_input");
      add(
          expected,
          kinds,
          "malformed line",
          10,
          i -> "{\"id\": \"broken-" + i + "\", ",
          "invalid_input");
      add(
          expected,
          kinds,
          "disk full",
          15,
          i -> http.url("/sized/" + CAP + "/" + i),
          "scratch_full");
      int faults = expected.size();
      add(expected, kinds, "good", 1000 - faults, i -> http.url("/ok/" + i + "/clip.mp4"), OK);
      assertEquals(300, faults);

      long start = System.nanoTime();
      Hose run =
          Hose.start(
              dir,
              "thousand",
              lines(dir, "thousand.txt", shuffled(expected)),
              scratch,
              // 5 s leaves a good clip ample time on a loaded machine; a slow body still times out.
              List.of("--allowedHosts=127.0.0.1", "--timeoutPerVideo=5s"));
      int exit = run.await(420);
      double seconds = (System.nanoTime() - start) / 1e9;
      Accounting out = Accounting.of(run.output(), expected);
      Leftovers left = Leftovers.scan(scratch);
      long stderrLines = run.stderr().lines().count();
      JsonNode manifest = run.output().manifest();
      fault.run(
          out.lost(),
          left.bytes(),
          left.describe(),
          String.format(
              "exit %d in %.0f s; %d results + %d failures of 1000 (manifest: %s videos, %s);"
                  + " %d failures with a wrong reason; %d kinds of fault; %d stderr lines",
              exit,
              seconds,
              out.succeeded(),
              out.failed(),
              manifest == null ? "none" : manifest.get("videos").asText(),
              manifest == null ? "" : manifest.get("failedByReason").toString().replace("\"", ""),
              out.wrong().size(),
              kinds.size() - 1,
              stderrLines));
      assertEquals(0, exit, run.stderrTail());
      assertEquals(List.of(), out.wrong());
      assertEquals(0, out.lost());
      assertEquals(1000, manifest.get("videos").asInt());
      assertEquals(List.of(), left.describe());
      assertTrue(stderrLines < 100, "stderr is not bounded: " + stderrLines + " lines");
      for (JsonNode f : run.output().failures()) {
        String message = f.get("message").asText();
        assertTrue(message.length() < 300 && !message.contains("\n"), message);
      }
    }
  }

  @Fault(
      job = "detect",
      value =
          "hostile input: traversal, long, NUL and non-ASCII URLs; file:// and local paths;"
              + " redirects to other schemes; bodies over the cap")
  void hostileInput(FaultLog fault, @TempDir Path dir) throws Exception {
    Path scratch = dir.resolve("scratch");
    try (FaultyVideoServer http = new FaultyVideoServer(clip, truncated, garbage)) {
      Map<String, String> expected = new LinkedHashMap<>();
      Map<String, String> held = new LinkedHashMap<>();
      held.put("k1", http.url("/hold/k1/..%2F..%2F..%2F..%2Fetc%2Fpasswd"));
      held.put("k2", http.url("/hold/k2/x/../../../../../../tmp/escape"));
      held.put("k3", http.url("/hold/k3/%2e%2e/%2e%2e/%2e%2e/tmp/escape"));
      held.put("k4", http.url("/hold/k4/" + "a".repeat(4000) + ".mp4"));
      held.put("k5", http.url("/hold/k5/nul%00byte.mp4"));
      held.put("k6", http.url("/hold/k6/vidéo-视频-\u202Egnp.mp4"));
      held.values().forEach(u -> expected.put(u, OK));
      String jsonId =
          "{\"id\":\"../../../../tmp/escape\",\"url\":\"" + http.url("/hold/k7/j") + "\"}";
      held.put("k7", jsonId);
      expected.put(jsonId, OK);
      expected.put(http.url("/ok/raw\u0000nul.mp4"), "invalid_input");
      expected.put("file:///etc/passwd", "url_not_allowed");
      expected.put("FILE:///etc/shadow", "url_not_allowed");
      expected.put("jar:file:///tmp/x.jar!/y", "url_not_allowed");
      expected.put("file:/etc/passwd", "invalid_input");
      expected.put("/etc/passwd", "invalid_input");
      expected.put("../../../etc/passwd", "invalid_input");
      expected.put(redirect(http, 1, "file:///etc/passwd"), "url_not_allowed");
      expected.put(redirect(http, 2, "jar:file:///tmp/x.jar!/y"), "url_not_allowed");
      expected.put(redirect(http, 3, "ftp://127.0.0.1/x"), "url_not_allowed");
      expected.put(redirect(http, 4, "file:/etc/passwd"), "url_not_allowed");
      expected.put(http.url("/sized/" + (3 * CAP) + "/declared"), "too_large");
      expected.put(http.url("/chunked/" + (3 * CAP) + "/undeclared"), "too_large");

      List<String> before = tree(dir);
      Hose run =
          Hose.start(
              dir,
              "hostile",
              lines(dir, "hostile.txt", shuffled(expected)),
              scratch,
              List.of("--readTimeoutSeconds=300", "--timeoutPerVideo=5m"));
      List<String> names = new ArrayList<>();
      List<String> bad = new ArrayList<>();
      try {
        // While each hostile URL's download is held half-way, its scratch file is on disk: look.
        List<String> waiting = new ArrayList<>(held.keySet());
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!waiting.isEmpty()) {
          for (String key : List.copyOf(waiting)) {
            if (http.awaitHeld(key, 0, TimeUnit.SECONDS)) {
              await("a scratch file of " + key, () -> anyScratchFile(scratch), run);
              for (Path p : files(scratch)) {
                String rel = scratch.relativize(p).toString();
                names.add(rel);
                if (!rel.matches("hose-detect-[0-9a-f-]{36}/(\\.lock|owner|v-[0-9a-f]{24}-\\d+)")) {
                  bad.add(rel);
                }
              }
              http.release(key);
              waiting.remove(key);
            }
          }
          if (System.nanoTime() > deadline || !run.alive() && !waiting.isEmpty()) {
            fail("never held: " + waiting + "\n" + run.stderrTail());
          }
          Thread.sleep(20);
        }
      } finally {
        held.keySet().forEach(http::release);
      }
      int exit = run.await(300);
      Accounting out = Accounting.of(run.output(), expected);
      Leftovers left = Leftovers.scan(scratch);
      List<String> after = tree(dir);
      after.removeIf(p -> p.startsWith("hostile") || p.startsWith("scratch"));
      before.removeIf(p -> p.startsWith("hostile") || p.startsWith("scratch"));
      boolean escaped =
          !after.equals(before) || Files.exists(Path.of("/tmp/escape")) || !bad.isEmpty();
      long refused = expected.values().stream().filter(r -> !r.equals(OK)).count();
      fault.run(
          out.lost(),
          left.bytes(),
          left.describe(),
          String.format(
              "exit %d; %d hostile lines: %d refused with the expected reason, %d fetched into"
                  + " hash-named scratch files (%d names seen, %d not v-<24 hex>-<n>); written"
                  + " outside --scratchDir: %s",
              exit,
              expected.size(),
              refused - out.wrong().size(),
              out.succeeded(),
              names.size(),
              bad.size(),
              escaped ? "YES" : "nothing"));
      assertEquals(0, exit, run.stderrTail());
      assertEquals(List.of(), out.wrong());
      assertEquals(List.of(), bad);
      assertFalse(escaped, "something was written outside --scratchDir: " + after);
      assertEquals(List.of(), left.describe());
      JsonNode idLine = out.byKey().get("../../../../tmp/escape");
      assertNotNull(idLine, "the JSON line's own id is kept in the output");
    }
  }

  // ---------------------------------------------------------------------------------------------

  private interface UrlOf {
    String of(int i);
  }

  private static void add(
      Map<String, String> expected,
      Map<String, Integer> kinds,
      String kind,
      int n,
      UrlOf url,
      String reason) {
    for (int i = 0; i < n; i++) {
      expected.put(url.of(i), reason);
    }
    kinds.put(kind, n);
  }

  private static String redirect(FaultyVideoServer http, int i, String target) {
    return http.url("/redirect/" + i + "?to=" + URLEncoder.encode(target, StandardCharsets.UTF_8));
  }

  private static List<String> shuffled(Map<String, String> expected) {
    List<String> lines = new ArrayList<>(expected.keySet());
    Collections.shuffle(lines, new Random(2026));
    return lines;
  }

  private static Map<String, String> expectAllOk(List<String> urls) {
    Map<String, String> m = new LinkedHashMap<>();
    urls.forEach(u -> m.put(u, OK));
    return m;
  }

  private static Path lines(Path dir, String name, List<String> lines) throws IOException {
    return Files.write(dir.resolve(name), lines, StandardCharsets.UTF_8);
  }

  /** Fills the file system of {@code file} to the last byte; returns the bytes written. */
  private static long fill(Path file) throws IOException {
    long n = 0;
    byte[] block = new byte[4096];
    try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW)) {
      while (true) {
        out.write(block);
        n += block.length;
      }
    } catch (IOException e) {
      if (!Errors.isOutOfSpace(e)) {
        throw e;
      }
    }
    return Files.size(file);
  }

  /** The {@code v-*} file of {@code hose}'s scratch directory once it holds {@code bytes}. */
  private static Path scratchFile(Path root, Hose hose, long bytes) {
    try {
      for (Path dir : dirs(root)) {
        Properties owner = new Properties();
        try (BufferedReader r = Files.newBufferedReader(dir.resolve(OwnedDirectory.OWNER))) {
          owner.load(r);
        } catch (IOException e) {
          continue;
        }
        if (!String.valueOf(hose.process.pid()).equals(owner.getProperty("pid"))) {
          continue;
        }
        for (Path f : files(dir)) {
          if (f.getFileName().toString().startsWith("v-") && Files.size(f) == bytes) {
            return f;
          }
        }
      }
    } catch (IOException e) {
      // a file went away between listing and reading: look again
    }
    return null;
  }

  private static Path anyScratchFile(Path root) {
    try {
      return files(root).stream()
          .filter(p -> p.getFileName().toString().startsWith("v-"))
          .findFirst()
          .orElse(null);
    } catch (IOException e) {
      return null;
    }
  }

  private static List<Path> dirs(Path root) throws IOException {
    List<Path> dirs = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return dirs;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(root, ScratchSpace.PREFIX + "*")) {
      s.forEach(dirs::add);
    }
    return dirs;
  }

  private static List<Path> files(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).toList();
    } catch (java.io.UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private static List<String> tree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return new ArrayList<>(s.map(p -> dir.relativize(p).toString()).sorted().toList());
    }
  }

  /** Polls {@code probe} every 20 ms until it gives a value; fails if a process ends first. */
  private static <T> T await(String what, Supplier<T> probe, Hose... mustRun)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (System.nanoTime() < deadline) {
      T value = probe.get();
      if (value != null) {
        return value;
      }
      for (Hose h : mustRun) {
        if (!h.alive()) {
          fail(
              "waiting for "
                  + what
                  + ": "
                  + h.name
                  + " exited "
                  + h.process.exitValue()
                  + "\n"
                  + h.stderrTail());
        }
      }
      Thread.sleep(20);
    }
    return fail("timed out waiting for " + what);
  }

  /** What is left under a scratch root: files and their bytes, directories. */
  record Leftovers(long files, long bytes, long dirs) {
    static Leftovers scan(Path root, Path... ignore) throws IOException {
      long files = 0;
      long bytes = 0;
      long dirs = 0;
      if (Files.isDirectory(root)) {
        try (Stream<Path> s = Files.walk(root)) {
          for (Path p : s.toList()) {
            if (p.equals(root) || Arrays.asList(ignore).contains(p)) {
              continue;
            }
            if (Files.isDirectory(p)) {
              dirs++;
            } else {
              files++;
              bytes += Files.size(p);
            }
          }
        }
      }
      return new Leftovers(files, bytes, dirs);
    }

    List<String> describe() {
      return files == 0 && dirs == 0
          ? List.of()
          : List.of(files + " scratch files (" + bytes + " bytes) in " + dirs + " directories");
    }

    /** For a directory scanned on its own: what is in it. */
    String summary() {
      return "its directory with " + files + " files (" + bytes + " bytes)";
    }
  }

  /** The output of one run against what each input line should have become. */
  record Output(List<JsonNode> results, List<JsonNode> failures, JsonNode manifest) {
    static Output read(Path out) throws IOException {
      List<JsonNode> results = new ArrayList<>();
      List<JsonNode> failures = new ArrayList<>();
      if (Files.isDirectory(out)) {
        try (Stream<Path> s = Files.list(out)) {
          for (Path f : s.sorted().toList()) {
            String name = f.getFileName().toString();
            if (name.endsWith(".jsonl.gz")) {
              (name.startsWith("detections") ? results : failures).addAll(JsonLines.read(f));
            }
          }
        }
      }
      Path manifest = out.resolve(DetectManifest.FILE);
      return new Output(
          results, failures, Files.exists(manifest) ? Json.read(Files.readString(manifest)) : null);
    }
  }

  /** Each expected line matched with its result or failure. */
  record Accounting(
      Map<String, JsonNode> byKey, Map<String, String> actual, Map<String, String> expected) {
    static Accounting of(Output out, Map<String, String> expectedByLine) throws IOException {
      Map<String, String> expected = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : expectedByLine.entrySet()) {
        expected.put(keyOf(e.getKey()), e.getValue());
      }
      Map<String, String> actual = new LinkedHashMap<>();
      Map<String, JsonNode> byKey = new LinkedHashMap<>();
      for (JsonNode r : out.results()) {
        String key = r.get("id").asText();
        actual.merge(key, OK, (a, b) -> a + "+" + b);
        byKey.put(key, r);
      }
      for (JsonNode f : out.failures()) {
        String key = f.hasNonNull("id") ? f.get("id").asText() : "line:" + f.get("line").asText();
        actual.merge(key, f.get("reason").asText(), (a, b) -> a + "+" + b);
        byKey.put(key, f);
      }
      return new Accounting(byKey, actual, expected);
    }

    /** The id the pipeline gives a line, or the line itself when it cannot be parsed. */
    static String keyOf(String line) {
      try {
        Optional<VideoRef> ref = UrlPolicy.parseLine(line);
        return ref.orElseThrow().id();
      } catch (VideoFailure e) {
        return "line:" + line;
      }
    }

    long lost() {
      return expected.keySet().stream().filter(k -> !actual.containsKey(k)).count();
    }

    long accounted() {
      return expected.size() - lost();
    }

    long succeeded() {
      return actual.values().stream().filter(OK::equals).count();
    }

    long failed() {
      return actual.size() - succeeded();
    }

    long count(String reason) {
      return actual.values().stream().filter(reason::equals).count();
    }

    /** One failure message of {@code reason}, for the report. */
    String sample(String reason) {
      return byKey.values().stream()
          .filter(n -> n.has("reason") && n.get("reason").asText().equals(reason))
          .map(n -> n.get("message").asText())
          .findFirst()
          .orElse("none");
    }

    /** Lines whose outcome is not the expected one, and outcomes of no expected line. */
    List<String> wrong() {
      List<String> wrong = new ArrayList<>();
      for (Map.Entry<String, String> e : expected.entrySet()) {
        String got = actual.get(e.getKey());
        if (got != null && !got.equals(e.getValue())) {
          JsonNode n = byKey.get(e.getKey());
          wrong.add(
              e.getKey()
                  + ": expected "
                  + e.getValue()
                  + ", got "
                  + got
                  + " ("
                  + (n.has("message") ? n.get("message").asText() : "")
                  + " "
                  + n.get("url")
                  + ")");
        }
      }
      for (String k : actual.keySet()) {
        if (!expected.containsKey(k)) {
          wrong.add(k + ": not in the input, got " + actual.get(k));
        }
      }
      return wrong;
    }
  }

  /** A {@code java -jar target/hose.jar detect} process. */
  static final class Hose {
    final String name;
    final Process process;
    final Path out;
    final Path stderr;

    private Hose(String name, Process process, Path out, Path stderr) {
      this.name = name;
      this.process = process;
      this.out = out;
      this.stderr = stderr;
    }

    static Hose start(Path dir, String name, Path input, Path scratch, List<String> extra)
        throws IOException {
      Map<String, String> options = new LinkedHashMap<>();
      for (String o :
          List.of(
              "--input=" + input,
              "--output=" + dir.resolve(name),
              "--scratchDir=" + scratch,
              "--detectors=motion",
              "--sampleFps=5",
              "--workingWidth=160",
              "--maxVideoBytes=" + CAP,
              "--scratchBudgetBytes=" + CAP,
              "--timeoutPerVideo=3s",
              "--connectTimeoutSeconds=2",
              "--readTimeoutSeconds=1",
              "--targetParallelism=4")) {
        options.put(o.substring(0, o.indexOf('=')), o);
      }
      for (String o : extra) {
        options.put(o.substring(0, o.indexOf('=')), o);
      }
      List<String> args = new ArrayList<>(List.of("detect"));
      args.addAll(options.values());
      List<String> cmd = HoseProcess.command(List.of("-Xmx512m"), args);
      Path stderr = dir.resolve(name + ".stderr");
      Process p =
          new ProcessBuilder(cmd)
              .redirectOutput(dir.resolve(name + ".stdout").toFile())
              .redirectError(stderr.toFile())
              .start();
      return new Hose(name, p, dir.resolve(name), stderr);
    }

    boolean alive() {
      return process.isAlive();
    }

    int await(long seconds) throws InterruptedException {
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        destroy();
        fail(name + " did not finish in " + seconds + " s\n" + stderrTail());
      }
      return process.exitValue();
    }

    /** {@code kill -9 PID}, as an OOM killer or a lost node would. */
    void sigkill() throws IOException, InterruptedException {
      Process kill = new ProcessBuilder("kill", "-9", String.valueOf(process.pid())).start();
      assertEquals(0, kill.waitFor());
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), name + " survived kill -9");
      assertEquals(137, process.exitValue(), name + " was not killed by SIGKILL");
    }

    void destroy() throws InterruptedException {
      if (process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }

    Output output() throws IOException {
      return Output.read(out);
    }

    String stderr() throws IOException {
      return Files.exists(stderr) ? Files.readString(stderr, StandardCharsets.UTF_8) : "";
    }

    String stderrTail() {
      List<String> lines;
      try {
        lines = stderr().lines().toList();
      } catch (IOException e) {
        return "(no stderr: " + e + ")";
      }
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }
  }

  /** A tmpfs mounted for one test; a test that cannot mount fails, it does not skip. */
  static final class Tmpfs implements AutoCloseable {
    private final Path dir;

    private Tmpfs(Path dir) {
      this.dir = dir;
    }

    static Tmpfs mount(Path dir, String size) throws IOException, InterruptedException {
      Files.createDirectories(dir);
      String out = exec("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString());
      if (out != null) {
        fail(
            "cannot mount a "
                + size
                + " tmpfs on "
                + dir
                + " (the disk-full faults need root and mount): "
                + out);
      }
      return new Tmpfs(dir);
    }

    @Override
    public void close() throws IOException, InterruptedException {
      String out = exec("umount", dir.toString());
      if (out != null && exec("umount", "-l", dir.toString()) != null) {
        throw new IOException("cannot unmount " + dir + ": " + out);
      }
    }

    /** Runs a command; null when it succeeded, else its output. */
    private static String exec(String... command) throws IOException, InterruptedException {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return String.join(" ", command) + " did not finish";
      }
      return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + out;
    }
  }
}
