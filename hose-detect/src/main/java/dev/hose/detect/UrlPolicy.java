package dev.hose.detect;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Parses lines of the URL list and decides which URLs may be fetched. Pure functions. */
public final class UrlPolicy {
  private UrlPolicy() {}

  /**
   * The video named by one line: a bare URL, or a JSON object with {@code url} and optional {@code
   * id}. Blank lines and lines starting with {@code #} are empty.
   */
  public static Optional<VideoRef> parseLine(String line) throws VideoFailure {
    String s = line.strip();
    if (s.isEmpty() || s.startsWith("#")) {
      return Optional.empty();
    }
    if (s.startsWith("{")) {
      JsonNode node;
      try {
        node = Json.read(s);
      } catch (Exception e) {
        throw new VideoFailure(Reason.INVALID_INPUT, "not valid JSON");
      }
      JsonNode url = node.get("url");
      if (url == null || !url.isTextual() || url.asText().isBlank()) {
        throw new VideoFailure(Reason.INVALID_INPUT, "JSON line has no \"url\" string");
      }
      JsonNode id = node.get("id");
      String u = url.asText().strip();
      String idText = id == null || id.isNull() ? idOf(u) : id.asText();
      return Optional.of(new VideoRef(idText, u));
    }
    if (s.chars().anyMatch(Character::isWhitespace) || !s.contains("://")) {
      throw new VideoFailure(Reason.INVALID_INPUT, "not a URL");
    }
    return Optional.of(new VideoRef(idOf(s), s));
  }

  /**
   * The URI of {@code url} if its scheme may be fetched and, for http(s), its host is one of {@code
   * allowedHosts} (any host when empty); a {@link VideoFailure} otherwise.
   */
  public static URI check(String url, boolean allowLocalFiles, List<String> allowedHosts)
      throws VideoFailure {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new VideoFailure(Reason.INVALID_INPUT, "not a valid URL: " + e.getReason());
    }
    String scheme = schemeOf(uri);
    switch (scheme) {
      case "http", "https" -> {
        if (uri.getHost() == null) {
          throw new VideoFailure(Reason.INVALID_INPUT, "URL has no host");
        }
        checkHost(uri, allowedHosts, "host");
      }
      case "s3" -> {
        if (uri.getHost() == null || uri.getPath() == null || uri.getPath().length() <= 1) {
          throw new VideoFailure(Reason.INVALID_INPUT, "s3 URL needs a bucket and a key");
        }
      }
      case "file" -> {
        if (!allowLocalFiles) {
          throw new VideoFailure(Reason.URL_NOT_ALLOWED, "file:// URLs need --allowLocalFiles");
        }
      }
      default ->
          throw new VideoFailure(
              Reason.URL_NOT_ALLOWED, "scheme '" + scheme + "' is not allowed (http, https, s3)");
    }
    return uri;
  }

  private static String schemeOf(URI uri) {
    return uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
  }

  /** Where an HTTP redirect may lead: http and https only, to one of {@code allowedHosts}. */
  public static URI checkRedirect(URI from, String location, List<String> allowedHosts)
      throws VideoFailure {
    URI to;
    try {
      to = from.resolve(new URI(location.strip()));
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new VideoFailure(Reason.DOWNLOAD_FAILED, "redirect to an invalid URL");
    }
    String scheme = schemeOf(to);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new VideoFailure(
          Reason.URL_NOT_ALLOWED, "redirect to scheme '" + scheme + "' is not allowed");
    }
    if (to.getHost() == null) {
      throw new VideoFailure(Reason.DOWNLOAD_FAILED, "redirect to a URL without a host");
    }
    checkHost(to, allowedHosts, "redirect to host");
    return to;
  }

  /**
   * Whether {@code host} matches one of {@code patterns}: a host name or address, or {@code
   * *.example.com} for its subdomains. No patterns allow every host.
   */
  public static boolean hostAllowed(String host, List<String> patterns) {
    if (patterns.isEmpty()) {
      return true;
    }
    String h = host.toLowerCase(Locale.ROOT);
    for (String p : patterns) {
      String pattern = p.toLowerCase(Locale.ROOT);
      if (pattern.startsWith("*.") ? h.endsWith(pattern.substring(1)) : h.equals(pattern)) {
        return true;
      }
    }
    return false;
  }

  private static void checkHost(URI uri, List<String> allowedHosts, String what)
      throws VideoFailure {
    if (!hostAllowed(uri.getHost(), allowedHosts)) {
      throw new VideoFailure(
          Reason.URL_NOT_ALLOWED, what + " '" + uri.getHost() + "' is not in --allowedHosts");
    }
  }

  /** A stable id for a URL without one: the first 16 hex digits of its SHA-256. */
  public static String idOf(String url) {
    return sha256(url).substring(0, 16);
  }

  static String sha256(String s) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
