package dev.hose.support.video;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A loopback HTTP server for detect tests, serving registered files with fault modes:
 *
 * <ul>
 *   <li>{@code /v/NAME}: the file, with Content-Length;
 *   <li>{@code /chunked/NAME}: the file, chunked (no Content-Length);
 *   <li>{@code /stall/NAME}: Content-Length and half the file, then silence until {@link #close};
 *   <li>{@code /status/CODE}: an empty response with that status;
 *   <li>{@code /loop}: a redirect to itself;
 *   <li>{@code /redirect?to=URL}: a redirect to URL.
 * </ul>
 */
public final class VideoHttpServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, Path> files = new ConcurrentHashMap<>();
  private final CountDownLatch closing = new CountDownLatch(1);

  private VideoHttpServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  public static VideoHttpServer start() throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    ExecutorService executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "video-http");
              t.setDaemon(true);
              return t;
            });
    VideoHttpServer s = new VideoHttpServer(server, executor);
    server.createContext("/", s::handle);
    server.setExecutor(executor);
    server.start();
    return s;
  }

  /** Serves {@code file} under {@code name}; returns the plain URL. */
  public String add(String name, Path file) {
    files.put(name, file);
    return url("/v/" + name);
  }

  public String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      String[] parts = path.split("/", 3);
      String mode = parts.length > 1 ? parts[1] : "";
      String arg = parts.length > 2 ? parts[2] : "";
      switch (mode) {
        case "v" -> serve(ex, arg, false, false);
        case "chunked" -> serve(ex, arg, true, false);
        case "stall" -> serve(ex, arg, false, true);
        case "status" -> {
          ex.sendResponseHeaders(Integer.parseInt(arg), -1);
        }
        case "loop" -> redirect(ex, "/loop");
        case "redirect" -> {
          String query = ex.getRequestURI().getRawQuery();
          redirect(ex, java.net.URLDecoder.decode(query.substring(3), "UTF-8"));
        }
        default -> ex.sendResponseHeaders(404, -1);
      }
    } catch (IOException e) {
      // The client went away (e.g. it refused a too-large body).
    }
  }

  private void serve(HttpExchange ex, String name, boolean chunked, boolean stall)
      throws IOException {
    Path file = files.get(name);
    if (file == null) {
      ex.sendResponseHeaders(404, -1);
      return;
    }
    byte[] body = Files.readAllBytes(file);
    ex.getResponseHeaders().set("Content-Type", "video/mp4");
    ex.sendResponseHeaders(200, chunked ? 0 : body.length);
    OutputStream out = ex.getResponseBody();
    if (stall) {
      out.write(body, 0, body.length / 2);
      out.flush();
      try {
        closing.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    out.write(body);
    out.close();
  }

  private static void redirect(HttpExchange ex, String location) throws IOException {
    ex.getResponseHeaders().set("Location", location);
    ex.sendResponseHeaders(302, -1);
  }

  @Override
  public void close() {
    closing.countDown();
    server.stop(0);
    executor.shutdownNow();
  }
}
