package dev.hose.support;

import dev.hose.embedded.DemoData;
import java.sql.Connection;

/**
 * The type-fidelity tables: the demo's {@code type_zoo}, {@code orders} and {@code sales."Order
 * Items"} (no primary key), plus {@code fidelity} with arrays, domains and odd types.
 */
public final class FidelityTables {
  private FidelityTables() {}

  public static void create(TestServers servers) throws Exception {
    try (Connection c = servers.connect()) {
      DemoData.seed(c, 100);
    }
    servers.sql(
        "CREATE DOMAIN positive_int AS int CHECK (VALUE > 0)",
        "CREATE TABLE fidelity (id int PRIMARY KEY, dom positive_int, m money, c cidr,"
            + " mac macaddr, p point, bits bit varying(8), tsr tsrange, i8a bigint[],"
            + " na numeric[], ba2 boolean[][], tstza timestamptz[], da date[], ua uuid[],"
            + " ja json[], ea order_status[], t text, big text)",
        "INSERT INTO fidelity VALUES (1, 5, 12.34, '10.0.0.0/8', '08:00:2b:01:02:03', '(1.5,2)',"
            + " B'1011', '[2026-01-01,2026-02-01)', '{9223372036854775807,NULL}',"
            + " '{1.50,NaN,-0.001}', '{{t,f},{NULL,t}}', '{\"2026-11-24"
            + " 01:02:03.000001+00\",NULL}', '{2026-11-24,infinity}',"
            + " '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', ARRAY['{\"a\":\n"
            + "1}'::json, NULL], '{new,paid}', E'\\u2028 line sep, \\u0001 ctrl, \\\\ back, \"q\","
            + " tab\\t, cr\\r"
            + ", 日本語', repeat('x', 100000))",
        "INSERT INTO fidelity (id) VALUES (2)",
        "INSERT INTO fidelity (id, t, na, i8a) VALUES (3, '', '{}', '{{1,2},{3,4}}')");
  }
}
