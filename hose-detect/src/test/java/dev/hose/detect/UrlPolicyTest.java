package dev.hose.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hose.common.UserError;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class UrlPolicyTest {
  @Test
  void parsesBareUrlsAndJsonLines() throws Exception {
    VideoRef bare = UrlPolicy.parseLine("  https://example.com/a.mp4 ").orElseThrow();
    assertEquals("https://example.com/a.mp4", bare.url());
    assertEquals(UrlPolicy.idOf("https://example.com/a.mp4"), bare.id());
    assertEquals(16, bare.id().length());

    VideoRef json = UrlPolicy.parseLine("{\"id\": 7, \"url\": \"s3://b/k.mp4\"}").orElseThrow();
    assertEquals(new VideoRef("7", "s3://b/k.mp4"), json);
    assertEquals(Optional.empty(), UrlPolicy.parseLine("   "));
    assertEquals(Optional.empty(), UrlPolicy.parseLine("# comment"));
  }

  @Test
  void malformedLinesAreInvalidInput() {
    for (String line :
        new String[] {"not a url", "{\"url\": 3}", "{\"id\":\"x\"}", "{broken", "just-text"}) {
      VideoFailure e = assertThrows(VideoFailure.class, () -> UrlPolicy.parseLine(line), line);
      assertEquals(Reason.INVALID_INPUT, e.reason(), line);
    }
  }

  @Test
  void onlyAllowedSchemes() throws Exception {
    assertEquals("http", UrlPolicy.check("http://h/x", false, List.of()).getScheme());
    assertEquals("s3", UrlPolicy.check("s3://bucket/key.mp4", false, List.of()).getScheme());
    assertEquals(
        Reason.URL_NOT_ALLOWED,
        reason(() -> UrlPolicy.check("file:///etc/passwd", false, List.of())));
    assertEquals("file", UrlPolicy.check("file:///tmp/x.mp4", true, List.of()).getScheme());
    assertEquals(
        Reason.URL_NOT_ALLOWED, reason(() -> UrlPolicy.check("ftp://h/x.mp4", false, List.of())));
    assertEquals(
        Reason.URL_NOT_ALLOWED, reason(() -> UrlPolicy.check("jar:file:/x!/y", true, List.of())));
    assertEquals(
        Reason.INVALID_INPUT, reason(() -> UrlPolicy.check("s3://bucket", false, List.of())));
    assertEquals(
        Reason.INVALID_INPUT, reason(() -> UrlPolicy.check("http://bad host/", false, List.of())));
  }

  @Test
  void redirectsStayOnHttp() throws Exception {
    URI from = URI.create("http://h/a/b.mp4");
    assertEquals(URI.create("http://h/a/c.mp4"), UrlPolicy.checkRedirect(from, "c.mp4", List.of()));
    assertEquals(
        URI.create("https://o/x"), UrlPolicy.checkRedirect(from, "https://o/x", List.of()));
    assertEquals(
        Reason.URL_NOT_ALLOWED,
        reason(() -> UrlPolicy.checkRedirect(from, "file:///etc/passwd", List.of())));
    assertEquals(
        Reason.URL_NOT_ALLOWED, reason(() -> UrlPolicy.checkRedirect(from, "s3://b/k", List.of())));
  }

  @Test
  void allowedHostsApplyToUrlsAndRedirects() throws Exception {
    List<String> hosts =
        DetectConfig.parseHosts(" Media.Example.com, *.cdn.example.net,127.0.0.1 ");
    assertEquals(List.of("media.example.com", "*.cdn.example.net", "127.0.0.1"), hosts);
    assertEquals("http", UrlPolicy.check("http://MEDIA.example.com/x", false, hosts).getScheme());
    UrlPolicy.check("https://a.b.cdn.example.net/x", false, hosts);
    UrlPolicy.check("http://127.0.0.1:8080/x", false, hosts);
    assertEquals(
        Reason.URL_NOT_ALLOWED, reason(() -> UrlPolicy.check("http://localhost/x", false, hosts)));
    assertEquals(
        Reason.URL_NOT_ALLOWED,
        reason(() -> UrlPolicy.check("http://cdn.example.net.evil.org/x", false, hosts)));
    assertEquals(
        Reason.URL_NOT_ALLOWED,
        reason(() -> UrlPolicy.check("http://169.254.169.254/latest/meta-data/", false, hosts)));
    URI from = URI.create("http://127.0.0.1/a.mp4");
    assertEquals(
        URI.create("http://media.example.com/b"),
        UrlPolicy.checkRedirect(from, "http://media.example.com/b", hosts));
    assertEquals(
        Reason.URL_NOT_ALLOWED,
        reason(() -> UrlPolicy.checkRedirect(from, "http://169.254.169.254/", hosts)));
    UrlPolicy.check("http://anything.example.org/x", false, DetectConfig.parseHosts(""));
    assertThrows(UserError.class, () -> DetectConfig.parseHosts("http://h/"));
    assertThrows(UserError.class, () -> DetectConfig.parseHosts("h:80"));
  }

  @Test
  void durations() {
    assertEquals(Duration.ofSeconds(90), DetectConfig.parseDuration("90s"));
    assertEquals(Duration.ofMinutes(10), DetectConfig.parseDuration("10m"));
    assertEquals(Duration.ofHours(1), DetectConfig.parseDuration("1h"));
    assertEquals(Duration.ofMillis(250), DetectConfig.parseDuration("250ms"));
    assertEquals(Duration.ofSeconds(30), DetectConfig.parseDuration("30"));
    assertEquals(Duration.ofMinutes(5), DetectConfig.parseDuration("PT5M"));
    assertThrows(dev.hose.common.UserError.class, () -> DetectConfig.parseDuration("soon"));
    assertThrows(dev.hose.common.UserError.class, () -> DetectConfig.parseDuration("0s"));
  }

  private interface Call {
    void run() throws VideoFailure;
  }

  private static Reason reason(Call call) {
    return assertThrows(VideoFailure.class, call::run).reason();
  }
}
