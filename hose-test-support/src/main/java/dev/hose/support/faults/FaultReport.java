package dev.hose.support.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Prints the fault report: one row per {@link Fault} test with its runs, how many survived, the
 * data lost and the leftovers, and writes it as Markdown to {@code target/faults/report.md}. {@code
 * mvn verify -Pfaults} runs it after the integration tests, pass or fail.
 */
public final class FaultReport {
  private FaultReport() {}

  public static void main(String[] args) throws IOException {
    Path results = args.length > 0 ? Path.of(args[0]) : FaultLog.RESULTS;
    String table = render(read(results));
    Path out = results.resolveSibling("report.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, table);
    System.out.println();
    System.out.println("Fault report (" + out + "):");
    System.out.print(table);
    if (args.length > 1) {
      publish(Path.of(args[1]), table);
    }
  }

  /**
   * Replaces the table between {@code <!-- faults:begin -->} and {@code <!-- faults:end -->} in a
   * Markdown file (docs/faults.md), so the published report is generated, never hand-copied.
   */
  static void publish(Path markdown, String table) throws IOException {
    String begin = "<!-- faults:begin -->\n";
    String end = "<!-- faults:end -->";
    String text = Files.readString(markdown);
    int from = text.indexOf(begin);
    int to = text.indexOf(end);
    if (from < 0 || to < from) {
      throw new IOException(markdown + " has no " + begin.strip() + " … " + end + " block");
    }
    Files.writeString(
        markdown, text.substring(0, from + begin.length()) + table + text.substring(to));
    System.out.println("published to " + markdown);
  }

  record Row(
      String job,
      String fault,
      int runs,
      int survived,
      long rows,
      long bytes,
      String leftovers,
      String outcome) {}

  static List<Row> read(Path dir) throws IOException {
    List<Row> rows = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return rows;
    }
    ObjectMapper json = new ObjectMapper();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        JsonNode n = json.readTree(f.toFile());
        int runs = 0;
        int survived = 0;
        long lostRows = 0;
        long lostBytes = 0;
        Set<String> leftovers = new LinkedHashSet<>();
        Set<String> outcomes = new LinkedHashSet<>();
        for (JsonNode r : n.get("runs")) {
          runs++;
          survived += r.get("survived").asBoolean() ? 1 : 0;
          lostRows += r.get("rowsLost").asLong();
          lostBytes += r.get("bytesLost").asLong();
          r.get("leftovers").forEach(l -> leftovers.add(l.asText()));
          outcomes.add(r.get("outcome").asText());
        }
        rows.add(
            new Row(
                n.get("job").asText(),
                n.get("fault").asText(),
                runs,
                survived,
                lostRows,
                lostBytes,
                leftovers.isEmpty() ? "none" : String.join("; ", leftovers),
                String.join("; ", outcomes)));
      }
    }
    rows.sort(Comparator.comparing(Row::job).thenComparing(Row::fault));
    return rows;
  }

  static String render(List<Row> rows) {
    StringBuilder b = new StringBuilder();
    b.append(
        "| job | fault | runs | survived | data lost (rows / bytes) | leftovers | what happened |\n");
    b.append("|---|---|---:|---:|---|---|---|\n");
    int runs = 0;
    int survived = 0;
    for (Row r : rows) {
      runs += r.runs;
      survived += r.survived;
      b.append("| ")
          .append(r.job)
          .append(" | ")
          .append(cell(r.fault))
          .append(" | ")
          .append(r.runs)
          .append(" | ")
          .append(r.survived)
          .append(r.survived == r.runs ? "" : " ✗")
          .append(" | ")
          .append(r.rows)
          .append(" / ")
          .append(r.bytes)
          .append(" | ")
          .append(cell(r.leftovers))
          .append(" | ")
          .append(cell(r.outcome))
          .append(" |\n");
    }
    b.append("\n")
        .append(rows.size())
        .append(" faults, ")
        .append(runs)
        .append(" runs, ")
        .append(survived)
        .append(" survived")
        .append(rows.isEmpty() ? " (no fault results: run `mvn verify -Pfaults`)" : "")
        .append(".\n");
    return b.toString();
  }

  private static String cell(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }
}
