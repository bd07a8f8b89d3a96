package dev.hose.detect;

import dev.hose.common.Errors;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;

/**
 * Opens the bytes behind a URL (http, https, s3 through Beam's file systems, file) and copies them
 * to a scratch file with a byte cap and the video's deadline.
 */
final class Fetcher {
  /** An open source of bytes; {@code length} is -1 when unknown. */
  interface Source extends AutoCloseable {
    long length();

    InputStream stream() throws IOException;

    @Override
    void close();
  }

  static final int MAX_REDIRECTS = 5;

  private final int connectTimeoutMillis;
  private final int readTimeoutMillis;
  private final boolean allowLocalFiles;
  private final List<String> allowedHosts;

  Fetcher(
      int connectTimeoutMillis,
      int readTimeoutMillis,
      boolean allowLocalFiles,
      List<String> allowedHosts) {
    this.connectTimeoutMillis = connectTimeoutMillis;
    this.readTimeoutMillis = readTimeoutMillis;
    this.allowLocalFiles = allowLocalFiles;
    this.allowedHosts = List.copyOf(allowedHosts);
  }

  /** Opens {@code url}; for http(s) this follows up to {@value #MAX_REDIRECTS} redirects. */
  Source open(String url, Deadline deadline) throws VideoFailure {
    URI uri = UrlPolicy.check(url, allowLocalFiles, allowedHosts);
    try {
      return switch (uri.getScheme().toLowerCase(java.util.Locale.ROOT)) {
        case "http", "https" -> openHttp(uri, deadline);
        case "s3" -> openBeam(uri.toString());
        case "file" -> openFile(Path.of(uri));
        default -> throw new VideoFailure(Reason.URL_NOT_ALLOWED, "unsupported scheme");
      };
    } catch (SocketTimeoutException e) {
      throw new VideoFailure(Reason.TIMEOUT, "timed out: " + e.getMessage(), e);
    } catch (FileNotFoundException | java.nio.file.NoSuchFileException e) {
      throw new VideoFailure(Reason.DOWNLOAD_FAILED, "not found", e);
    } catch (IOException | RuntimeException e) {
      throw new VideoFailure(Reason.DOWNLOAD_FAILED, describe(e), e);
    }
  }

  /**
   * Copies {@code source} into {@code file}, failing with {@link Reason#TOO_LARGE} as soon as more
   * than {@code maxBytes} arrive, and with {@link Reason#SCRATCH_FULL} when the scratch disk has no
   * room. Returns the bytes copied.
   */
  static long copy(Source source, Path file, long maxBytes, Deadline deadline)
      throws VideoFailure, InterruptedIOException {
    long total = 0;
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = source.stream();
        OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE)) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        total += n;
        if (total > maxBytes) {
          throw new VideoFailure(
              Reason.TOO_LARGE, "more than --maxVideoBytes=" + maxBytes + " bytes");
        }
        try {
          out.write(buffer, 0, n);
        } catch (InterruptedIOException | ClosedByInterruptException e) {
          throw e;
        } catch (IOException e) {
          throw writeFailure(e, total - n);
        }
        deadline.check();
        if (Thread.currentThread().isInterrupted()) {
          throw new InterruptedIOException("interrupted while downloading");
        }
      }
    } catch (SocketTimeoutException e) {
      throw new VideoFailure(Reason.TIMEOUT, "read timed out after " + total + " bytes", e);
    } catch (InterruptedIOException | ClosedByInterruptException e) {
      InterruptedIOException interrupted =
          new InterruptedIOException("interrupted while downloading");
      interrupted.initCause(e);
      throw interrupted;
    } catch (IOException e) {
      throw new VideoFailure(
          Reason.DOWNLOAD_FAILED, "download broke after " + total + " bytes: " + describe(e), e);
    }
    if (source.length() >= 0 && total != source.length()) {
      throw new VideoFailure(
          Reason.DOWNLOAD_FAILED, "got " + total + " of " + source.length() + " bytes");
    }
    return total;
  }

  /** A failed write to the scratch file: no room is {@link Reason#SCRATCH_FULL}. */
  static VideoFailure writeFailure(IOException e, long written) {
    if (Errors.isOutOfSpace(e)) {
      return new VideoFailure(
          Reason.SCRATCH_FULL,
          "scratch disk full after " + written + " bytes: " + Errors.spaceProblem(e),
          e);
    }
    return new VideoFailure(
        Reason.DOWNLOAD_FAILED,
        "writing the scratch file failed after " + written + " bytes: " + describe(e),
        e);
  }

  private Source openHttp(URI start, Deadline deadline) throws IOException, VideoFailure {
    URI current = start;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      deadline.check();
      HttpURLConnection c = connect(current, deadline);
      int code;
      try {
        code = c.getResponseCode();
      } catch (IOException e) {
        c.disconnect();
        throw e;
      }
      if (code >= 300 && code < 400 && code != 304) {
        String location = c.getHeaderField("Location");
        c.disconnect();
        if (location == null) {
          throw new VideoFailure(Reason.DOWNLOAD_FAILED, "HTTP " + code + " without Location");
        }
        current = UrlPolicy.checkRedirect(current, location, allowedHosts);
        continue;
      }
      if (code != 200) {
        c.disconnect();
        throw new VideoFailure(Reason.DOWNLOAD_FAILED, "HTTP " + code);
      }
      return httpSource(c);
    }
    throw new VideoFailure(
        Reason.DOWNLOAD_FAILED, "more than " + MAX_REDIRECTS + " redirects (a redirect loop?)");
  }

  /** A GET of {@code uri} that neither follows redirects nor outlives the deadline. */
  private HttpURLConnection connect(URI uri, Deadline deadline) throws IOException {
    HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection(Proxy.NO_PROXY);
    c.setInstanceFollowRedirects(false);
    c.setConnectTimeout(connectTimeoutMillis);
    c.setReadTimeout(
        (int) Math.max(1, Math.min(readTimeoutMillis, Math.max(1, deadline.remainingMillis()))));
    c.setRequestProperty("User-Agent", "hose-detect");
    c.setRequestProperty("Accept-Encoding", "identity");
    return c;
  }

  private static Source httpSource(HttpURLConnection c) {
    long length = c.getContentLengthLong();
    return new Source() {
      @Override
      public long length() {
        return length;
      }

      @Override
      public InputStream stream() throws IOException {
        return c.getInputStream();
      }

      @Override
      public void close() {
        c.disconnect();
      }
    };
  }

  private static Source openBeam(String spec) throws IOException {
    MatchResult.Metadata metadata = FileSystems.matchSingleFileSpec(spec);
    return new Source() {
      @Override
      public long length() {
        return metadata.sizeBytes();
      }

      @Override
      public InputStream stream() throws IOException {
        return Channels.newInputStream(FileSystems.open(metadata.resourceId()));
      }

      @Override
      public void close() {}
    };
  }

  private static Source openFile(Path path) throws IOException {
    long size = Files.size(path);
    return new Source() {
      @Override
      public long length() {
        return size;
      }

      @Override
      public InputStream stream() throws IOException {
        return Files.newInputStream(path);
      }

      @Override
      public void close() {}
    };
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
