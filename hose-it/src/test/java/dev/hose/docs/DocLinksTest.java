package dev.hose.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every relative link and image in README.md and docs/ resolves to a file of the checkout, read the
 * way a Markdown viewer reads it: relative to the file that holds it.
 */
class DocLinksTest {
  private static final Pattern LINK = Pattern.compile("!?\\[[^\\]]*\\]\\(([^)\\s]+)[^)]*\\)");

  @Test
  void everyRelativeLinkResolves() throws IOException {
    Path root = Path.of("").toAbsolutePath();
    List<Path> pages = new ArrayList<>(List.of(root.resolve("README.md")));
    try (Stream<Path> docs = Files.walk(root.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    List<String> broken = new ArrayList<>();
    for (Path page : pages) {
      Matcher m = LINK.matcher(Files.readString(page));
      while (m.find()) {
        String link = m.group(1);
        String path = link.contains("#") ? link.substring(0, link.indexOf('#')) : link;
        if (path.isEmpty() || link.matches("^[a-z][a-z0-9+.-]*:.*")) {
          continue; // an anchor on the page, or a URL
        }
        if (!Files.exists(page.getParent().resolve(path).normalize())) {
          broken.add(root.relativize(page) + ": " + link);
        }
      }
    }
    assertEquals(List.of(), broken, "links that lead nowhere");
  }
}
