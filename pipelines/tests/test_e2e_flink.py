"""The runner follows the DAG param: `airflow tasks test` of the shipped archive DAG's `archive`
task with `runner_config=flink-local` runs the real jar on Flink (an in-process MiniCluster)
through the same operator, for all of the spec's tables on one snapshot, and returns hose's run
summary."""

from __future__ import annotations

import json
import uuid

from conftest import ROOT, airflow, connect, connection_env

DATABASE = "hose_airflow_flink"
# A date no other test runs, so `tasks test` finds no earlier DagRun (and its conf) to reuse.
LOGICAL_DATE = "2026-11-27T00:00:00+00:00"
FLINK_LOCAL = ROOT / "runner-configs" / "flink-local.properties"


def test_archive_task_on_flink_local_via_the_runner_config_param(sandbox, monkeypatch):
    with connect(sandbox, "postgres") as c:
        c.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        c.execute(f"CREATE DATABASE {DATABASE}")
    with connect(sandbox, DATABASE) as c:
        c.execute("CREATE TABLE orders (id bigint PRIMARY KEY, created_at timestamptz, note text)")
        c.execute(
            """INSERT INTO orders SELECT i, timestamptz '2026-11-25 00:00+00' + i * interval '1 minute', 'n'
               FROM generate_series(1, 4000) i"""
        )
        c.execute("CREATE TABLE events (id bigint PRIMARY KEY, occurred_at timestamptz NOT NULL, kind text)")
        c.execute("INSERT INTO events SELECT i, timestamptz '2026-11-26 12:00+00', 'k' FROM generate_series(1, 30) i")
        c.execute("CREATE TABLE customers (id bigint PRIMARY KEY, name text)")
        c.execute("INSERT INTO customers SELECT i, 'c' || i FROM generate_series(1, 20) i")
    root = f"s3://{sandbox['bucket']}/airflow-e2e-flink-{uuid.uuid4().hex[:8]}"
    env = connection_env(sandbox, DATABASE) | {
        "AIRFLOW_VAR_HOSE_ARCHIVE_ROOT": root,
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    }
    log = airflow(
        "tasks", "test", "hose_archive", "archive", LOGICAL_DATE,
        "-t", json.dumps({"runner_config": "flink-local"}),
        env=env,
    )
    [command] = [line for line in log.splitlines() if "Running command: java" in line]
    assert "--runner=FlinkRunner" in command and f"--runnerConfig={FLINK_LOCAL}" in command
    assert sandbox["password"] not in log

    import hose_common

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    counts = {}
    for table in ("orders", "events", "customers"):
        manifest = hose_common.read_manifest(f"{root}/dt=2026-11-26/public.{table}", "hose_s3")
        counts[table] = manifest["rowCount"]
    assert counts == {"orders": 1440, "events": 30, "customers": 20}
    assert len({hose_common.read_manifest(f"{root}/dt=2026-11-26/public.{t}", "hose_s3")["snapshot"]["id"]
                for t in counts}) == 1, "one snapshot for the spec's tables"
