"""Airflow as a deployment runs it: `airflow standalone` (scheduler, dag-processor, api-server,
triggerer) with the LocalExecutor, for the tests that need the real scheduler.

Actions go through Airflow's REST API (unpause, mark failed, clear), as a user's would; what
happened is read from Airflow's own database (its SQLite file).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

VENV_BIN = Path(sys.executable).parent
FINISHED = ("success", "failed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Scheduler:
    """One `airflow standalone` in its own AIRFLOW_HOME, serving `dags`."""

    def __init__(self, home: Path, dags: Path, env: dict[str, str], parallelism: int = 8) -> None:
        self.home, self.dags, self.env, self.parallelism = home, dags, env, parallelism
        self.process: subprocess.Popen | None = None
        self.log_path = home / "standalone.log"
        self.url = ""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 240) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            **self.env,
            "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",  # standalone spawns `airflow …`
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(self.parallelism),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "true",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        }
        env.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", None)
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "airflow"), "standalone"],
            env=env,
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"airflow standalone exited {self.process.returncode}:\n{self.log_tail()}")
            try:
                health = self.api("GET", "/api/v2/monitor/health")
                components = ("scheduler", "dag_processor", "triggerer")
                if all(health.get(k, {}).get("status") == "healthy" for k in components):
                    return
            except (OSError, urllib.error.URLError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"airflow standalone not healthy after {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(1)

    def stop(self) -> None:
        """SIGTERM to standalone's process group (it and the components it spawned), SIGKILL after 60 s."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        deadline = time.monotonic() + 30
        while _group_alive(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()

    def log_tail(self, chars: int = 6000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    # -- the REST API ------------------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                data = response.read()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{method} {path}: HTTP {e.code}: {e.read().decode(errors='replace')}") from None
        return json.loads(data) if data else None

    def unpause(self, dag_id: str) -> None:
        """Unpausing a DAG whose catchup is off starts a run of its latest data interval at once."""
        self.api("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})

    def mark_failed(self, dag_id: str, run_id: str, task_id: str) -> None:
        self.api(
            "PATCH", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}", {"new_state": "failed"}
        )

    def clear(self, dag_id: str, run_id: str, task_id: str) -> None:
        """Clears a task and the tasks after it, as the UI's Clear does; the run starts again."""
        self.api(
            "POST",
            f"/api/v2/dags/{dag_id}/clearTaskInstances",
            {"dry_run": False, "dag_run_id": run_id, "task_ids": [task_id], "include_downstream": True,
             "only_failed": False, "reset_dag_runs": True},
        )

    # -- Airflow's database ------------------------------------------------------------------

    def sql(self, query: str, *params: Any) -> list[sqlite3.Row]:
        db = sqlite3.connect(f"file:{self.home / 'airflow.db'}?mode=ro", uri=True, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            for attempt in range(20):
                try:
                    return db.execute(query, params).fetchall()
                except sqlite3.OperationalError as e:
                    if "locked" not in str(e) or attempt == 19:
                        raise
                    time.sleep(0.2)
        finally:
            db.close()
        return []

    def wait_parsed(self, dag_ids: set[str], error_files: set[str], timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while True:
            dags = {r["dag_id"] for r in self.sql("SELECT dag_id FROM dag WHERE NOT is_stale")}
            errors = {Path(r["filename"]).name for r in self.sql("SELECT filename FROM import_error")}
            if dag_ids <= dags and error_files <= errors:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"parsed {sorted(dags)}, import errors {sorted(errors)}:\n{self.log_tail()}")
            time.sleep(1)

    def runs(self, dag_id: str) -> list[sqlite3.Row]:
        return self.sql("SELECT * FROM dag_run WHERE dag_id = ? ORDER BY id", dag_id)

    def wait_run(self, dag_id: str, timeout: float, states: tuple[str, ...] = FINISHED) -> sqlite3.Row:
        """The DAG's (first) run, once its state is one of `states`."""
        deadline = time.monotonic() + timeout
        while True:
            runs = self.runs(dag_id)
            if runs and runs[0]["state"] in states:
                return runs[0]
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{dag_id}: runs {[(r['run_id'], r['state']) for r in runs]} after {timeout:.0f} s; "
                    f"tasks {self.task_instances(dag_id) if runs else {}}"
                )
            time.sleep(1)

    def first_run_id(self, dag_id: str) -> str | None:
        """The run a test is about: its DAG's first. Every read below is scoped to it, because the
        scheduler starts the next night's run of a `0 0 * * *` DAG when a test crosses midnight UTC."""
        runs = self.runs(dag_id)
        return runs[0]["run_id"] if runs else None

    def task_instances(self, dag_id: str, run_id: str | None = None) -> dict[str, sqlite3.Row]:
        """The task instances of `run_id`, by default of the DAG's first run."""
        run_id = run_id or self.first_run_id(dag_id)
        rows = self.sql("SELECT * FROM task_instance WHERE dag_id = ? AND run_id = ?", dag_id, run_id)
        return {r["task_id"]: r for r in rows}

    def wait_task(self, dag_id: str, task_id: str, states: tuple[str, ...], timeout: float,
                  try_number: int | None = None) -> sqlite3.Row:
        deadline = time.monotonic() + timeout
        while True:
            ti = self.task_instances(dag_id).get(task_id)
            if ti is not None and ti["state"] in states and (try_number is None or ti["try_number"] == try_number):
                return ti
            if time.monotonic() > deadline:
                found = None if ti is None else (ti["state"], ti["try_number"])
                raise AssertionError(f"{dag_id}.{task_id}: {found}, waited for {states} try {try_number}")
            time.sleep(0.5)

    def xcom(self, dag_id: str, task_id: str, key: str = "return_value") -> Any:
        """The value `task_id` pushed in the DAG's first run."""
        [row] = self.sql(
            "SELECT value FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? AND key = ?",
            dag_id, self.first_run_id(dag_id), task_id, key,
        )
        value = json.loads(row["value"])
        return json.loads(value) if isinstance(value, str) else value

    def task_log(self, dag_id: str, task_id: str, try_number: int = 1) -> str:
        run_id = self.first_run_id(dag_id)
        if run_id is None:
            return ""
        logs = list((self.home / "logs").glob(f"dag_id={dag_id}/run_id={glob.escape(run_id)}/task_id={task_id}/attempt={try_number}.log"))
        return "\n".join(p.read_text(errors="replace") for p in logs)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
