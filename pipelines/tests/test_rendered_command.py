"""The commands the Beam hook would run, captured where it would start the process: the real DAG,
template rendering, connection lookup, operator, XCom and manifest checks, with only the java
process replaced by a stand-in that writes what hose would (the run summary and the manifests).

No secret may appear in a command; the secrets reach the java process through its environment.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from unittest import mock

import hose_specs
import pytest
from conftest import ROOT

PASSWORD = "pg-Secret-4711"
S3_SECRET = "s3-Secret-0815"
LOGICAL = dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc)
WATCHED = ("HOSE_SOURCE_PASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "JDK_JAVA_OPTIONS")
RUN_ID = "20261124T000102Z-abcd1234"


@pytest.fixture
def connections(monkeypatch, tmp_path):
    monkeypatch.setenv(
        "AIRFLOW_CONN_HOSE_SOURCE",
        f'{{"conn_type": "postgres", "host": "db.example", "port": 6543, "schema": "shop", '
        f'"login": "archiver", "password": "{PASSWORD}"}}',
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_HOSE_S3",
        f'{{"conn_type": "aws", "login": "AKIAEXAMPLE", "password": "{S3_SECRET}", '
        '"extra": {"region_name": "eu-west-1", "endpoint_url": "http://127.0.0.1:9000"}}',
    )
    monkeypatch.setenv("AIRFLOW_VAR_HOSE_ARCHIVE_ROOT", str(tmp_path / "archive"))
    monkeypatch.setenv("AIRFLOW_VAR_HOSE_JAR", "/opt/hose/hose.jar")
    monkeypatch.delenv("AIRFLOW_VAR_HOSE_RUNNER_CONFIG", raising=False)
    for name in WATCHED:
        monkeypatch.delenv(name, raising=False)


def option(cmd: list[str], name: str) -> str | None:
    return next((a.split("=", 1)[1] for a in cmd if a.startswith(f"--{name}=")), None)


def fake_hose(cmd: list[str]) -> None:
    """What a committed `hose archive` leaves (a manifest per table and the summary file), and the
    report of a `hose verify` that found every table as its manifest says."""
    if cmd[3].endswith("verify.args"):
        if option(cmd, "reportFile"):
            tables = []
            for spelling in option(cmd, "tables").split(","):
                schema, table = hose_specs.parse_table(spelling)
                manifest = json.loads(Path(option(cmd, "input"), f"{schema}.{table}", "_manifest.json").read_text())
                tables.append({"table": f"{schema}.{table}", "ok": True, "rows": manifest["rowCount"], "shards": 1})
            report = {"command": "verify", "ok": True, "tables": tables}
            Path(option(cmd, "reportFile")).write_text(json.dumps(report))
        return
    if not cmd[3].endswith("archive.args"):
        return
    output = option(cmd, "output").rstrip("/") + "/"
    tables = []
    for spelling in option(cmd, "tables").split(","):  # the spellings here hold no comma
        schema, table = hose_specs.parse_table(spelling)
        directory = f"{output}{schema}.{table}/"
        Path(directory).mkdir(parents=True, exist_ok=True)
        Path(directory, "_manifest.json").write_text(json.dumps({"runId": RUN_ID, "rowCount": 3, "shards": [{}]}))
        tables.append(
            {"spec": spelling, "table": f"{schema}.{table}", "dir": directory,
             "manifest": directory + "_manifest.json", "rows": 3, "shards": 1}
        )
    summary = {"command": "archive", "runId": RUN_ID, "snapshot": "00000003-1", "output": output, "tables": tables}
    Path(option(cmd, "summaryFile")).write_text(json.dumps(summary))


def run_capturing_commands(dag, **test_kwargs) -> tuple[list[tuple[list[str], dict]], object]:
    """dag.test() with the Beam hook's process launch replaced by `fake_hose`."""
    import airflow.providers.apache.beam.hooks.beam as beam_hook

    calls = []

    def record(cmd, log, **kwargs):
        calls.append((list(cmd), {k: os.environ.get(k) for k in WATCHED}))
        fake_hose(list(cmd))

    with mock.patch.object(beam_hook, "run_beam_command", record):
        run = dag.test(logical_date=LOGICAL, **test_kwargs)
    assert str(getattr(run.state, "value", run.state)) == "success", run
    return calls, run


def test_archive_commands_hold_no_secret_and_verify_reads_what_hose_reported(dagbag, connections, tmp_path):
    calls, run = run_capturing_commands(dagbag.dags["hose_archive"])
    archives = [(cmd, env) for cmd, env in calls if cmd[3].endswith("archive.args")]
    verifies = [(cmd, env) for cmd, env in calls if cmd[3].endswith("verify.args")]
    assert len(archives) == 1 and len(verifies) == 1, "one hose archive and one hose verify for all tables"
    root = tmp_path / "archive" / "dt=2026-11-23"
    [(verify_cmd, _)] = verifies
    assert option(verify_cmd, "input") == str(root)
    assert option(verify_cmd, "tables") == "public.orders,public.events,public.customers"
    assert not Path(option(verify_cmd, "reportFile")).exists(), "the report file is removed after it is read"
    for cmd, env in verifies:
        line = " ".join(cmd)
        assert PASSWORD not in line and S3_SECRET not in line
        assert "--runner=DirectRunner" in cmd
        assert not any(a.startswith(("--jdbcUrl", "--passwordEnv")) for a in cmd)
        assert env.get("HOSE_SOURCE_PASSWORD") is None and env.get("AWS_SECRET_ACCESS_KEY") == S3_SECRET
    [(cmd, env)] = archives
    line = " ".join(cmd)
    assert PASSWORD not in line and S3_SECRET not in line
    assert cmd[:4] == ["java", "-cp", "/opt/hose/hose.jar", "@" + str(ROOT / "pipelines/dags/launch/archive.args")]
    assert "--runner=DirectRunner" in cmd
    assert f"--runnerConfig={ROOT / 'runner-configs/direct.properties'}" in cmd
    assert "--jdbcUrl=jdbc:postgresql://db.example:6543/shop" in cmd
    assert "--username=archiver" in cmd and "--passwordEnv=HOSE_SOURCE_PASSWORD" in cmd
    assert "--awsRegion=eu-west-1" in cmd and "--endpoint=http://127.0.0.1:9000" in cmd
    assert f"--output={root}" in cmd
    assert "--overwrite" in cmd and "--wait" in cmd
    assert option(cmd, "tables") == "public.orders,public.events,public.customers"
    assert json.loads(option(cmd, "tableOptions")) == {
        "public.orders": {"partitionColumn": "id", "incrementalColumn": "created_at", "maxRowsPerBundle": 100000},
        "public.events": {"partitionColumn": "id", "incrementalColumn": "occurred_at", "maxRowsPerBundle": 100000},
        "public.customers": {"partitionColumn": "id", "maxRowsPerBundle": 100000},
    }
    assert "--since=2026-11-23T00:00:00Z" in cmd and "--until=2026-11-24T00:00:00Z" in cmd
    # The secrets are in the child's environment while it runs ...
    assert env == {
        "HOSE_SOURCE_PASSWORD": PASSWORD,
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": S3_SECRET,
        "JDK_JAVA_OPTIONS": "-Xmx1g",
    }
    # ... and gone from this process afterwards; the summary file is removed after it is read.
    assert all(os.environ.get(k) is None for k in WATCHED)
    assert not Path(option(cmd, "summaryFile")).exists()


def test_a_manifest_of_another_run_fails_its_table(dagbag, connections, tmp_path, monkeypatch):
    import airflow.providers.apache.beam.hooks.beam as beam_hook

    dag = dagbag.dags["hose_archive"]
    monkeypatch.setattr(dag.get_task("public__orders.manifest"), "retries", 0)  # no 5-minute retry

    def stale_orders(cmd, log, **kwargs):
        fake_hose(list(cmd))
        if cmd[3].endswith("archive.args"):
            path = Path(option(cmd, "output"), "public.orders", "_manifest.json")
            path.write_text(json.dumps({"runId": "an-earlier-run", "rowCount": 1, "shards": []}))

    with mock.patch.object(beam_hook, "run_beam_command", stale_orders):
        run = dag.test(logical_date=LOGICAL)
    states = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in run.get_task_instances()}
    assert states["public__orders.manifest"] == "failed" and states["public__orders.verify"] == "upstream_failed"
    assert states["public__events.verify"] == "success" and states["archive"] == "success"


def test_a_table_that_fails_verify_fails_only_its_own_task(dagbag, connections, monkeypatch):
    import airflow.providers.apache.beam.hooks.beam as beam_hook

    dag = dagbag.dags["hose_archive"]
    monkeypatch.setattr(dag.get_task("public__events.verify"), "retries", 0)

    def events_corrupt(cmd, log, **kwargs):
        fake_hose(list(cmd))
        if cmd[3].endswith("verify.args"):  # as hose does: the whole report, then exit 1
            path = Path(option(cmd, "reportFile"))
            report = json.loads(path.read_text())
            [events] = [t for t in report["tables"] if t["table"] == "public.events"]
            events.update(ok=False, problems=["shard-00000.jsonl.gz: sha256 differs from the manifest"])
            report["ok"] = False
            path.write_text(json.dumps(report))
            raise beam_hook.AirflowException("Apache Beam process failed with return code 1")

    with mock.patch.object(beam_hook, "run_beam_command", events_corrupt):
        run = dag.test(logical_date=LOGICAL)
    states = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in run.get_task_instances()}
    assert states["verify"] == "success", "verify ran and reported; each table's task says how its table did"
    assert states["public__events.verify"] == "failed"
    assert states["public__orders.verify"] == "success" and states["public__customers.verify"] == "success"


def test_runner_and_its_config_follow_the_runner_config_param(dagbag, connections, tmp_path):
    flink = tmp_path / "flink-local.properties"
    flink.write_text("# test\nrunner = FlinkRunner\nflinkMaster=[local]\n")
    calls, _ = run_capturing_commands(dagbag.dags["hose_archive"], run_conf={"runner_config": str(flink)})
    assert len(calls) == 2
    for cmd, _ in calls:
        assert "--runner=FlinkRunner" in cmd
        assert f"--runnerConfig={flink}" in cmd


def test_detect_command_line(dagbag, connections, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_HOSE_VIDEO_LISTS", "s3://videos/lists")
    monkeypatch.setenv("AIRFLOW_VAR_HOSE_DETECT_ROOT", "s3://bucket/detections")
    calls, _ = run_capturing_commands(
        dagbag.dags["hose_detect"], mark_success_pattern=r"^(wait_for_video_list|manifest)$"
    )
    [(cmd, env)] = calls
    assert cmd[3] == "@" + str(ROOT / "pipelines/dags/launch/detect.args")
    assert "--input=s3://videos/lists/2026-11-23.txt" in cmd
    assert "--output=s3://bucket/detections/dt=2026-11-23" in cmd
    assert "--detectors=motion,faces" in cmd and "--allowLocalFiles=false" in cmd
    assert S3_SECRET not in " ".join(cmd) and env["AWS_SECRET_ACCESS_KEY"] == S3_SECRET
