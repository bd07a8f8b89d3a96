"""The helpers the DAGs share: runner configs, time formatting, local manifests, environment."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time

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


@pytest.mark.parametrize("runner", ["FlinkRunner", "flink", "Flink", "org.apache.beam.runners.flink.FlinkRunner"])
def test_every_form_of_the_flink_runner_name_runs_from_the_client_jar(runner, tmp_path):
    config = tmp_path / "flink.properties"
    config.write_text(f"runner = {runner}\nflinkMaster=[local]\n")
    assert hose_common.jar_for("archive", str(config)) == str(hose_common.HOSE_HOME / "target" / "hose.jar")
    assert not hose_common.is_flink("DirectRunner") and not hose_common.is_flink("FlinkRunnerX")


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


def test_a_password_file_replaces_the_password_in_the_environment(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_SRC",
        '{"conn_type": "postgres", "host": "db", "login": "u", "password": "never", '
        '"extra": {"password_file": "/run/secrets/pg"}}',
    )
    options, env = hose_common.connection_settings("SRC", None)
    assert options["passwordFile"] == "/run/secrets/pg" and "passwordEnv" not in options
    assert "never" not in json.dumps(options) + json.dumps(env)


def test_environment_is_restored_after_the_run(monkeypatch):
    monkeypatch.setenv("HOSE_KEEP", "before")
    monkeypatch.delenv("HOSE_SOURCE_PASSWORD", raising=False)
    with hose_common.environment({"HOSE_KEEP": "during", "HOSE_SOURCE_PASSWORD": "x"}):
        assert os.environ["HOSE_KEEP"] == "during" and os.environ["HOSE_SOURCE_PASSWORD"] == "x"
    assert os.environ["HOSE_KEEP"] == "before" and "HOSE_SOURCE_PASSWORD" not in os.environ


FAKE_JAVA = """#!/usr/bin/env python3
# Stands in for `java`: reports its process group, then runs until SIGTERM, after which it
# "cleans up" for CLEANUP seconds (ignoring further SIGTERMs) and exits 143.
import os, signal, sys, time
out = os.environ["FAKE_JAVA_OUT"]
def log(line):
    with open(out, "a") as f:
        f.write(line + "\\n")
def term(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    log("sigterm")
    time.sleep(float(os.environ.get("CLEANUP", "1")))
    log("cleaned up")
    sys.exit(143)
if os.environ.get("IGNORE_TERM"):
    signal.signal(signal.SIGTERM, lambda *a: log("sigterm ignored"))
else:
    signal.signal(signal.SIGTERM, term)
log(f"started pid={os.getpid()} pgid={os.getpgid(0)}")
log("argv " + " ".join(sys.argv[1:]))
print("working", flush=True)
while True:
    time.sleep(0.1)
"""


@pytest.fixture
def fake_java(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "java").write_text(FAKE_JAVA)
    (bin_dir / "java").chmod(0o755)
    out = tmp_path / "java.out"
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_JAVA_OUT", str(out))
    return out


def lines(path, wait_for: str, timeout: float = 15) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        text = path.read_text() if path.exists() else ""
        if wait_for in text:
            return text.splitlines()
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    raise AssertionError(f"{wait_for!r} not in {path.read_text() if path.exists() else '(no file)'}")


def operator(**kwargs):
    return hose_common.HoseJavaPipelineOperator(
        task_id="archive", command="archive", jar="/opt/hose.jar", runner="DirectRunner", **kwargs
    )


def test_a_timeout_inside_execute_stops_java_and_waits_for_its_cleanup(fake_java, monkeypatch):
    from airflow.sdk.exceptions import AirflowTaskTimeout
    from airflow.sdk.execution_time.timeout import timeout

    monkeypatch.setenv("CLEANUP", "1.5")
    task = operator(pipeline_options={"tables": "t"})
    started = time.monotonic()
    with pytest.raises(AirflowTaskTimeout), timeout(3):
        task.execute(context={})
    # execute returned only after the java process had cleaned up and exited
    assert lines(fake_java, "cleaned up", timeout=0)[-2:] == ["sigterm", "cleaned up"]
    assert task._java.popen.returncode == 143 and time.monotonic() - started >= 4.5
    pid, pgid = (int(part.split("=")[1]) for part in lines(fake_java, "started")[0].split()[1:])
    assert pid == pgid == task._java.popen.pid, "java runs in its own process group"


def test_on_kill_signals_java_and_a_reaper_kills_it_after_the_grace_period(fake_java, monkeypatch):
    monkeypatch.setenv("IGNORE_TERM", "1")
    task = operator(pipeline_options={"tables": "t"}, stop_grace=1.0)
    done = threading.Event()

    def run():
        try:
            task.execute(context={})
        except Exception:
            done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    lines(fake_java, "started")
    task.on_kill()  # returns at once; the process ignores SIGTERM, so the reaper must SIGKILL it
    assert "sigterm ignored" in lines(fake_java, "sigterm ignored")
    assert done.wait(timeout=15), "java was not killed after the grace period"
    assert task._java.popen.returncode == -signal.SIGKILL


def test_a_job_jar_with_its_launcher_beside_it_runs_through_the_launcher(tmp_path):
    launch = hose_common.HERE / "launch" / "archive.args"
    plain = ["java", "-cp", str(tmp_path / "hose-archive.jar"), f"@{launch}", "--runner=DirectRunner", "--tables=t"]
    assert hose_common.via_launcher(plain) == plain, "no launcher beside the jar: java -cp as the hook has it"
    (tmp_path / "hose-archive.jar").write_bytes(b"")
    launcher = tmp_path / "hose-archive"
    launcher.write_text("#!/bin/sh\n")
    assert hose_common.via_launcher(plain) == plain, "a launcher that is not executable is not used"
    launcher.chmod(0o755)
    assert hose_common.via_launcher(plain) == [str(launcher), "archive", "--runner=DirectRunner", "--tables=t"]
    other = ["java", "-cp", str(tmp_path / "hose-archive.jar"), "dev.hose.Hose"]
    assert hose_common.via_launcher(other) == other


def test_the_operator_starts_java_through_the_real_launcher(fake_java, tmp_path, monkeypatch):
    """The build's launcher (hose-common/src/main/sh/launcher.sh), next to a job jar: the java it
    execs (the fake java the hook would have run) gets `-jar JAR archive ...` in the same process,
    so stopping the task still reaches it."""
    jar = tmp_path / "hose-archive.jar"
    jar.write_bytes(b"not a jar")
    launcher = tmp_path / "hose-archive"
    launcher.write_bytes((ROOT / "hose-common/src/main/sh/launcher.sh").read_bytes())
    launcher.chmod(0o755)
    monkeypatch.setenv("CLEANUP", "0.1")
    monkeypatch.delenv("HOSE_JAVA", raising=False)
    task = hose_common.HoseJavaPipelineOperator(
        task_id="archive", command="archive", jar=str(jar), runner="DirectRunner", pipeline_options={"tables": "t"}
    )
    thread = threading.Thread(target=lambda: task.execute(context={}), daemon=True)
    thread.start()
    started, argv = lines(fake_java, "argv")[:2]
    words = argv.split()[1:]
    at = words.index("-jar")
    assert words[at : at + 3] == ["-jar", str(jar), "archive"] and "--tables=t" in words[at + 3 :], argv
    assert int(started.split()[1].split("=")[1]) == task._java.popen.pid, "java is the process the task started"
    task.on_kill()
    thread.join(timeout=15)
    assert lines(fake_java, "cleaned up")[-2:] == ["sigterm", "cleaned up"]


def test_java_gets_sigterm_when_the_task_process_dies(fake_java, tmp_path):
    task_process = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import hose_common; "
            "hose_common.HoseJavaPipelineOperator(task_id='a', command='archive', jar='x.jar', runner='DirectRunner')"
            ".execute(context={})",
            str(hose_common.HERE),
        ],
        env={**os.environ, "CLEANUP": "0.2"},
    )
    try:
        lines(fake_java, "started", timeout=60)
        task_process.kill()  # SIGKILL: no handler runs in the task process
        assert lines(fake_java, "cleaned up")[-2:] == ["sigterm", "cleaned up"]
    finally:
        task_process.kill()
        task_process.wait()
