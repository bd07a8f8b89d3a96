package dev.hose.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on loopback that can go silent the way a broken network does: it stops forwarding
 * bytes but closes nothing, so neither side sees a reset or an end of stream. Silence can hit one
 * connection (found by the port the server sees it from), every open connection, or new ones too.
 */
public final class SilentProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final InetSocketAddress upstream;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private volatile boolean newConnectionsSilent;

  /** One client connection and its connection to the upstream server. */
  private static final class Link {
    final Socket client;
    final Socket server;
    volatile boolean silent;

    Link(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }
  }

  private SilentProxy(InetSocketAddress upstream) throws IOException {
    this.upstream = upstream;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::acceptLoop, "silent-proxy-accept");
    accept.setDaemon(true);
    accept.start();
  }

  /** Starts a proxy to {@code host:port} on a free loopback port. */
  public static SilentProxy to(String host, int port) throws IOException {
    return new SilentProxy(new InetSocketAddress(host, port));
  }

  public int port() {
    return listener.getLocalPort();
  }

  /**
   * Silences the connection the upstream server sees coming from {@code serverSidePort} (e.g.
   * {@code client_port} in {@code pg_stat_activity}); returns whether it was found.
   */
  public boolean silence(int serverSidePort) {
    for (Link l : links) {
      if (l.server.getLocalPort() == serverSidePort) {
        l.silent = true;
        return true;
      }
    }
    return false;
  }

  /** Silences every open connection and every later one (they connect, then hear nothing). */
  public void silenceEverything() {
    newConnectionsSilent = true;
    links.forEach(l -> l.silent = true);
  }

  /** Connections opened so far that are still open. */
  public int openConnections() {
    return links.size();
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket();
        server.connect(upstream, 5_000);
        Link link = new Link(client, server);
        link.silent = newConnectionsSilent;
        links.add(link);
        pump(link, client, server, "up");
        pump(link, server, client, "down");
      } catch (IOException e) {
        // closed, or the upstream refused: the client sees its connection close
      }
    }
  }

  /** Copies bytes one way; once the link is silent, reads and drops them, as a lossy path does. */
  private void pump(Link link, Socket from, Socket to, String direction) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[16 * 1024];
              try (InputStream in = from.getInputStream()) {
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  if (!link.silent) {
                    out.write(buffer, 0, n);
                    out.flush();
                  }
                }
              } catch (IOException e) {
                // one side went away
              } finally {
                if (!link.silent) {
                  closeQuietly(link);
                }
              }
            },
            "silent-proxy-" + direction);
    t.setDaemon(true);
    t.start();
  }

  private void closeQuietly(Link link) {
    links.remove(link);
    try {
      link.client.close();
    } catch (IOException ignored) {
      // already closed
    }
    try {
      link.server.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  /** Closes the listener and every connection, silent or not. */
  @Override
  public void close() throws IOException {
    listener.close();
    for (Link l : links) {
      closeQuietly(l);
    }
  }
}
