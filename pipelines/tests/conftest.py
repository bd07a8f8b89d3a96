"""Shared fixtures: the repository layout, a DagBag of pipelines/dags, a dags folder laid out as
a deployment holds it, and the hose sandbox (embedded PostgreSQL + S3 server from the hose jar) for
the end-to-end tests.

run-tests.sh sets AIRFLOW_HOME (target/airflow/home) and migrates its database before pytest.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "pipelines" / "dags"
SPECS = ROOT / "pipelines" / "specs"

os.environ.setdefault("AIRFLOW_HOME", str(ROOT / "target" / "airflow" / "home"))
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "false"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ.pop("HOSE_SPECS_DIR", None)
sys.path.insert(0, str(DAGS))


def dags_folder(root: Path, specs: dict[str, str]) -> Path:
    """A dags folder as a deployment holds it: the shared hose_* modules, launch/, .airflowignore,
    and per spec `specs/<name>.yaml` plus its DAG file `hose_<name>.py` (a copy of the shim)."""
    import shutil

    folder = root / "dags"
    (folder / "specs").mkdir(parents=True, exist_ok=True)
    for name in ("hose_common.py", "hose_specs.py", "hose_build.py", ".airflowignore"):
        shutil.copy(DAGS / name, folder / name)
    shutil.copytree(DAGS / "launch", folder / "launch", dirs_exist_ok=True)
    for name, text in specs.items():
        (folder / "specs" / f"{name}.yaml").write_text(text)
        shutil.copy(DAGS / "hose_archive.py", folder / f"hose_{name}.py")
    return folder


def hose_jar() -> Path:
    return Path(os.environ.get("HOSE_JAR", ROOT / "target" / "hose.jar")).resolve()


@pytest.fixture(scope="session")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    """`java -jar hose.jar sandbox`: loopback PostgreSQL and S3 until its stdin closes."""
    jar = hose_jar()
    if not jar.is_file():
        pytest.fail(f"{jar} not built (mvn package); the end-to-end tests run the real jar")
    workdir = tmp_path_factory.mktemp("sandbox")
    ready = workdir / "sandbox.json"
    log = open(workdir / "sandbox.log", "wb")
    proc = subprocess.Popen(
        ["java", "-Xmx512m", "-jar", str(jar), "sandbox", f"--dir={workdir}", "--rows=10"],
        stdin=subprocess.PIPE,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not ready.is_file():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"sandbox did not start (exit {proc.poll()}):\n{(workdir / 'sandbox.log').read_text()[-3000:]}")
            time.sleep(0.5)
        info = json.loads(ready.read_text())
        info["password"] = Path(info["passwordFile"]).read_text().strip()
        yield info
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def connection_env(sandbox: dict, database: str) -> dict[str, str]:
    """The hose_source and hose_s3 Airflow connections, as AIRFLOW_CONN_* variables."""
    host_port = sandbox["jdbcUrl"].split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    return {
        "AIRFLOW_CONN_HOSE_SOURCE": json.dumps(
            {
                "conn_type": "postgres",
                "host": host,
                "port": int(port),
                "schema": database,
                "login": sandbox["username"],
                "password": sandbox["password"],
            }
        ),
        "AIRFLOW_CONN_HOSE_S3": json.dumps(
            {
                "conn_type": "aws",
                "login": sandbox["accessKey"],
                "password": sandbox["secretKey"],
                "extra": {"region_name": sandbox["awsRegion"], "endpoint_url": sandbox["s3Endpoint"]},
            }
        ),
    }


def connect(sandbox: dict, dbname: str):
    """A psycopg connection (autocommit) to the sandbox's PostgreSQL."""
    import psycopg

    host_port = sandbox["jdbcUrl"].split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    return psycopg.connect(
        host=host, port=int(port), user=sandbox["username"], password=sandbox["password"], dbname=dbname,
        autocommit=True,
    )


def airflow(*args: str, env: dict[str, str], timeout: float = 900) -> str:
    """Runs the `airflow` CLI of this venv; fails the test on a non-zero exit; returns its output."""
    command = [str(Path(sys.executable).with_name("airflow")), *args]
    proc = subprocess.Popen(
        command,
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"{' '.join(args)} timed out:\n{out.decode(errors='replace')[-5000:]}")
    text = out.decode(errors="replace")
    assert proc.returncode == 0, f"airflow {' '.join(args)} exited {proc.returncode}:\n{text[-8000:]}"
    return text
