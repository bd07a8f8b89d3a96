"""The DAGs in Airflow's real scheduler, as a deployment runs them: `airflow standalone` with the
LocalExecutor and parallelism 8, DAG files and specs in its dags folder, runs started by unpausing
(a nightly run of the latest data interval), the real jars against the sandbox's PostgreSQL and S3
server, and a local Flink session cluster. What happened is read from Airflow's database.

The scheduler starts once; the first DAGs (six tables in shared and in per_table mode, detect,
and Flink) run at the same time, as a night's DAGs would.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import hose_specs
import jsonschema
import psutil
import pyarrow.parquet
import pytest
import yaml
from conftest import DAGS, ROOT, SPECS, connect, connection_env, dags_folder, hose_jar
from scheduler import Scheduler

DATABASE = "hose_sched"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MANIFEST_SCHEMA = json.loads((ROOT / "docs" / "manifest.schema.json").read_text())
JVM = "-Xmx512m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
FLINK_JOBS_TIMEOUT = 900

#: (spelling in the spec, schema, table, options of its spec line)
SIX_TABLES = [
    ("orders", "public", "orders", {"partition_column": "id", "incremental_column": "created_at"}),
    ("public.events", "public", "events", {"incremental_column": "occurred_at", "max_rows_per_bundle": 700}),
    ("public.customers", "public", "customers", {}),
    ("public.line_items", "public", "line_items", {"where": "qty > 0"}),
    ('sales."Order Items"', "sales", "Order Items", {"partition_column": "id"}),
    ('sales."Refunds-2026"', "sales", "Refunds-2026", {}),
]
FLINK_TABLES = [SIX_TABLES[0], SIX_TABLES[4]]
STOP_TABLE = ("public.stop_big", "public", "stop_big", {"max_rows_per_bundle": 300})
KILL_TABLE = ("public.flink_big", "public", "flink_big", {"max_rows_per_bundle": 15000})  # two ranges
STOP_TIMEOUT = 50  # seconds: a clean run fits; a held-up run hits it before hose's 60 s lock timeout


# ---------------------------------------------------------------------------------------------
# Fixtures


class Flink:
    """`runner-configs/flink-cluster/cluster.sh start` in the background; `master()` waits for it."""

    def __init__(self, directory: Path, env: dict[str, str]) -> None:
        self.dir = directory
        self.script = ROOT / "runner-configs" / "flink-cluster" / "cluster.sh"
        self.log = directory.parent / "flink-start.log"
        # The TaskManagers read the secrets from their own environment (hose's --passwordEnv and
        # the AWS default chain): exported before `start`, as a deployment sets them on its TMs.
        self.process = subprocess.Popen(
            ["bash", str(self.script), "start", "--dir", str(directory), "--taskmanagers", "1", "--slots", "2",
             "--rest-port", "0"],
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=open(self.log, "wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._master: str | None = None

    def master(self) -> str:
        if self._master is None:
            code = self.process.wait(timeout=400)
            assert code == 0, f"cluster.sh start exited {code}:\n{self.log.read_text()[-4000:]}"
            env = dict(
                line.split("=", 1) for line in (self.dir / "cluster.env").read_text().splitlines() if "=" in line
            )
            self._master = env["FLINK_MASTER"]
        return self._master

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(f"http://{self.master()}{path}", timeout=30) as response:
            return json.load(response)

    def jobs(self) -> list[dict]:
        return sorted(self.get("/jobs/overview")["jobs"], key=lambda j: j["start-time"])

    def job(self, jid: str) -> dict:
        return self.get(f"/jobs/{jid}")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=400)
        subprocess.run(["bash", str(self.script), "stop", "--dir", str(self.dir)], timeout=120, check=False)


@pytest.fixture(scope="session")
def flink(sandbox, tmp_path_factory):
    cluster = Flink(
        tmp_path_factory.mktemp("flink") / "cluster",
        {
            "HOSE_SOURCE_PASSWORD": sandbox["password"],
            "AWS_ACCESS_KEY_ID": sandbox["accessKey"],
            "AWS_SECRET_ACCESS_KEY": sandbox["secretKey"],
            "AWS_EC2_METADATA_DISABLED": "true",
        },
    )
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def s3(sandbox):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=sandbox["s3Endpoint"],
        region_name=sandbox["awsRegion"],
        aws_access_key_id=sandbox["accessKey"],
        aws_secret_access_key=sandbox["secretKey"],
        config=Config(s3={"addressing_style": "path"}),
    )


def archive_spec(dag_id: str, output: str, tables: list[tuple], **keys) -> str:
    lines = []
    for spelling, _, _, options in tables:
        lines.append({"table": spelling, **options} if options else spelling)
    return yaml.safe_dump(
        {
            "kind": "archive",
            "dag_id": dag_id,
            "start_date": "2026-11-01",
            "schedule": "0 0 * * *",
            "catchup": False,
            "retries": 0,
            "source_connection": "hose_source",
            "s3_connection": "hose_s3",
            "output": output + "/dt={{ data_interval_start | ds }}",
            "jvm_options": JVM,
            **keys,
            "tables": lines,
        },
        sort_keys=False,
    )


@pytest.fixture(scope="session")
def night(sandbox, tmp_path_factory):
    """Everything the scheduler serves: its dags folder, connections and variables."""
    work = tmp_path_factory.mktemp("scheduler")
    root = f"s3://{sandbox['bucket']}/sched-{uuid.uuid4().hex[:8]}"
    flink_config = work / "flink-cluster.properties"  # written once the cluster is up
    specs = {
        "e2e_shared": archive_spec("e2e_shared", f"{root}/shared", SIX_TABLES),
        "e2e_per_table": archive_spec("e2e_per_table", f"{root}/per_table", SIX_TABLES, snapshot="per_table"),
        # Parquet on the Flink cluster: the format that query engines read, written by TaskManagers
        "e2e_flink": archive_spec(
            "e2e_flink", f"{root}/flink", FLINK_TABLES, runner_config=str(flink_config), format="parquet"
        ),
        "e2e_stop": archive_spec(
            "e2e_stop", f"{root}/stop", [STOP_TABLE], retries=1, retry_delay=15, execution_timeout=STOP_TIMEOUT
        ),
        "e2e_flink_kill": archive_spec(
            "e2e_flink_kill", f"{root}/flink_kill", [KILL_TABLE], retries=1, retry_delay=3,
            runner_config=str(flink_config),
        ),
        # line 3 names a key no spec has
        "e2e_broken": "kind: archive\ndag_id: e2e_broken\ntabels: [public.orders]\n",
    }
    folder = dags_folder(work, specs)
    for name in ("archive", "detect"):  # the shipped DAG files and specs, as they are
        shutil.copy(DAGS / f"hose_{name}.py", folder)
        shutil.copy(SPECS / f"{name}.yaml", folder / "specs")
    env = connection_env(sandbox, DATABASE) | {
        "HOSE_HOME": str(ROOT),
        "AIRFLOW_VAR_HOSE_RUNNER_CONFIG": "direct",
        "AIRFLOW_VAR_HOSE_ARCHIVE_ROOT": f"{root}/hose_archive",
        "AIRFLOW_VAR_HOSE_VIDEO_LISTS": f"{root}/lists",
        "AIRFLOW_VAR_HOSE_DETECT_ROOT": f"{root}/detections",
        "AIRFLOW_VAR_HOSE_SCRATCH_DIR": str(work / "scratch"),
        "AIRFLOW_VAR_HOSE_DETECT_ALLOW_LOCAL_FILES": "true",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return {"work": work, "root": root, "dags": folder, "env": env, "flink_config": flink_config, "specs": specs}


@pytest.fixture(scope="session")
def scheduler(night, flink):  # the Flink cluster starts meanwhile
    home = ROOT / "target" / "airflow" / "scheduler-home"
    shutil.rmtree(home, ignore_errors=True)
    airflow = Scheduler(home, night["dags"], night["env"], parallelism=8)
    started = time.monotonic()
    try:
        airflow.start()
        dag_ids = set(night["specs"]) - {"e2e_broken"} | {"hose_archive", "hose_detect"}
        airflow.wait_parsed(dag_ids, {"hose_e2e_broken.py"})
        print(f"airflow standalone up and the DAGs parsed in {time.monotonic() - started:.0f} s")
        yield airflow
    finally:
        airflow.stop()


@pytest.fixture(scope="session")
def source(sandbox):
    """The source database: the six tables (spellings of every kind) and the two big ones."""
    with connect(sandbox, "postgres") as c:
        c.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        c.execute(f"CREATE DATABASE {DATABASE}")
    with connect(sandbox, DATABASE) as c:
        c.execute("CREATE SCHEMA sales")
        c.execute(
            "CREATE TABLE orders (id bigint PRIMARY KEY, created_at timestamptz, amount numeric(10,2), note text)"
        )
        # From four days ago to tomorrow, every 7 minutes, a NULL and the day boundaries.
        c.execute(
            """INSERT INTO orders
               SELECT row_number() OVER (), t, (random() * 100)::numeric(10,2), 'order ' || t
               FROM generate_series(date_trunc('day', now()) - interval '4 days',
                                    date_trunc('day', now()) + interval '1 day', interval '7 minutes') t"""
        )
        c.execute(
            """INSERT INTO orders VALUES
               (900001, date_trunc('day', now()) - interval '1 day', 1, 'first instant of yesterday'),
               (900002, date_trunc('day', now()) - interval '1 microsecond', 2, 'last instant of yesterday'),
               (900003, date_trunc('day', now()), 3, 'today: out'),
               (900004, NULL, 4, 'no timestamp: out')"""
        )
        c.execute("CREATE TABLE events (id bigint PRIMARY KEY, occurred_at timestamptz NOT NULL, kind text)")
        c.execute(
            """INSERT INTO events SELECT i, date_trunc('day', now()) - interval '3 days' + i * interval '97 seconds',
               'kind-' || i % 5 FROM generate_series(1, 4000) i"""
        )
        c.execute("CREATE TABLE customers (id bigint PRIMARY KEY, name text, email text)")
        c.execute(
            "INSERT INTO customers SELECT i, 'customer ' || i, 'c' || i || '@example.com'"
            " FROM generate_series(1, 250) i"
        )
        c.execute("CREATE TABLE line_items (id bigint PRIMARY KEY, order_id bigint, qty int)")
        c.execute("INSERT INTO line_items SELECT i, i / 3, i % 4 FROM generate_series(1, 1200) i")
        c.execute('CREATE TABLE sales."Order Items" (id bigint PRIMARY KEY, "Product Name" text, qty int)')
        c.execute('INSERT INTO sales."Order Items" SELECT i, \'product \' || i, i % 9 FROM generate_series(1, 900) i')
        c.execute('CREATE TABLE sales."Refunds-2026" ("Refund Id" bigint PRIMARY KEY, amount numeric(10,2))')
        c.execute('INSERT INTO sales."Refunds-2026" SELECT i, i * 1.5 FROM generate_series(1, 75) i')
        for table in ("stop_big", "flink_big"):
            c.execute(f"CREATE TABLE {table} (id bigint PRIMARY KEY, note text)")
            c.execute(f"INSERT INTO {table} SELECT i, md5(i::text) FROM generate_series(1, 30000) i")
    return sandbox


def expected_ids(sandbox, schema: str, table: str, options: dict, window: tuple) -> set:
    """The key of every row a run over `window` must archive from one table."""
    with connect(sandbox, DATABASE) as c:
        [key] = c.execute(
            """SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid
               AND a.attnum = i.indkey[0] WHERE i.indisprimary AND i.indrelid = %s::regclass""",
            (f'"{schema}"."{table}"',),
        ).fetchone()
        where = ["TRUE"]
        params: list = []
        if options.get("incremental_column"):
            column = options["incremental_column"]
            where.append(f"{column} >= %s AND {column} < %s")
            params += list(window)
        if options.get("where"):
            where.append(options["where"])
        rows = c.execute(f'SELECT "{key}" FROM "{schema}"."{table}" WHERE {" AND ".join(where)}', params)
        return {r[0] for r in rows}


@pytest.fixture(scope="session")
def videos(tmp_path_factory):
    out = tmp_path_factory.mktemp("videos")
    subprocess.run(
        ["java", "-Xmx512m", "-cp", str(hose_jar()), str(FIXTURES / "GenVideos.java"), str(out)],
        check=True,
        timeout=300,
    )
    return out


@pytest.fixture(scope="session")
def nightly_runs(scheduler, night, source, videos, flink, s3):
    """Unpauses the first four DAGs (a nightly run each, all at once); the Flink DAG as soon as the
    cluster is up and its runner config written."""
    yesterday = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).date().isoformat()
    bucket, base = night["root"].split("/", 3)[2:]
    urls = [(videos / "moving.mp4").as_uri(), (videos / "still.mp4").as_uri(), "http://127.0.0.1:9/missing.mp4"]
    s3.put_object(Bucket=bucket, Key=f"{base}/lists/{yesterday}.txt", Body="\n".join(urls).encode())
    started = {}
    for dag_id in ("e2e_shared", "e2e_per_table", "hose_detect"):
        scheduler.unpause(dag_id)
        started[dag_id] = time.monotonic()
    config = (ROOT / "runner-configs" / "flink-cluster.properties").read_text()
    night["flink_config"].write_text(config.replace("flinkMaster=127.0.0.1:8081", f"flinkMaster={flink.master()}"))
    scheduler.unpause("e2e_flink")
    started["e2e_flink"] = time.monotonic()
    return started


# ---------------------------------------------------------------------------------------------
# Checks


def first_try_success(scheduler: Scheduler, dag_id: str, count: int) -> dict:
    """Every task of the DAG's run succeeded on its first try; returns the task instances."""
    run = scheduler.wait_run(dag_id, timeout=900)
    tis = scheduler.task_instances(dag_id, run["run_id"])
    states = {task: (ti["state"], ti["try_number"]) for task, ti in tis.items()}
    assert run["state"] == "success" and set(states.values()) == {("success", 1)}, (
        f"{dag_id}: {run['state']} {states}\n" + "\n".join(
            scheduler.task_log(dag_id, t)[-3000:] for t, (s, _) in states.items() if s != "success"
        )
    )
    assert len(tis) == count, sorted(tis)
    for task_id in tis:  # no hose run refused or waited for another (claims are per table)
        log = scheduler.task_log(dag_id, task_id)
        assert "is in use by" not in log and " to release " not in log, f"{dag_id}.{task_id}:\n{log[-3000:]}"
    return tis


def window(run) -> tuple[dt.datetime, dt.datetime]:
    parse = lambda s: dt.datetime.fromisoformat(s).replace(tzinfo=dt.timezone.utc)  # noqa: E731
    return parse(run["data_interval_start"]), parse(run["data_interval_end"])


def split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://"):].partition("/")
    return bucket, key


def keys_under(s3, uri: str) -> set[str]:
    bucket, prefix = split(uri)
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys |= {o["Key"] for o in page.get("Contents", [])}
    return keys


def temp_shards(s3, uri: str) -> set[str]:
    """Shards under a temp directory (hose also writes and deletes a `_probe` there before it plans)."""
    return {k for k in keys_under(s3, uri) if "/part-" in k}


def uploads_under(s3, uri: str) -> list[str]:
    bucket, prefix = split(uri)
    return [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])]


def read_table(s3, directory: str) -> tuple[dict, list[dict]]:
    """(manifest, rows) of one committed table directory; fails on objects the manifest does not list."""
    bucket, prefix = split(directory)
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=prefix + "_manifest.json")["Body"].read())
    jsonschema.validate(manifest, MANIFEST_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    names = {s["path"].rsplit("/", 1)[-1] for s in manifest["shards"]}
    assert keys_under(s3, directory) == {prefix + n for n in names | {"_manifest.json"}}, directory
    rows = []
    for name in sorted(names):
        body = s3.get_object(Bucket=bucket, Key=prefix + name)["Body"].read()
        if manifest["shardFormat"] == "parquet":
            rows += pyarrow.parquet.read_table(pyarrow.BufferReader(body)).to_pylist()
        else:
            rows += [json.loads(line) for line in gzip.decompress(body).splitlines() if line.strip()]
    return manifest, rows


def check_tables(s3, sandbox, summary: dict, tables: list[tuple], run, output: str) -> dict[str, dict]:
    """Each table's output is where hose's summary says, holds exactly the run's rows, and is
    committed by that run, and no claim, temp object or upload is left under `output`; returns the
    manifests by spelling."""
    by_spelling = {t["spec"]: t for t in summary["tables"]}
    assert list(by_spelling) == [t[0] for t in tables]
    manifests = {}
    for spelling, schema, table, options in tables:
        entry = by_spelling[spelling]
        assert entry["table"] == f"{schema}.{table}" and entry["dir"] == f"{output}{schema}.{table}/"
        manifest, rows = read_table(s3, entry["dir"])
        assert manifest["runId"] == summary["runId"], spelling
        key = next(iter(rows[0])) if rows else None
        ids = [r[key] for r in rows]
        assert len(ids) == len(set(ids)) == manifest["rowCount"] == entry["rows"], spelling
        assert set(ids) == expected_ids(sandbox, schema, table, options, window(run)), spelling
        manifests[spelling] = manifest
    leftovers = {k for k in keys_under(s3, output) if "_hose_claim.json" in k or "/_hose_temp/" in k}
    assert not leftovers and not uploads_under(s3, output), (leftovers, uploads_under(s3, output))
    return manifests


def output_of(night, name: str, run) -> str:
    return f"{night['root']}/{name}/dt={window(run)[0].date().isoformat()}/"


def rendered(scheduler: Scheduler, dag_id: str, task_id: str) -> dict:
    [row] = scheduler.sql(
        "SELECT rendered_fields FROM rendered_task_instance_fields WHERE dag_id = ? AND run_id = ? AND task_id = ?",
        dag_id, scheduler.first_run_id(dag_id), task_id,
    )
    return json.loads(row["rendered_fields"])


def java_processes(marker: str) -> list[psutil.Process]:
    """The hose java processes whose command line holds `marker` (a DAG's output prefix)."""
    found = []
    for p in psutil.process_iter(["name", "cmdline"]):
        cmdline = p.info["cmdline"] or []
        if cmdline and Path(cmdline[0]).name == "java" and any(marker in a for a in cmdline):
            found.append(p)
    return found


def wait_for(what: str, check, timeout: float, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)


class TableLock:
    """A session that takes `LOCK TABLE … IN ACCESS EXCLUSIVE MODE` in a transaction: hose's range
    queries queue behind it, so a run that started exporting is held up. The lock request itself
    waits for the sessions already reading the table; `release()` ends it either way."""

    def __init__(self, sandbox, table: str) -> None:
        self.sandbox, self.table = sandbox, table
        self.conn = connect(sandbox, DATABASE)
        self.pid = self.conn.info.backend_pid
        self.thread = threading.Thread(target=self._lock, daemon=True)
        self.thread.start()
        wait_for("the lock request", self._waiting_or_granted, 10, every=0.05)

    def _lock(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.execute("BEGIN")
            self.conn.execute(f"LOCK TABLE {self.table} IN ACCESS EXCLUSIVE MODE")

    def _waiting_or_granted(self) -> bool:
        with connect(self.sandbox, DATABASE) as c:
            return bool(c.execute(
                "SELECT 1 FROM pg_locks WHERE pid = %s AND mode = 'AccessExclusiveLock' AND locktype = 'relation'",
                (self.pid,),
            ).fetchall())

    def waiting_behind(self, table: str) -> int:
        """How many other sessions wait for a lock with a query on `table`."""
        with connect(self.sandbox, DATABASE) as c:
            [(count,)] = c.execute(
                """SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> %s
                   AND wait_event_type = 'Lock' AND query LIKE %s""",
                (DATABASE, self.pid, f"%{table}%"),
            ).fetchall()
            return count

    def release(self) -> None:
        with connect(self.sandbox, DATABASE) as c:
            c.execute("SELECT pg_terminate_backend(%s)", (self.pid,))
        self.thread.join(timeout=30)
        with contextlib.suppress(Exception):
            self.conn.close()


# ---------------------------------------------------------------------------------------------
# Tests


def test_a_broken_spec_fails_only_its_own_dag_file(scheduler, night):
    [error] = scheduler.sql("SELECT filename, stacktrace FROM import_error")
    assert Path(error["filename"]).name == "hose_e2e_broken.py"
    spec = night["dags"] / "specs" / "e2e_broken.yaml"
    assert f"{spec}, line 3: unknown key 'tabels'" in error["stacktrace"], error["stacktrace"]
    loaded = {r["dag_id"] for r in scheduler.sql("SELECT dag_id FROM dag WHERE NOT is_stale")}
    assert loaded == set(night["specs"]) - {"e2e_broken"} | {"hose_archive", "hose_detect"}


def test_six_tables_in_one_shared_snapshot(scheduler, night, nightly_runs, s3, source):
    tis = first_try_success(scheduler, "e2e_shared", count=2 + 2 * 6)
    run = scheduler.runs("e2e_shared")[0]
    assert run["run_type"] == "scheduled"
    summary = scheduler.xcom("e2e_shared", "archive")
    output = output_of(night, "shared", run)
    manifests = check_tables(s3, source, summary, SIX_TABLES, run, output)
    # one snapshot for all six tables: the one hose reported
    assert {m["snapshot"]["id"] for m in manifests.values()} == {summary["snapshot"]}
    # one hose verify of all six tables; each table's manifest task reads its directory from hose's
    # summary, and its verify task its result from hose verify's report
    report = scheduler.xcom("e2e_shared", "verify")
    assert rendered(scheduler, "e2e_shared", "verify")["pipeline_options"]["input"].rstrip("/") == output.rstrip("/")
    assert report["ok"] and [t["table"] for t in report["tables"]] == [t["table"] for t in summary["tables"]]
    for entry, (spelling, schema, table, _) in zip(summary["tables"], SIX_TABLES):
        group = hose_specs.group_id(schema, table)
        checked = scheduler.xcom("e2e_shared", f"{group}.manifest")
        assert checked["dir"] == entry["dir"]
        verified = scheduler.xcom("e2e_shared", f"{group}.verify")
        assert verified["table"] == entry["table"] and verified["ok"] and verified["rows"] == checked["rows"]
    assert any(t.startswith("sales__Order_Items-") for t in tis)
    print(f"e2e_shared: {len(tis)} tasks in {duration(scheduler, 'e2e_shared'):.0f} s")


def test_six_tables_per_table_run_at_once_without_refusing_each_other(scheduler, night, nightly_runs, s3, source):
    tis = first_try_success(scheduler, "e2e_per_table", count=3 * 6)
    run = scheduler.runs("e2e_per_table")[0]
    output = output_of(night, "per_table", run)
    archives = {t: ti for t, ti in tis.items() if t.endswith(".archive")}
    snapshots = set()
    for task_id in archives:
        summary = scheduler.xcom("e2e_per_table", task_id)
        [entry] = summary["tables"]
        table = next(t for t in SIX_TABLES if t[0] == entry["spec"])
        manifest = check_tables(s3, source, summary, [table], run, output)[entry["spec"]]
        snapshots.add(manifest["snapshot"]["id"])
    assert len(snapshots) == 6, "per_table: each table its own snapshot"
    # the archive tasks overlapped in time: claims per table let them write under one prefix together
    spans = [(ts(ti["start_date"]), ts(ti["end_date"])) for ti in archives.values()]
    overlapping = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
    assert overlapping >= 2, spans
    print(f"e2e_per_table: up to {overlapping} archive tasks at once; {duration(scheduler, 'e2e_per_table'):.0f} s")


def test_detect_dag(scheduler, night, nightly_runs, s3):
    first_try_success(scheduler, "hose_detect", count=3)
    run = scheduler.runs("hose_detect")[0]
    bucket, base = split(night["root"] + "/")
    prefix = f"{base}detections/dt={window(run)[0].date().isoformat()}"
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=f"{prefix}/_manifest.json")["Body"].read())
    assert manifest["videos"] == 3 and manifest["succeeded"] == 2 and manifest["failed"] == 1, manifest
    assert not list((night["work"] / "scratch").rglob("*.mp4")), "scratch files left behind"


def test_flink_cluster_runner_config(scheduler, night, nightly_runs, flink, s3, source):
    first_try_success(scheduler, "e2e_flink", count=2 + 2 * len(FLINK_TABLES))
    run = scheduler.runs("e2e_flink")[0]
    summary = scheduler.xcom("e2e_flink", "archive")
    manifests = check_tables(s3, source, summary, FLINK_TABLES, run, output_of(night, "flink", run))
    assert {(m["shardFormat"], m["compression"]) for m in manifests.values()} == {("parquet", "zstd")}
    assert all(s["path"].endswith(".parquet") for m in manifests.values() for s in m["shards"])
    log = scheduler.task_log("e2e_flink", "archive")
    [command] = [line for line in log.splitlines() if "Running command: java" in line]
    assert "--runner=FlinkRunner" in command and f"--runnerConfig={night['flink_config']}" in command
    assert "--format=parquet" in command
    jobs = flink.jobs()
    assert len(jobs) == 2 and {j["state"] for j in jobs} == {"FINISHED"}, jobs  # one archive, one verify


def test_a_stopped_archive_task_leaves_nothing_and_its_retry_commits(scheduler, night, nightly_runs, s3, source):
    """execution_timeout hits try 1 while the run is held up; a user marks try 2 failed while it
    is held up; each time the java process gets SIGTERM, cleans up and exits; a clear then runs
    try 3, which commits."""
    spelling, schema, table, _ = STOP_TABLE
    output_root = f"{night['root']}/stop/"
    directory, temp = None, None

    def hold_up(try_number: int) -> tuple[TableLock, list[psutil.Process]]:
        nonlocal directory, temp
        scheduler.wait_task("e2e_stop", "archive", ("running",), timeout=300, try_number=try_number)
        java = wait_for("the java process", lambda: java_processes(output_root), 120)
        run = scheduler.runs("e2e_stop")[0]
        directory = output_of(night, "stop", run) + f"{schema}.{table}/"
        temp = output_of(night, "stop", run) + f"_hose_temp/{schema}.{table}/"
        wait_for("an exported shard in the temp directory", lambda: temp_shards(s3, temp), 180, every=0.1)
        return TableLock(source, f"{schema}.{table}"), java

    def assert_stopped_cleanly(java: list[psutil.Process], lock: TableLock, within: float) -> None:
        gone, alive = psutil.wait_procs(java, timeout=within)
        assert not alive, f"java still running: {alive}"
        lock.release()
        assert not keys_under(s3, directory), f"left in {directory}: {keys_under(s3, directory)}"
        assert not keys_under(s3, temp), f"left in {temp}: {keys_under(s3, temp)}"
        assert not uploads_under(s3, output_root), uploads_under(s3, output_root)

    scheduler.unpause("e2e_stop")
    lock, java = hold_up(try_number=1)
    # try 1 ends by execution_timeout (AirflowTaskTimeout inside execute) and waits for java's exit
    scheduler.wait_task("e2e_stop", "archive", ("up_for_retry",), timeout=STOP_TIMEOUT + 90)
    assert_stopped_cleanly(java, lock, within=5)
    log = scheduler.task_log("e2e_stop", "archive", 1)
    assert "AirflowTaskTimeout" in log and "stopping java" in log, log[-4000:]

    lock, java = hold_up(try_number=2)
    run_id = scheduler.runs("e2e_stop")[0]["run_id"]
    scheduler.mark_failed("e2e_stop", run_id, "archive")
    assert_stopped_cleanly(java, lock, within=60)
    assert "on_kill" in scheduler.task_log("e2e_stop", "archive", 2)

    scheduler.clear("e2e_stop", run_id, "archive")
    scheduler.wait_task("e2e_stop", "archive", ("running", "success"), timeout=120, try_number=3)
    run = scheduler.wait_run("e2e_stop", timeout=400)
    tis = scheduler.task_instances("e2e_stop", run_id)
    assert run["state"] == "success", {t: (ti["state"], ti["try_number"]) for t, ti in tis.items()}
    assert tis["archive"]["try_number"] == 3
    assert {t: ti["try_number"] for t, ti in tis.items() if t != "archive"} == {"verify": 1} | {
        f"{hose_specs.group_id(schema, table)}.{t}": 1 for t in ("manifest", "verify")
    }
    summary = scheduler.xcom("e2e_stop", "archive")
    check_tables(s3, source, summary, [STOP_TABLE], run, output_of(night, "stop", run))


def test_a_killed_flink_client_never_commits_over_its_retry(scheduler, night, nightly_runs, flink, s3, source):
    """The archive task's client (java hose.jar) is SIGKILLed while its Flink job runs; Airflow's
    retry takes the table over; the first job goes on, but never commits.

    The first job is held up alive past the takeover: all of its ranges have imported the run's
    snapshot and wait behind a table lock, so they outlive the client's connection. The lock goes
    once the retry holds the table; the first job then runs on, and one of hose's defences must
    end it (the retry sweeps the old run's uploads, the dead launcher's snapshot cannot be
    imported again, the claim fences off the commit)."""
    spelling, schema, table, _ = KILL_TABLE
    output_root = f"{night['root']}/flink_kill/"
    wait_for("the Flink DAG done", lambda: scheduler.runs("e2e_flink") and scheduler.runs("e2e_flink")[0]["state"]
             in ("success", "failed"), FLINK_JOBS_TIMEOUT, every=1)
    known_jobs = {j["jid"] for j in flink.jobs()}

    scheduler.unpause("e2e_flink_kill")
    scheduler.wait_task("e2e_flink_kill", "archive", ("running",), timeout=300, try_number=1)
    planned = wait_for(
        "the run's plan in the task log",
        lambda: re.search(rf"{schema}\.{table}: ~[0-9,]+ rows, ([0-9]+) ranges",
                          scheduler.task_log("e2e_flink_kill", "archive", 1)),
        300, every=0.2,
    )
    ranges = int(planned.group(1))
    assert 1 <= ranges <= 4, "every range must be exporting at once (2 slots x 2 export threads)"
    lock = TableLock(source, f"{schema}.{table}")  # the launcher planned; its job's ranges will wait
    wait_for(f"{ranges} ranges waiting behind the lock", lambda: lock.waiting_behind(table) == ranges, 300)
    [first_job] = [j for j in flink.jobs() if j["jid"] not in known_jobs]
    run = scheduler.runs("e2e_flink_kill")[0]
    output = output_of(night, "flink_kill", run)
    claim = split(output + f"{schema}.{table}/_hose_claim.json")
    first_run = json.loads(s3.get_object(Bucket=claim[0], Key=claim[1])["Body"].read())["runId"]
    [client] = java_processes(output_root)
    client.send_signal(signal.SIGKILL)
    client.wait(timeout=30)

    # Airflow's own retry: try 2 takes the claim over (its launcher is gone) while the first job waits
    scheduler.wait_task("e2e_flink_kill", "archive", ("running",), timeout=120, try_number=2)

    def claim_taken_over():
        with contextlib.suppress(Exception):
            body = s3.get_object(Bucket=claim[0], Key=claim[1])["Body"].read()
            return json.loads(body)["runId"] != first_run
        return False

    wait_for("the retry's claim", claim_taken_over, 180)
    assert flink.job(first_job["jid"])["state"] == "RUNNING"
    lock.release()  # the first job exports its ranges and reaches its commit

    run = scheduler.wait_run("e2e_flink_kill", timeout=FLINK_JOBS_TIMEOUT)
    tis = scheduler.task_instances("e2e_flink_kill", run["run_id"])
    assert run["state"] == "success", {t: (ti["state"], ti["try_number"]) for t, ti in tis.items()}
    assert tis["archive"]["try_number"] == 2 and all(ti["try_number"] == 1 for t, ti in tis.items() if t != "archive")
    summary = scheduler.xcom("e2e_flink_kill", "archive")
    assert summary["runId"] != first_run

    def first_job_ended():
        job = flink.job(first_job["jid"])
        return job if job["state"] in ("FAILED", "CANCELED", "FINISHED") else None

    # The output is checked once the first job has ended too: until then it may still be uploading
    # (its fenced commit, or its failed ranges, then remove what it wrote).
    first = wait_for("the first job's end", first_job_ended, 300, every=1)
    assert first["state"] in ("FAILED", "CANCELED"), first
    manifests = check_tables(s3, source, summary, [KILL_TABLE], run, output)
    assert manifests[spelling]["runId"] == summary["runId"]
    exceptions = json.dumps(flink.get(f"/jobs/{first_job['jid']}/exceptions"))
    print(f"the first Flink job ended {first['state']}: {stopped_by(exceptions, f'{schema}.{table}')}")


def stopped_by(exceptions: str, table: str) -> str:
    """Which of hose's defences ended a Flink job whose client died (from its exception history)."""
    if f"not committing {table}" in exceptions:
        return "its commit was fenced off by the claim"
    if "writing the shard" in exceptions and ("NoSuchKey" in exceptions or "NoSuchUpload" in exceptions):
        return "the retry swept its temp uploads"
    if "SnapshotGoneException" in exceptions:
        return "its snapshot died with the client's connection"
    return "other: " + exceptions[:300]


def test_no_secret_in_task_logs_rendered_fields_or_xcoms(scheduler, night, nightly_runs, sandbox):
    secrets = {"database password": sandbox["password"], "S3 secret key": sandbox["secretKey"]}
    first_try_success(scheduler, "e2e_shared", count=14)  # the runs are done
    logs = sorted((scheduler.home / "logs").rglob("*.log"))
    assert len(logs) > 20
    rendered_rows = scheduler.sql("SELECT dag_id, task_id, rendered_fields FROM rendered_task_instance_fields")
    xcoms = scheduler.sql("SELECT dag_id, task_id, key, value FROM xcom")
    assert rendered_rows and xcoms
    for what, secret in secrets.items():
        for log in logs:
            assert secret not in log.read_text(errors="replace"), f"{what} in {log}"
        for row in rendered_rows:
            assert secret not in row["rendered_fields"], f"{what} in rendered fields of {row['task_id']}"
        for row in xcoms:
            assert secret not in str(row["value"]), f"{what} in XCom {row['task_id']}.{row['key']}"


# ---------------------------------------------------------------------------------------------


def ts(value: str) -> float:
    return dt.datetime.fromisoformat(value).timestamp()


def duration(scheduler: Scheduler, dag_id: str) -> float:
    run = scheduler.runs(dag_id)[0]
    return ts(run["end_date"]) - ts(run["start_date"])
