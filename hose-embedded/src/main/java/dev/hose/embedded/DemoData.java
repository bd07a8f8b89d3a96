package dev.hose.embedded;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Sample tables for the demo and the sandbox: a keyed fact table with rows over the last week, a
 * table with no primary key and an awkward name, and one row of every interesting type.
 */
public final class DemoData {
  private DemoData() {}

  /** Creates (or recreates) the sample tables with {@code orders} rows in public.orders. */
  public static void seed(Connection c, long orders) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS sales CASCADE");
      s.execute("DROP TABLE IF EXISTS public.orders, public.type_zoo");
      s.execute("DROP TYPE IF EXISTS order_status");
      s.execute("CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'returned')");
      s.execute(
          "CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id int NOT NULL,"
              + " placed_at timestamptz NOT NULL, amount numeric(12,2), status order_status,"
              + " tags text[], attrs jsonb, note text)");
      s.execute(
          "INSERT INTO public.orders SELECT g, (g * 7919) % 5000,"
              + " date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
              + "   - interval '7 days' + (g % 7) * interval '1 day' + (g % 86400) * interval '1 second',"
              + " round((g % 100000) / 7.0, 2),"
              + " (ARRAY['new','paid','shipped','returned'])[1 + g % 4]::order_status,"
              + " ARRAY['t' || (g % 10), CASE WHEN g % 3 = 0 THEN NULL ELSE 'x' END],"
              + " jsonb_build_object('channel', CASE WHEN g % 2 = 0 THEN 'web' ELSE 'store' END,"
              + "   'items', g % 9),"
              + " CASE WHEN g % 11 = 0 THEN NULL ELSE 'order \"' || g || E'\"\\nline two' END"
              + " FROM generate_series(1, "
              + orders
              + ") g");
      seedOrderItems(s, orders);
      seedTypeZoo(s);
      s.execute("ANALYZE");
    }
  }

  /** sales."Order Items": quoted names, about half as many rows as orders. */
  private static void seedOrderItems(Statement s, long orders) throws SQLException {
    s.execute("CREATE SCHEMA sales");
    s.execute(
        "CREATE TABLE sales.\"Order Items\" (\"Order Id\" bigint, sku text, \"Qty\" int,"
            + " unit_price numeric)");
    s.execute(
        "INSERT INTO sales.\"Order Items\" SELECT g / 3, 'SKU-' || (g % 997), 1 + g % 5,"
            + " (g % 1000) / 10.0 FROM generate_series(1, "
            + Math.max(3, orders / 2)
            + ") g");
  }

  /** public.type_zoo: one column of each type hose must carry exactly, with their edge values. */
  private static void seedTypeZoo(Statement s) throws SQLException {
    s.execute(
        "CREATE TABLE public.type_zoo (id int PRIMARY KEY, i2 smallint, i8 bigint, f4 real,"
            + " f8 double precision, n numeric, b boolean, t text, vc varchar(20), ch char(3),"
            + " d date, ts timestamp, tstz timestamptz, tm time, tmtz timetz, iv interval,"
            + " j json, jb jsonb, ba bytea, u uuid, ip inet, st order_status,"
            + " ia int[], ta text[], m2 int[][], tsa timestamptz[], ja jsonb[], ba_arr bytea[])");
    s.execute(
        "INSERT INTO public.type_zoo VALUES (1, -32768, 9223372036854775807, 1.5, 0.1,"
            + " 123456789012345678901234567890.123456789, true,"
            + " E'quote \" backslash \\\\ newline \\n tab \\t bell \\x07 é 😀', 'varchar', 'ab',"
            + " '2026-11-24', '2026-11-24 01:02:03.123456', '2026-11-24 01:02:03.5+05:30',"
            + " '13:14:15.000001', '13:14:15+02', '1 year 2 mons 3 days 04:05:06.7',"
            + " '{\"a\": [1, 2,\n 3], \"b\": null}', '{\"k\": \"v\", \"n\": 1.50}', '\\x00ff10',"
            + " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24', 'paid',"
            + " '{1,NULL,3}', '{\"a,b\",NULL,\"NULL\",\"\\\\\\\"q\\\\\\\"\"}', '{{1,2},{3,4}}',"
            + " '{\"2026-01-01 00:00:00+00\"}', ARRAY['{\"x\": 1}'::jsonb], ARRAY['\\x01'::bytea])");
    s.execute(
        "INSERT INTO public.type_zoo (id, f4, f8, n, d, ts, tstz) VALUES"
            + " (2, 'NaN', '-Infinity', 'NaN', 'infinity', '-infinity', 'infinity'),"
            + " (3, '1e-30', '1e300', '-0.000001', '0044-03-15 BC', '1999-12-31 23:59:59',"
            + " '2000-01-01 00:00:00+00')");
    s.execute("INSERT INTO public.type_zoo (id) VALUES (4)");
  }
}
