package dev.hose.support.video;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback HTTP/1.1 server on raw sockets that serves one clip under any number of URLs and
 * injects faults at the socket level, which {@code com.sun.net.httpserver} cannot (a TCP reset, a
 * body shorter than its Content-Length). Every response closes its connection. The first path
 * segment picks the mode; the rest only makes the URL unique:
 *
 * <ul>
 *   <li>{@code /ok/…}: the clip, with Content-Length;
 *   <li>{@code /status/CODE/…}: an empty response with that status;
 *   <li>{@code /stall/…}: Content-Length and half the clip, then silence until the client leaves;
 *   <li>{@code /drip/…}: Content-Length, then one byte every 100 ms: never silent long enough for a
 *       read timeout, never done in time;
 *   <li>{@code /reset/…}: Content-Length and half the clip, then a TCP reset;
 *   <li>{@code /short/…}: Content-Length and half the clip, then a clean close;
 *   <li>{@code /truncated/…}, {@code /garbage/…}: the files given to the constructor, whole;
 *   <li>{@code /sized/BYTES/…}: Content-Length BYTES and that many zero bytes;
 *   <li>{@code /chunked/BYTES/…}: BYTES zero bytes, chunked (no Content-Length);
 *   <li>{@code /redirect/…?to=URL}: a 302 to URL; {@code /loop/…}: a 302 to itself;
 *   <li>{@code /hold/KEY/…}: the first request for KEY sends half the clip and waits for {@link
 *       #release}; later requests get the clip.
 * </ul>
 */
public final class FaultyVideoServer implements AutoCloseable {
  private final ServerSocket socket;
  private final ExecutorService executor = Executors.newCachedThreadPool(daemon());
  private final byte[] clip;
  private final byte[] truncated;
  private final byte[] garbage;
  private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> holdRequests = new ConcurrentHashMap<>();
  private final Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();
  private final Map<String, CountDownLatch> held = new ConcurrentHashMap<>();
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  public FaultyVideoServer(byte[] clip, byte[] truncated, byte[] garbage) throws IOException {
    this.clip = clip;
    this.truncated = truncated;
    this.garbage = garbage;
    this.socket = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    executor.execute(this::accept);
  }

  public int port() {
    return socket.getLocalPort();
  }

  /** {@code http://127.0.0.1:PORT} + {@code path}. */
  public String url(String path) {
    return "http://127.0.0.1:" + port() + path;
  }

  public byte[] clip() {
    return clip;
  }

  /** How many requests came for {@code path} (the path as sent, query excluded). */
  public long requests(String path) {
    AtomicLong n = requests.get(path);
    return n == null ? 0 : n.get();
  }

  public long totalRequests() {
    return requests.values().stream().mapToLong(AtomicLong::get).sum();
  }

  /** Waits until the first {@code /hold/KEY/} request has sent its first half. */
  public boolean awaitHeld(String key, long timeout, TimeUnit unit) throws InterruptedException {
    return held.computeIfAbsent(key, k -> new CountDownLatch(1)).await(timeout, unit);
  }

  /** Lets the held request for {@code key} send the rest of the clip. */
  public void release(String key) {
    holds.computeIfAbsent(key, k -> new CountDownLatch(1)).countDown();
  }

  private void accept() {
    while (!closed) {
      try {
        Socket s = socket.accept();
        open.add(s);
        executor.execute(() -> handle(s));
      } catch (IOException e) {
        if (!closed) {
          throw new IllegalStateException(e);
        }
      }
    }
  }

  private void handle(Socket s) {
    try (s) {
      s.setSoTimeout(30_000);
      String target = readTarget(s);
      if (target == null) {
        return;
      }
      int q = target.indexOf('?');
      String path = q < 0 ? target : target.substring(0, q);
      String query = q < 0 ? "" : target.substring(q + 1);
      requests.computeIfAbsent(path, p -> new AtomicLong()).incrementAndGet();
      String[] parts = path.split("/");
      String mode = parts.length > 1 ? parts[1] : "";
      serve(s, s.getOutputStream(), mode, parts, path, query);
    } catch (SocketException e) {
      // the client went away: a refused body, a timeout, a killed worker
    } catch (IOException | RuntimeException e) {
      // a malformed request or a broken connection: nothing to serve
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      open.remove(s);
    }
  }

  /** The request line's target, the headers read past; null when the client sent nothing. */
  private static String readTarget(Socket s) throws IOException {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
    String request = in.readLine();
    if (request == null) {
      return null;
    }
    for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
      // headers are not needed
    }
    return request.split(" ")[1];
  }

  private void serve(
      Socket s, OutputStream out, String mode, String[] parts, String path, String query)
      throws IOException, InterruptedException {
    switch (mode) {
      case "ok" -> body(out, clip);
      case "truncated" -> body(out, truncated);
      case "garbage" -> body(out, garbage);
      case "status" -> head(out, Integer.parseInt(parts[2]), "Content-Length: 0");
      case "stall" -> {
        half(out, clip);
        waitForClient(s);
      }
      case "drip" -> {
        head(out, 200, "Content-Length: " + clip.length);
        for (int i = 0; i < clip.length && !closed; i++) {
          out.write(clip[i]);
          out.flush();
          Thread.sleep(100);
        }
      }
      case "reset" -> {
        half(out, clip);
        s.setSoLinger(true, 0);
      }
      case "short" -> half(out, clip);
      case "sized" -> zeros(out, Long.parseLong(parts[2]), false);
      case "chunked" -> zeros(out, Long.parseLong(parts[2]), true);
      case "redirect" ->
          head(
              out,
              302,
              "Location: " + URLDecoder.decode(query.substring(3), StandardCharsets.UTF_8),
              "Content-Length: 0");
      case "loop" -> head(out, 302, "Location: " + path, "Content-Length: 0");
      case "hold" -> hold(out, parts.length > 2 ? parts[2] : "");
      default -> head(out, 404, "Content-Length: 0");
    }
  }

  /** The first request for {@code key} gets half the clip, the rest once the test releases it. */
  private void hold(OutputStream out, String key) throws IOException, InterruptedException {
    if (holdRequests.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet() > 1) {
      body(out, clip);
      return;
    }
    half(out, clip);
    held.computeIfAbsent(key, k -> new CountDownLatch(1)).countDown();
    holds.computeIfAbsent(key, k -> new CountDownLatch(1)).await();
    out.write(clip, clip.length / 2, clip.length - clip.length / 2);
    out.flush();
  }

  private static void head(OutputStream out, int status, String... headers) throws IOException {
    StringBuilder b = new StringBuilder("HTTP/1.1 ").append(status).append(" X\r\n");
    for (String h : headers) {
      b.append(h).append("\r\n");
    }
    b.append("Connection: close\r\n\r\n");
    out.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  private static void body(OutputStream out, byte[] bytes) throws IOException {
    head(out, 200, "Content-Type: video/mp4", "Content-Length: " + bytes.length);
    out.write(bytes);
    out.flush();
  }

  private static void half(OutputStream out, byte[] bytes) throws IOException {
    head(out, 200, "Content-Type: video/mp4", "Content-Length: " + bytes.length);
    out.write(bytes, 0, bytes.length / 2);
    out.flush();
  }

  private void zeros(OutputStream out, long n, boolean chunked) throws IOException {
    head(
        out,
        200,
        "Content-Type: video/mp4",
        chunked ? "Transfer-Encoding: chunked" : "Content-Length: " + n);
    byte[] block = new byte[64 * 1024];
    for (long left = n; left > 0 && !closed; ) {
      int k = (int) Math.min(block.length, left);
      if (chunked) {
        out.write((Integer.toHexString(k) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      }
      out.write(block, 0, k);
      if (chunked) {
        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
      }
      left -= k;
    }
    if (chunked) {
      out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
    out.flush();
  }

  /** Blocks until the client closes the connection (or the server closes). */
  private void waitForClient(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    s.setSoTimeout(500);
    while (!closed) {
      try {
        if (in.read() < 0) {
          return;
        }
      } catch (java.net.SocketTimeoutException e) {
        // still there
      }
    }
  }

  private static java.util.concurrent.ThreadFactory daemon() {
    return r -> {
      Thread t = new Thread(r, "faulty-video-http");
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() throws IOException {
    closed = true;
    holds.values().forEach(CountDownLatch::countDown);
    socket.close();
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    executor.shutdownNow();
    try {
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
