package dev.hose.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy on loopback in front of an S3 API server that answers some requests itself, the way
 * S3 does under load: {@code 503 SlowDown}, {@code 500 InternalError}, or the real answer late.
 * Requests pass through byte for byte (Host included, so signatures stay valid); each forwarded
 * request gets its own upstream connection, closed after the answer.
 */
public final class FaultyS3Proxy implements AutoCloseable {
  /** What the proxy does with one request. */
  public enum Action {
    FORWARD,
    SLOW_DOWN_503,
    INTERNAL_ERROR_500,
    LATE
  }

  /** Decides a request's fate from its method and target (path and query). */
  @FunctionalInterface
  public interface Rule {
    Action decide(String method, String target);
  }

  private final ServerSocket listener;
  private final InetSocketAddress upstream;
  private volatile Rule rule = (m, t) -> Action.FORWARD;
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicInteger late = new AtomicInteger();
  private final AtomicInteger forwarded = new AtomicInteger();
  private final int lateMillis;

  private FaultyS3Proxy(InetSocketAddress upstream, int lateMillis) throws IOException {
    this.upstream = upstream;
    this.lateMillis = lateMillis;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::acceptLoop, "faulty-s3-accept");
    accept.setDaemon(true);
    accept.start();
  }

  /** A proxy to the S3 server on loopback {@code port}; {@link Action#LATE} waits this long. */
  public static FaultyS3Proxy to(int port, int lateMillis) throws IOException {
    return new FaultyS3Proxy(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), port), lateMillis);
  }

  public String endpoint() {
    return "http://127.0.0.1:" + listener.getLocalPort();
  }

  public void rule(Rule rule) {
    this.rule = rule;
  }

  /** Requests answered with an error by the proxy itself. */
  public int failed() {
    return failed.get();
  }

  /** Requests forwarded late. */
  public int late() {
    return late.get();
  }

  public int forwarded() {
    return forwarded.get();
  }

  /** Whether a request is a multipart upload's part: {@code PUT …?partNumber=N&uploadId=…}. */
  public static boolean isPartUpload(String method, String target) {
    return method.equals("PUT") && target.contains("partNumber=");
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Thread t = new Thread(() -> serve(client), "faulty-s3");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        // closed
      }
    }
  }

  private void serve(Socket client) {
    try (client) {
      InputStream in = new BufferedInputStream(client.getInputStream());
      String head = readHead(in);
      if (head == null) {
        return;
      }
      String[] requestLine = head.substring(0, head.indexOf("\r\n")).split(" ");
      Action action = rule.decide(requestLine[0], requestLine[1]);
      switch (action) {
        case SLOW_DOWN_503 ->
            fail(client, 503, "Slow Down", "SlowDown", "Please reduce your request rate.");
        case INTERNAL_ERROR_500 ->
            fail(
                client,
                500,
                "Internal Server Error",
                "InternalError",
                "We encountered an internal error. Please try again.");
        case LATE -> {
          late.incrementAndGet();
          Thread.sleep(lateMillis);
          forward(client, in, head);
        }
        case FORWARD -> forward(client, in, head);
      }
    } catch (IOException e) {
      // a side went away
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Answers with an S3 error document and closes: the request body (if the client sends it rather
   * than waiting for {@code 100 Continue}) is never read, as a server that refuses early does.
   */
  private void fail(Socket client, int status, String reason, String code, String message)
      throws IOException {
    failed.incrementAndGet();
    byte[] body =
        ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                + code
                + "</Code><Message>"
                + message
                + "</Message><RequestId>hose-fault-"
                + failed.get()
                + "</RequestId></Error>")
            .getBytes(StandardCharsets.UTF_8);
    OutputStream out = client.getOutputStream();
    out.write(
        ("HTTP/1.1 "
                + status
                + " "
                + reason
                + "\r\nContent-Type: application/xml\r\nContent-Length: "
                + body.length
                + "\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
    client.shutdownOutput();
  }

  /**
   * Sends the request upstream with {@code Connection: close} (unsigned), relays the rest of the
   * request and the whole answer, then closes both: one request per connection keeps every request
   * visible to the rule.
   */
  private void forward(Socket client, InputStream in, String head) throws IOException {
    forwarded.incrementAndGet();
    try (Socket server = new Socket()) {
      server.connect(upstream, 5_000);
      OutputStream up = server.getOutputStream();
      up.write(withConnectionClose(head).getBytes(StandardCharsets.ISO_8859_1));
      up.flush();
      Thread body =
          new Thread(
              () -> {
                try {
                  in.transferTo(up);
                } catch (IOException e) {
                  // the server closed after its answer
                }
              },
              "faulty-s3-body");
      body.setDaemon(true);
      body.start();
      server.getInputStream().transferTo(client.getOutputStream());
      client.getOutputStream().flush();
    }
  }

  private static String withConnectionClose(String head) {
    StringBuilder out = new StringBuilder();
    for (String line : head.split("\r\n")) {
      if (line.isEmpty()) {
        continue;
      }
      if (!line.toLowerCase(Locale.ROOT).startsWith("connection:")) {
        out.append(line).append("\r\n");
      }
    }
    return out.append("Connection: close\r\n\r\n").toString();
  }

  /** The request line and headers up to the blank line, or null at end of stream. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    int b;
    while ((b = in.read()) >= 0) {
      head.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
      if (matched == 4) {
        return head.toString(StandardCharsets.ISO_8859_1);
      }
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
