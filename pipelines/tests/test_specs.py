"""Spec rules without Airflow: table spellings as hose's TableRef.parse takes them, task group
ids, and errors that name the spec file and line."""

from __future__ import annotations

import re
import textwrap

import hose_specs
import pytest

GOOD = """\
kind: archive
dag_id: shop_archive
start_date: 2026-11-01
source_connection: hose_source
output: s3://bucket/archive
tables:
  - {table: orders, incremental_column: created_at}
  - {table: 'sales."Order Items"', partition_column: id}
  - public.customers
"""


def write(tmp_path, text: str, name: str = "shop.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def load(path):
    spec = hose_specs.read_spec(path)
    hose_specs.check_keys(spec)
    hose_specs.check_common(spec)
    hose_specs.snapshot_mode(spec)
    hose_specs.shard_format(spec)
    return spec, hose_specs.archive_tables(spec)


@pytest.mark.parametrize(
    "spelling, expected",
    [
        ("orders", ("public", "orders")),
        ("public.orders", ("public", "orders")),
        ("  public.orders ", ("public", "orders")),
        ('sales."Order Items"', ("sales", "Order Items")),
        ('"MixedCase".orders', ("MixedCase", "orders")),
        ('"sales"."orders"', ("sales", "orders")),
        ("Orders", ("public", "Orders")),  # as the catalog spells it: no case folding
        ("sales.order-items", ("sales", "order-items")),
        ("shop.pre$tax", ("shop", "pre$tax")),
        ("Bestellungen.Größe", ("Bestellungen", "Größe")),
        ("x.y", ("x", "y")),
    ],
)
def test_table_spellings_hose_accepts(spelling, expected):
    assert hose_specs.parse_table(spelling) == expected


@pytest.mark.parametrize(
    "spelling, message",
    [
        ('sales."Order Items', "unterminated double quote"),
        ("a.b.c", "one dot at most"),
        ("", "empty table name"),
        (".orders", "empty schema name"),
        ("sales.", "empty table name"),
        ('""', "empty table name"),
        ('sales."Order"Items', "mixes quoted and unquoted"),
        ('sales.x"y"', "not a plain identifier"),
        ('sales."a""b"', "not a plain identifier"),  # a quote is allowed by the syntax, not the name
        ("sales.a,b", "not a plain identifier"),
        ('"a.b"', "not a plain identifier"),  # a comma would split --tables
        ('" orders"', "not a plain identifier"),
        ("x" * 64, "longer than PostgreSQL's 63 bytes"),
    ],
)
def test_table_spellings_hose_refuses(spelling, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        hose_specs.parse_table(spelling)


def test_group_ids_keep_plain_names_and_hash_the_rest():
    assert hose_specs.group_id("public", "orders") == "public__orders"  # as before this change
    assert hose_specs.group_id("public", "order_items") == "public__order_items"
    quoted = hose_specs.group_id("sales", "Order Items")
    assert re.fullmatch(r"sales__Order_Items-[0-9a-f]{6}", quoted)
    assert quoted == hose_specs.group_id(*hose_specs.parse_table('"sales"."Order Items"'))


def test_group_ids_are_valid_and_unique_where_plain_joins_would_collide():
    names = [
        ("a__b", "c"), ("a", "b__c"), ("a_", "b"), ("a", "_b"), ("a", "b"),
        ("sales", "Order Items"), ("sales", "Order_Items"), ("sales", "order items"), ("sales", "Order-Items"),
        ("Sales", "Order Items"), ("x", "y-1"), ("x", "y_1"), ("x", "y 1"), ("Größe", "ä"), ("Grösse", "ä"),
    ]
    ids = [hose_specs.group_id(*n) for n in names]
    assert len(set(ids)) == len(ids), ids
    for gid in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]+", gid), gid  # Airflow's group id rule; no dot


def test_a_good_spec_gives_each_line_its_options_and_group(tmp_path):
    spec, tables = load(write(tmp_path, GOOD))
    assert [(t.spelling, t.schema, t.table, t.line) for t in tables] == [
        ("orders", "public", "orders", 7),
        ('sales."Order Items"', "sales", "Order Items", 8),
        ("public.customers", "public", "customers", 9),
    ]
    assert tables[0].options == {"incrementalColumn": "created_at"}
    assert tables[1].options == {"partitionColumn": "id"}
    assert tables[0].group_id == "public__orders"
    assert hose_specs.snapshot_mode(spec) == "shared"
    assert hose_specs.shard_format(spec) == {}, "hose's own default: gzipped JSON lines"


@pytest.mark.parametrize(
    "keys, options",
    [
        ("format: parquet", {"format": "parquet"}),
        ("format: parquet\ncompression: snappy", {"format": "parquet", "compression": "snappy"}),
        ("compression: zstd", {"compression": "zstd"}),
        ("format: jsonl\ncompression: gzip", {"format": "jsonl", "compression": "gzip"}),
    ],
)
def test_format_and_compression_become_hose_options(tmp_path, keys, options):
    spec, _ = load(write(tmp_path, GOOD.replace("start_date: 2026-11-01", f"start_date: 2026-11-01\n{keys}", 1)))
    assert hose_specs.shard_format(spec) == options


@pytest.mark.parametrize(
    "change, line, message",
    [
        (("dag_id: shop_archive", "dag_id: shop_archive\ntabels: []"), 3, "unknown key 'tabels'"),
        (("output: s3://bucket/archive\n", ""), 1, "missing required key output"),
        (("{table: orders,", "{table: 'sales.\"Orders', "), 7, "unterminated double quote"),
        (("  - public.customers", "  - public.shop.customers"), 9, "one dot at most"),
        (("  - public.customers", "  - {table: ''}"), 9, "empty table name"),
        (("  - public.customers", "  - {partition_column: id}"), 9, "needs `table`"),
        (("  - public.customers", "  - {table: x, partiton_column: id}"), 9, "unknown key 'partiton_column'"),
        (("  - public.customers", "  - public.orders"), 9, "already listed on line 7"),
        (("  - public.customers", '  - \'"public"."orders"\''), 9, "already listed on line 7"),
        (("start_date: 2026-11-01", "start_date: 2026-11-01\nsnapshot: nightly"), 4, "snapshot must be shared or"),
        (("start_date: 2026-11-01", "start_date: 2026-11-01\nexecution_timeout: soon"), 4, "execution_timeout must be"),
        (("start_date: 2026-11-01", "start_date: 2026-11-01\ndag_id: again"), 4, "repeats line 2"),
        (("  - public.customers", "  - {table: x, max_rows_per_bundle: many}"), 9, "max_rows_per_bundle must be"),
        (("  - public.customers", "  - {table: x, partition_column: 'id; drop'}"), 9, "not a plain identifier"),
        (("  - public.customers", "  - [public.customers"), 9, "not valid YAML"),
        (("kind: archive", "kind: archiv"), 1, "kind must be one of"),
        (("start_date: 2026-11-01", "start_date: 2026-11-01\nformat: avro"), 4, "format must be jsonl or parquet"),
        (
            ("start_date: 2026-11-01", "start_date: 2026-11-01\nformat: parquet\ncompression: gzip"),
            5,
            "compression of parquet must be zstd or snappy, not 'gzip'",
        ),
        (("start_date: 2026-11-01", "start_date: 2026-11-01\ncompression: snappy"), 4, "of jsonl must be gzip or zstd"),
    ],
)
def test_a_bad_spec_names_its_file_and_line(tmp_path, change, line, message):
    old, new = change
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(hose_specs.SpecError) as failure:
        load(path)
    text = str(failure.value)
    assert text.startswith(f"{path}, line {line}: "), text
    assert message in text, text
