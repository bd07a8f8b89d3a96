package dev.hose.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hose.support.ArchiveRun;
import dev.hose.support.FidelityTables;
import dev.hose.support.TestServers;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every value hose writes equals what PostgreSQL's own row_to_json gives for the same row (with
 * TimeZone UTC), but for the documented difference: bytea is base64 instead of hex.
 */
class ArchiveTypeFidelityIT {
  private static final ObjectMapper EXACT =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  @TempDir static Path dir;
  static TestServers servers;

  @BeforeAll
  static void start() throws Exception {
    servers = TestServers.start(dir);
    FidelityTables.create(servers);
  }

  @AfterAll
  static void stop() throws Exception {
    servers.close();
  }

  @Test
  void typeZooMatchesRowToJson() throws Exception {
    compare("public.type_zoo");
  }

  @Test
  void arraysDomainsAndOddTypesMatchRowToJson() throws Exception {
    compare("public.fidelity");
  }

  @Test
  void keyedTableWithEnumsArraysAndJsonbMatchesRowToJson() throws Exception {
    compare("public.orders");
  }

  private void compare(String table) throws Exception {
    Path out = dir.resolve("out-" + table);
    ArchiveRun.archive(servers, "--tables=" + table, "--output=" + out, "--maxRowsPerBundle=40");
    List<JsonNode> ours = ArchiveRun.rows(out.resolve(table));
    Map<Integer, JsonNode> expected = rowToJson(table);
    assertEquals(expected.size(), ours.size());
    JsonNode columns = ArchiveRun.manifest(out.resolve(table)).get("columns");
    for (JsonNode row : ours) {
      JsonNode exact = row;
      JsonNode want = expected.get(row.get("id").asInt());
      List<String> ourKeys = fieldNames(exact);
      assertEquals(fieldNames(want), ourKeys, "keys in table order");
      for (int i = 0; i < ourKeys.size(); i++) {
        String key = ourKeys.get(i);
        String type = columns.get(i).get("type").asText();
        JsonNode expectedValue = want.get(key);
        if (type.startsWith("bytea")) {
          expectedValue = base64OfHex(expectedValue);
        }
        assertEquals(expectedValue, exact.get(key), table + " row " + row.get("id") + " " + key);
      }
    }
  }

  private Map<Integer, JsonNode> rowToJson(String table) throws Exception {
    Map<Integer, JsonNode> rows = new HashMap<>();
    TableRef ref = TableRef.parse(table);
    try (Connection c = servers.connect();
        Statement s = c.createStatement()) {
      s.execute("SET TimeZone = 'UTC'");
      try (ResultSet rs =
          s.executeQuery("SELECT id, row_to_json(r)::text FROM " + ref.quoted() + " r")) {
        while (rs.next()) {
          rows.put(rs.getInt(1), EXACT.readTree(rs.getString(2)));
        }
      }
    }
    assertTrue(!rows.isEmpty());
    return rows;
  }

  /** row_to_json writes bytea as "\\x0a0b" (and arrays of them likewise); hose writes base64. */
  private static JsonNode base64OfHex(JsonNode v) {
    if (v.isTextual()) {
      String hex = v.asText();
      return EXACT
          .getNodeFactory()
          .textNode(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex.substring(2))));
    }
    if (v.isArray()) {
      var a = EXACT.getNodeFactory().arrayNode();
      v.forEach(e -> a.add(base64OfHex(e)));
      return a;
    }
    return v;
  }

  private static List<String> fieldNames(JsonNode n) {
    List<String> names = new java.util.ArrayList<>();
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    return names;
  }
}
