"""The helpers the DAGs share: runner configs, time formatting, local manifests, environment."""

from __future__ import annotations

import datetime as dt
import json
import os

import hose_common
import pytest
from conftest import ROOT


def test_runner_config_names_resolve_under_runner_configs_and_give_the_runner():
    path = hose_common.runner_config_path("direct")
    assert path == str(ROOT / "runner-configs" / "direct.properties")
    assert hose_common.runner_of(path) == "DirectRunner"
    with pytest.raises(FileNotFoundError, match="no-such-runner"):
        hose_common.runner_config_path("no-such-runner")


def test_each_command_runs_from_its_job_jar_and_flink_from_the_client_jar():
    direct = hose_common.runner_config_path("direct")
    flink = hose_common.runner_config_path("flink-cluster")
    target = hose_common.HOSE_HOME / "target"
    assert hose_common.jar_for("archive", direct) == str(target / "hose-archive.jar")
    assert hose_common.jar_for("verify", direct) == str(target / "hose-archive.jar")
    assert hose_common.jar_for("detect", direct) == str(target / "hose-detect.jar")
    assert hose_common.jar_for("archive", flink) == str(target / "hose.jar")


def test_instants_are_utc_with_a_z():
    eastern = dt.timezone(dt.timedelta(hours=-5))
    assert hose_common.utc_instant(dt.datetime(2026, 11, 23, 19, 0, tzinfo=eastern)) == "2026-11-24T00:00:00Z"


def test_manifest_on_a_local_prefix_is_none_until_written(tmp_path):
    prefix = tmp_path / "dt=2026-11-23" / "public.orders"
    assert hose_common.read_manifest(str(prefix)) is None
    prefix.mkdir(parents=True)
    (prefix / "_manifest.json").write_text(json.dumps({"rowCount": 3}))
    assert hose_common.read_manifest(str(prefix)) == {"rowCount": 3}
    assert hose_common.read_manifest(prefix.as_uri() + "/") == {"rowCount": 3}


def test_environment_is_restored_after_the_run(monkeypatch):
    monkeypatch.setenv("HOSE_KEEP", "before")
    monkeypatch.delenv("HOSE_SOURCE_PASSWORD", raising=False)
    with hose_common.environment({"HOSE_KEEP": "during", "HOSE_SOURCE_PASSWORD": "x"}):
        assert os.environ["HOSE_KEEP"] == "during" and os.environ["HOSE_SOURCE_PASSWORD"] == "x"
    assert os.environ["HOSE_KEEP"] == "before" and "HOSE_SOURCE_PASSWORD" not in os.environ
