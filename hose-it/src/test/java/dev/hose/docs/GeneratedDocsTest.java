package dev.hose.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hose.archive.ArchiveOptions;
import dev.hose.common.OptionsHelp;
import dev.hose.detect.DetectOptions;
import dev.hose.restore.RestoreOptions;
import dev.hose.restore.VerifyOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptions;
import org.junit.jupiter.api.Test;

/**
 * The option tables in the docs are generated from the options interfaces, between {@code <!--
 * options:NAME -->} and {@code <!-- /options:NAME -->}. This test fails when one is stale; {@code
 * mvn -q test -Dtest=GeneratedDocsTest -Dhose.docs.write=true} rewrites them.
 */
class GeneratedDocsTest {
  static final Map<String, Class<? extends PipelineOptions>> TABLES =
      Map.of(
          "archive", ArchiveOptions.class,
          "detect", DetectOptions.class,
          "verify", VerifyOptions.class,
          "restore", RestoreOptions.class,
          "schema", dev.hose.schema.SchemaOptions.class);

  static final Pattern BLOCK =
      Pattern.compile("(<!-- options:(\\w+) -->\\n)(.*?)(<!-- /options:\\2 -->)", Pattern.DOTALL);

  @Test
  void optionTablesMatchTheOptionsInterfaces() throws IOException {
    for (Path doc : docs()) {
      String text = Files.readString(doc, StandardCharsets.UTF_8);
      String generated = regenerate(text);
      if (Boolean.getBoolean("hose.docs.write")) {
        Files.writeString(doc, generated, StandardCharsets.UTF_8);
      } else {
        assertEquals(
            generated,
            text,
            doc
                + " has a stale option table: run mvn -q test -Dtest=GeneratedDocsTest"
                + " -Dhose.docs.write=true");
      }
    }
  }

  /** README.md and every Markdown file under docs/. */
  static List<Path> docs() throws IOException {
    List<Path> docs = new ArrayList<>(List.of(Path.of("README.md")));
    try (Stream<Path> files = Files.walk(Path.of("docs"))) {
      files.filter(f -> f.toString().endsWith(".md")).sorted().forEach(docs::add);
    }
    return docs;
  }

  static String regenerate(String text) {
    Matcher m = BLOCK.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      Class<? extends PipelineOptions> type = TABLES.get(m.group(2));
      if (type == null) {
        throw new IllegalStateException("no options interface for table " + m.group(2));
      }
      String table =
          "<!-- Generated from "
              + type.getSimpleName()
              + " (@Description, @Default): do not edit; see GeneratedDocsTest. -->\n"
              + OptionsHelp.markdown(type);
      m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + table + m.group(4)));
    }
    m.appendTail(out);
    return out.toString();
  }
}
