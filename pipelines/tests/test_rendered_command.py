"""The command the Beam hook would run, captured where it would start the process: the real DAG,
template rendering, connection lookup and operator, with only the subprocess replaced.

No secret may appear in it; the secrets reach the java process through its environment.
"""

from __future__ import annotations

import datetime as dt
import os
from unittest import mock

import pytest
from conftest import ROOT

PASSWORD = "pg-Secret-4711"
S3_SECRET = "s3-Secret-0815"
LOGICAL = dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc)
WATCHED = ("HOSE_SOURCE_PASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "JDK_JAVA_OPTIONS")


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
    monkeypatch.setenv("AIRFLOW_VAR_HOSE_ARCHIVE_ROOT", "s3://bucket/archive")
    monkeypatch.setenv("AIRFLOW_VAR_HOSE_JAR", "/opt/hose/hose.jar")
    monkeypatch.delenv("AIRFLOW_VAR_HOSE_RUNNER_CONFIG", raising=False)
    for name in WATCHED:
        monkeypatch.delenv(name, raising=False)


def run_capturing_commands(dag, **test_kwargs) -> list[tuple[list[str], dict]]:
    """dag.test() with the Beam hook's process launch replaced by a recorder."""
    import airflow.providers.apache.beam.hooks.beam as beam_hook

    calls = []

    def record(cmd, log, **kwargs):
        calls.append((list(cmd), {k: os.environ.get(k) for k in WATCHED}))

    with mock.patch.object(beam_hook, "run_beam_command", record):
        run = dag.test(logical_date=LOGICAL, **test_kwargs)
    assert str(getattr(run.state, "value", run.state)) == "success", run
    return calls


def test_archive_command_line_holds_no_secret_and_the_right_window(dagbag, connections):
    calls = run_capturing_commands(dagbag.dags["hose_archive"], mark_success_pattern=r".*\.manifest$")
    verifies = [(cmd, env) for cmd, env in calls if cmd[3].endswith("verify.args")]
    calls = [(cmd, env) for cmd, env in calls if cmd[3].endswith("archive.args")]
    assert len(calls) == 3 and len(verifies) == 3
    for cmd, env in verifies:
        line = " ".join(cmd)
        assert PASSWORD not in line and S3_SECRET not in line
        assert "--runner=DirectRunner" in cmd
        assert any(a.startswith("--input=s3://bucket/archive/dt=2026-11-23/public.") for a in cmd), cmd
        assert not any(a.startswith(("--jdbcUrl", "--passwordEnv")) for a in cmd)
        assert env.get("HOSE_SOURCE_PASSWORD") is None and env.get("AWS_SECRET_ACCESS_KEY") == S3_SECRET
    by_table = {}
    for cmd, env in calls:
        line = " ".join(cmd)
        assert PASSWORD not in line and S3_SECRET not in line
        assert cmd[:4] == ["java", "-cp", "/opt/hose/hose.jar", "@" + str(ROOT / "pipelines/dags/launch/archive.args")]
        assert "--runner=DirectRunner" in cmd
        assert f"--runnerConfig={ROOT / 'runner-configs/direct.properties'}" in cmd
        assert "--jdbcUrl=jdbc:postgresql://db.example:6543/shop" in cmd
        assert "--username=archiver" in cmd
        assert "--passwordEnv=HOSE_SOURCE_PASSWORD" in cmd
        assert "--awsRegion=eu-west-1" in cmd and "--endpoint=http://127.0.0.1:9000" in cmd
        assert "--output=s3://bucket/archive/dt=2026-11-23" in cmd
        assert "--overwrite" in cmd
        # The secrets are in the child's environment while it runs ...
        assert env == {
            "HOSE_SOURCE_PASSWORD": PASSWORD,
            "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": S3_SECRET,
            "JDK_JAVA_OPTIONS": "-Xmx1g",
        }
        by_table[next(a for a in cmd if a.startswith("--tables=")).split("=", 1)[1]] = cmd
    # ... and gone from this process afterwards.
    assert all(os.environ.get(k) is None for k in WATCHED)
    assert set(by_table) == {"public.orders", "public.events", "public.customers"}
    orders = by_table["public.orders"]
    assert "--incrementalColumn=created_at" in orders and "--partitionColumn=id" in orders
    assert "--since=2026-11-23T00:00:00Z" in orders and "--until=2026-11-24T00:00:00Z" in orders
    assert not any(a.startswith(("--since", "--incrementalColumn")) for a in by_table["public.customers"])


def test_runner_and_its_config_follow_the_runner_config_param(dagbag, connections, tmp_path):
    flink = tmp_path / "flink-local.properties"
    flink.write_text("# test\nrunner = FlinkRunner\nflinkMaster=[local]\n")
    calls = run_capturing_commands(
        dagbag.dags["hose_archive"],
        mark_success_pattern=r".*\.manifest$",
        run_conf={"runner_config": str(flink)},
    )
    for cmd, _ in calls:
        assert "--runner=FlinkRunner" in cmd
        assert f"--runnerConfig={flink}" in cmd


def test_detect_command_line(dagbag, connections, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_HOSE_VIDEO_LISTS", "s3://videos/lists")
    monkeypatch.setenv("AIRFLOW_VAR_HOSE_DETECT_ROOT", "s3://bucket/detections")
    calls = run_capturing_commands(
        dagbag.dags["hose_detect"], mark_success_pattern=r"^(wait_for_video_list|manifest)$"
    )
    [(cmd, env)] = calls
    assert cmd[3] == "@" + str(ROOT / "pipelines/dags/launch/detect.args")
    assert "--input=s3://videos/lists/2026-11-23.txt" in cmd
    assert "--output=s3://bucket/detections/dt=2026-11-23" in cmd
    assert "--detectors=motion,faces" in cmd and "--allowLocalFiles=false" in cmd
    assert S3_SECRET not in " ".join(cmd) and env["AWS_SECRET_ACCESS_KEY"] == S3_SECRET
