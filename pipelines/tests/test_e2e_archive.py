"""`airflow dags test hose_archive` end to end: the real Airflow CLI, DAG, BeamRunJavaPipelineOperator
and hose jar (DirectRunner) against the sandbox's PostgreSQL and S3 server.

The tables of specs/archive.yaml are seeded with rows spread over several days, so the run's data
interval [2026-11-23, 2026-11-24) is checked for real, boundaries and NULLs included. Running the
same date twice checks that a retry rewrites the same complete output.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import uuid

import pytest
from conftest import ROOT, airflow_dags_test, connect, connection_env, dag_run_states

DATABASE = "hose_airflow_e2e"
LOGICAL_DATE = "2026-11-24T00:00:00+00:00"  # a manual run at this time archives the day before it
WINDOW = (dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc), dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc))
TABLES = ("public.orders", "public.events", "public.customers")


@pytest.fixture(scope="module")
def seeded(sandbox):
    """Seeds the spec's tables; returns the ids each table's archive must hold for WINDOW."""
    with connect(sandbox, "postgres") as c:
        c.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        c.execute(f"CREATE DATABASE {DATABASE}")
    with connect(sandbox, DATABASE) as c:
        c.execute(
            "CREATE TABLE orders (id bigint PRIMARY KEY, created_at timestamptz, amount numeric(10,2), note text)"
        )
        # 5 days, a different number of rows each day (every 7, 11, 13, 17, 19 minutes).
        c.execute(
            """INSERT INTO orders
               SELECT row_number() OVER (), t, (random() * 100)::numeric(10,2), 'order ' || t
               FROM generate_series(0, 4) d,
                    LATERAL generate_series(timestamptz '2026-11-21 00:00:00+00' + d * interval '1 day',
                                            timestamptz '2026-11-21 23:59:59+00' + d * interval '1 day',
                                            (array[7, 11, 13, 17, 19])[d + 1] * interval '1 minute') t"""
        )
        c.execute(
            """INSERT INTO orders VALUES
               (100001, '2026-11-23 00:00:00+00', 1, 'first instant: in'),
               (100002, '2026-11-23 23:59:59.999999+00', 2, 'last instant: in'),
               (100003, '2026-11-24 00:00:00+00', 3, 'end is exclusive: out'),
               (100004, NULL, 4, 'no timestamp: out'),
               (100005, '2026-11-23 12:00:00+05', 5, 'other zone, 07:00Z: in')"""
        )
        c.execute("CREATE TABLE events (id bigint PRIMARY KEY, occurred_at timestamptz NOT NULL, kind text)")
        c.execute(
            """INSERT INTO events
               SELECT i, timestamptz '2026-11-20 00:00:00+00' + i * interval '97 seconds', 'kind-' || i % 5
               FROM generate_series(1, 20000) i"""
        )
        c.execute("CREATE TABLE customers (id bigint PRIMARY KEY, name text, email text)")
        c.execute("INSERT INTO customers SELECT i, 'customer ' || i, 'c' || i || '@example.com' FROM generate_series(1, 250) i")
        expected = {}
        for table, column in (("orders", "created_at"), ("events", "occurred_at")):
            rows = c.execute(f"SELECT id FROM {table} WHERE {column} >= %s AND {column} < %s", WINDOW).fetchall()
            expected[f"public.{table}"] = {r[0] for r in rows}
        expected["public.customers"] = {r[0] for r in c.execute("SELECT id FROM customers").fetchall()}
    assert 100 < len(expected["public.orders"]) < 200 and 100001 in expected["public.orders"]
    return expected


def read_archive(s3, bucket: str, prefix: str) -> tuple[dict, list[dict], set[str]]:
    """(manifest, rows, every key under the prefix) of one table's output."""
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=f"{prefix}/_manifest.json")["Body"].read())
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        keys |= {o["Key"] for o in page.get("Contents", [])}
    rows = []
    for shard in manifest["shards"]:
        key = f"{prefix}/{shard['path'].rsplit('/', 1)[-1]}"
        data = gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        rows += [json.loads(line) for line in data.splitlines() if line.strip()]
    return manifest, rows, keys


def test_archive_dag_archives_the_data_interval_and_a_retry_rewrites_it(sandbox, seeded, monkeypatch):
    import hose_common

    root = f"s3://{sandbox['bucket']}/airflow-e2e-{uuid.uuid4().hex[:8]}"
    env = connection_env(sandbox, DATABASE) | {
        "AIRFLOW_VAR_HOSE_ARCHIVE_ROOT": root,
        "AIRFLOW_VAR_HOSE_RUNNER_CONFIG": "direct",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)  # for the S3 client below, which reads the same connection
    s3 = hose_common.s3_client("hose_s3")
    bucket = sandbox["bucket"]
    base = root.split("/", 3)[3] + "/dt=2026-11-23"

    outputs = []
    for attempt in (1, 2):
        log = airflow_dags_test("hose_archive", LOGICAL_DATE, env)
        states = dag_run_states("hose_archive", dt.datetime.fromisoformat(LOGICAL_DATE))
        assert set(states.values()) == {"success"}, states
        commands = [line for line in log.splitlines() if "Running command: java" in line]
        assert len(commands) == 2 * len(TABLES), log[-5000:]  # archive and verify per table
        assert sum("launch/verify.args" in line for line in commands) == len(TABLES), log[-5000:]
        for line in commands:
            assert sandbox["password"] not in line and sandbox["secretKey"] not in line
            assert "***" not in line, f"Airflow masked a secret in the command line: {line}"
            assert "--passwordEnv=HOSE_SOURCE_PASSWORD" in line or "verify.args" in line
        assert sandbox["password"] not in log and sandbox["secretKey"] not in log

        outputs.append({})
        for table in TABLES:
            manifest, rows, keys = read_archive(s3, bucket, f"{base}/{table}")
            ids = [r["id"] for r in rows]
            assert manifest["rowCount"] == len(rows) == len(set(ids)), table
            assert set(ids) == seeded[table], f"{table}: wrong rows for the window (attempt {attempt})"
            shard_keys = {f"{base}/{table}/{s['path'].rsplit('/', 1)[-1]}" for s in manifest["shards"]}
            assert keys == shard_keys | {f"{base}/{table}/_manifest.json"}, f"{table}: leftover objects {keys}"
            outputs[-1][table] = (manifest["rowCount"], sorted(ids))
    assert outputs[0] == outputs[1]
    orders = {r["id"]: r for r in read_archive(s3, bucket, f"{base}/public.orders")[1]}
    assert {100001, 100002, 100005} <= orders.keys() and not {100003, 100004} & orders.keys()
    assert (ROOT / "runner-configs" / "direct.properties").is_file()
