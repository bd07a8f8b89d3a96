"""What the hose DAGs share: the operator that runs the hose jar, template macros, and checks of
the objects hose writes. Specs are read by hose_specs.py and turned into DAGs by hose_build.py.

It lives next to the DAG files, so the folder can be dropped into Airflow's dags/ as it is.

Where things are (read when a DAG file is parsed, from the environment):
  HOSE_HOME       holds runner-configs/ and the jars under target/ (default: this repository)
  HOSE_SPECS_DIR  the job specs (default: specs/ beside the DAG files if present, else ../specs)
Chosen per run (Airflow Variables, read when a task runs):
  hose_jar             one jar for every task (default: the command's job jar,
                       $HOSE_HOME/target/hose-archive.jar or hose-detect.jar; on Flink runners
                       $HOSE_HOME/target/hose.jar, the client that stages the job jar)
  hose_runner_config   a runner-configs/ name (direct, flink-local, flink-cluster) or a path;
                       the spec's runner_config, or the DAG param `runner_config` for one run,
                       comes first (default direct)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import airflow.providers.apache.beam.hooks.beam as beam_hook_module
from airflow.providers.apache.beam.operators.beam import (
    GOOGLE_PROVIDER,
    BeamDataflowMixin,
    BeamRunJavaPipelineOperator,
)
from airflow.sdk import BaseHook, PokeReturnValue, task
from airflow.sdk.exceptions import AirflowException

HERE = Path(__file__).resolve().parent
HOSE_HOME = Path(os.environ.get("HOSE_HOME", HERE.parent.parent)).resolve()


def specs_dir(dag_file: str | Path) -> Path:
    """Where the spec of a DAG file is: $HOSE_SPECS_DIR, else specs/ beside the DAG file if
    present, else ../specs (this repository's layout)."""
    here = Path(dag_file).resolve().parent
    if os.environ.get("HOSE_SPECS_DIR"):
        return Path(os.environ["HOSE_SPECS_DIR"])
    return here / "specs" if (here / "specs").is_dir() else here.parent / "specs"

#: The environment variable that carries the source database password to the java process.
SOURCE_PASSWORD_ENV = "HOSE_SOURCE_PASSWORD"

#: How long a stopped java process gets to clean up (abort uploads, release its claims, remove
#: partial output) after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 50.0

_RUNNER_CONFIG_NAME = "params.runner_config or var.value.get('hose_runner_config', 'direct')"
RUNNER_CONFIG_TEMPLATE = "{{ hose_runner_config(" + _RUNNER_CONFIG_NAME + ") }}"
RUNNER_TEMPLATE = "{{ hose_runner_of(hose_runner_config(" + _RUNNER_CONFIG_NAME + ")) }}"
SINCE_TEMPLATE = "{{ hose_instant(data_interval_start) }}"
UNTIL_TEMPLATE = "{{ hose_instant(data_interval_end) }}"


def jar_template(command: str) -> str:
    """The jar a task runs: Variable hose_jar if set, else what `jar_for` picks."""
    return (
        "{{ var.value.get('hose_jar', '') or hose_jar_for('" + command + "', hose_runner_config("
        + _RUNNER_CONFIG_NAME + ")) }}"
    )


# ---------------------------------------------------------------------------------------------
# Template macros


def runner_config_path(name_or_path: str) -> str:
    """`direct` -> $HOSE_HOME/runner-configs/direct.properties; an existing path is kept."""
    candidate = Path(name_or_path)
    if not candidate.suffix and not candidate.is_file():
        candidate = HOSE_HOME / "runner-configs" / f"{name_or_path}.properties"
    if not candidate.is_file():
        raise FileNotFoundError(f"runner config {name_or_path!r} not found (looked at {candidate})")
    return str(candidate.resolve())


def runner_of(config_path: str) -> str:
    """The `runner=` line of a runner config: the operator passes --runner, which must agree."""
    for line in Path(config_path).read_text().splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key.strip() == "runner":
            return value.strip()
    return "DirectRunner"


def is_flink(runner: str) -> bool:
    """Whether a runner name is the Flink runner's, in any form Beam takes: `FlinkRunner`,
    `flink` in any case, or the class name."""
    return runner.lower() in ("flink", "flinkrunner") or runner.endswith(".FlinkRunner")


#: The job jar of each command (verify and restore ship with archive).
JOB_JARS = {
    "archive": "hose-archive.jar",
    "verify": "hose-archive.jar",
    "restore": "hose-archive.jar",
    "detect": "hose-detect.jar",
}


def jar_for(command: str, config_path: str) -> str:
    """The command's job jar on DirectRunner; hose.jar, which carries Flink's client and stages
    the job jar (`filesToStage=${hose.jobJar}`), on Flink runners."""
    target = HOSE_HOME / "target"
    if is_flink(runner_of(config_path)):
        return str(target / "hose.jar")
    return str(target / JOB_JARS[command])


def utc_instant(moment: dt.datetime) -> str:
    """2026-11-23T00:00:00Z: the form hose's --since/--until take."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


MACROS = {
    "hose_runner_config": runner_config_path,
    "hose_runner_of": runner_of,
    "hose_jar_for": jar_for,
    "hose_instant": utc_instant,
}


# ---------------------------------------------------------------------------------------------
# The operator


def connection_settings(source_conn_id: str | None, s3_conn_id: str | None) -> tuple[dict, dict]:
    """(pipeline options, child environment) from Airflow connections.

    Only non-secret fields become options; the database password and the S3 keys go into the
    environment of the java process (hose's --passwordEnv and the AWS SDK's default chain).
    """
    options: dict[str, Any] = {}
    env: dict[str, str] = {}
    if source_conn_id:
        conn = BaseHook.get_connection(source_conn_id)
        extra = conn.extra_dejson
        options["jdbcUrl"] = extra.get("jdbc_url") or (
            f"jdbc:postgresql://{conn.host}:{conn.port or 5432}/{conn.schema or 'postgres'}"
        )
        options["username"] = conn.login
        if extra.get("password_file"):
            # A file that holds the password where hose runs (worker and Flink TaskManagers, e.g. a
            # mounted Kubernetes secret): then no password travels through Airflow at all.
            options["passwordFile"] = extra["password_file"]
        else:
            options["passwordEnv"] = SOURCE_PASSWORD_ENV
            env[SOURCE_PASSWORD_ENV] = conn.password or ""
    s3 = _optional_connection(s3_conn_id)
    if s3 is not None:
        extra = s3.extra_dejson
        if extra.get("region_name"):
            options["awsRegion"] = extra["region_name"]
        if extra.get("endpoint_url"):
            options["endpoint"] = extra["endpoint_url"]
        if s3.login:
            env["AWS_ACCESS_KEY_ID"] = s3.login
            env["AWS_SECRET_ACCESS_KEY"] = s3.password or ""
    return options, env


@contextlib.contextmanager
def environment(extra: dict[str, str]) -> Iterator[None]:
    """Adds `extra` to os.environ (which the Beam hook's subprocess inherits), then restores it."""
    saved = {key: os.environ.get(key) for key in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class _DataflowOnlyWithGoogle(BeamDataflowMixin):
    """The Beam provider (6.x) refuses to build any of its operators unless the Google provider is
    installed, though only DataflowRunner needs it. Ahead of BeamDataflowMixin in the MRO, this
    skips that check when the Google provider is absent; with it installed nothing changes."""

    def __init__(self) -> None:
        if GOOGLE_PROVIDER:
            super().__init__()


class HoseJavaPipelineOperator(BeamRunJavaPipelineOperator, _DataflowOnlyWithGoogle):
    """The Beam provider's Java operator, running one hose command (`archive`, `verify`, `detect`).

    The provider starts `java -cp JAR JOB_CLASS --runner=R --option=value ...`; hose wants the
    command word first, so JOB_CLASS is a java launcher argument file (launch/COMMAND.args) that
    holds `dev.hose.Hose COMMAND`. Connections become options and environment variables at run
    time (see connection_settings), so no secret is ever in the command line or in the rendered
    template fields. The runner comes from the runner config, which hose also loads.

    With `report="summaryFile"` (archive: runId, snapshot and per table its spelling, directory,
    manifest, rows) or `report="reportFile"` (verify: per table ok, rows, shards, problems) hose
    writes that JSON file to a temp directory, and it becomes the task's return value (XCom). With
    `tables_fail_downstream=True` (verify of many tables), a run that wrote its report and exited 1
    because some table failed succeeds with that report: the per-table tasks after it fail for
    exactly the tables that did (hose writes the report only once every table has a result).

    Stopping: the java process runs in its own process group (see JavaProcess), so it is never
    killed along with the task process. When Airflow stops the task (on_kill: a user marked it
    failed, the scheduler lost it) or execute ends with an exception (execution_timeout raises
    AirflowTaskTimeout inside it), the java process gets SIGTERM and `stop_grace` seconds to clean
    up before SIGKILL.
    """

    def __init__(
        self,
        *,
        command: str,
        source_conn_id: str | None = None,
        s3_conn_id: str | None = None,
        jvm_options: str | None = None,
        report: str | None = None,
        tables_fail_downstream: bool = False,
        stop_grace: float = STOP_GRACE_SECONDS,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("jar", jar_template(command))
        kwargs.setdefault("runner", RUNNER_TEMPLATE)
        kwargs.setdefault("deferrable", False)  # the triggerer would not get the secrets' environment
        super().__init__(job_class="@" + str(HERE / "launch" / f"{command}.args"), **kwargs)
        self.command = command
        self.source_conn_id = source_conn_id
        self.s3_conn_id = s3_conn_id
        self.jvm_options = jvm_options
        self.report = report
        self.tables_fail_downstream = tables_fail_downstream
        self.stop_grace = stop_grace
        self._java: JavaProcess | None = None

    def execute(self, context: Any) -> Any:
        options, env = connection_settings(self.source_conn_id, self.s3_conn_id)
        self.pipeline_options = {**options, **self.pipeline_options}
        if self.jvm_options:
            env["JDK_JAVA_OPTIONS"] = self.jvm_options
        report_dir = Path(tempfile.mkdtemp(prefix="hose-report-")) if self.report else None
        report_file = report_dir / "report.json" if report_dir else None
        if report_file:
            self.pipeline_options[self.report] = str(report_file)
        try:
            with environment(env), JavaProcess.started_by_beam(self):
                super().execute(context)
            return read_report(report_file) if report_file else None
        except AirflowException as e:
            if not (self.tables_fail_downstream and report_file and report_file.is_file()):
                self.stop_java(f"the task ends with {type(e).__name__}", wait=True)
                raise
            report = read_report(report_file)
            failed = [t.get("table") for t in report.get("tables", []) if not t.get("ok")]
            self.log.warning("hose %s failed for %d table(s), each failing its own task: %s",
                             self.command, len(failed), ", ".join(map(str, failed)))
            return report
        except BaseException as e:
            self.stop_java(f"the task ends with {type(e).__name__}", wait=True)
            raise
        finally:
            if report_dir:
                shutil.rmtree(report_dir, ignore_errors=True)

    def on_kill(self) -> None:
        # Called in the task process's SIGTERM handler: signal, do not wait here. The Beam hook's
        # loop, which this interrupts, goes on logging the process's output until it exits.
        self.stop_java("Airflow stops the task (on_kill)", wait=False)
        super().on_kill()

    def stop_java(self, why: str, wait: bool) -> None:
        if self._java is not None:
            self._java.stop(why, self.stop_grace, self.log, wait=wait)

    def _cast_dataflow_config(self) -> None:
        # The provider builds a DataflowConfiguration for every runner, but that class only exists
        # with the Google provider installed (NameError otherwise); hose does not run on Dataflow.
        if GOOGLE_PROVIDER:
            super()._cast_dataflow_config()


def read_report(path: Path) -> dict[str, Any]:
    """hose's run summary or verify report (written only by a run that got to its end)."""
    if not path.is_file():
        raise RuntimeError(f"hose exited 0 but wrote no report at {path} (is the jar older than the option?)")
    return json.loads(path.read_text(encoding="utf-8"))


# What a stopped java process is left to, should the task process die first (the supervisor
# SIGKILLs the task process's group 5 s after its SIGTERM): SIGKILL after the grace period, unless
# the process with that pid and start time is gone. It runs in its own session, so that SIGKILL
# does not reach it.
_REAPER = """
import os, signal, sys, time
pid, started, deadline = int(sys.argv[1]), sys.argv[2], time.monotonic() + float(sys.argv[3])
def same():
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19] == started
    except OSError:
        return False
while same() and time.monotonic() < deadline:
    time.sleep(0.5)
if same():
    os.killpg(pid, signal.SIGKILL)
"""

# The java process gets SIGTERM when the thread that started it dies (prctl PR_SET_PDEATHSIG,
# kept across exec), so a task process killed outright still lets hose clean up.
_DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)\n"
    "if os.getppid() == int(sys.argv[1]): os.execvp(sys.argv[2], sys.argv[2:])\n"
)


class JavaProcess:
    """The java process the Beam hook starts, started so that it outlives a killed task process
    only as long as its cleanup takes.

    The hook calls subprocess.Popen itself (run_beam_command) and keeps the process to itself;
    `started_by_beam` lends the hook a Popen that starts the same command in its own session (the
    supervisor signals the task process's group: its SIGKILL, 5 s after SIGTERM, would cut hose's
    cleanup short) and, on Linux, through a tiny exec wrapper that makes the process get SIGTERM
    when the task process dies.
    """

    def __init__(self, popen: subprocess.Popen) -> None:
        self.popen = popen

    @classmethod
    @contextlib.contextmanager
    def started_by_beam(cls, operator: HoseJavaPipelineOperator) -> Iterator[None]:
        def popen(cmd, *args, **kwargs):
            launched = via_launcher(list(cmd))
            if launched != list(cmd):
                operator.log.info("running it through the jar's launcher: %s %s", launched[0], launched[1])
                env = dict(kwargs.get("env") or os.environ)
                env.setdefault("HOSE_JAVA", shutil.which(cmd[0]) or cmd[0])  # the java the hook chose
                kwargs["env"] = env
                cmd = launched
            if sys.platform.startswith("linux"):
                cmd = [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), *cmd]
            kwargs["start_new_session"] = True
            operator._java = cls(subprocess.Popen(cmd, *args, **kwargs))
            return operator._java.popen

        guarded = types.ModuleType("subprocess")
        guarded.__dict__.update(subprocess.__dict__)
        guarded.Popen = popen
        saved = beam_hook_module.subprocess
        beam_hook_module.subprocess = guarded
        try:
            yield
        finally:
            beam_hook_module.subprocess = saved

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, why: str, grace: float, log, wait: bool) -> None:
        """SIGTERM to the process group, a reaper that SIGKILLs it after `grace` seconds; with
        `wait`, waits for the exit here (logging the process's last output), else returns."""
        if not self.alive():
            return
        pid = self.popen.pid
        log.warning("%s: stopping java (pid %s): SIGTERM, SIGKILL after %.0f s", why, pid, grace)
        started = _start_time(pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        if started is not None:
            subprocess.Popen(
                [sys.executable, "-c", _REAPER, str(pid), started, str(grace)],
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        if not wait:
            return
        deadline = time.monotonic() + grace + 5
        self._drain(log, deadline)
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        code = self.popen.wait()
        log.warning("java (pid %s) exited with %s after SIGTERM", pid, code)

    def _drain(self, log, deadline: float) -> None:
        """Logs what the process writes until it exits or `deadline`: its cleanup must never block
        on a full pipe."""
        streams = {s.fileno(): (s, log.warning if s is self.popen.stderr else log.info)
                   for s in (self.popen.stdout, self.popen.stderr) if s is not None and not s.closed}
        pending = {fd: b"" for fd in streams}
        while self.alive() and time.monotonic() < deadline:
            if not streams:
                time.sleep(0.2)
                continue
            ready, _, _ = select.select(list(streams), [], [], 0.5)
            for fd in ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    del streams[fd]
                    continue
                *lines, pending[fd] = (pending[fd] + chunk).split(b"\n")
                for line in lines:
                    streams[fd][1](line.decode(errors="replace"))


def via_launcher(cmd: list[str]) -> list[str]:
    """The Beam hook's `java -cp JAR @launch/COMMAND.args ARGS...` as `LAUNCHER COMMAND ARGS...`
    when JAR has hose's launcher beside it (target/hose-archive next to target/hose-archive.jar).
    That is `java -jar JAR COMMAND ARGS...` started from the JVM's class cache (docs/deploying.md,
    "The launcher"), about a second less for every task, and it execs java in the same process, so
    stopping it is unchanged. Any other command is returned as it is: a jar without a launcher
    (Variable hose_jar naming another jar) runs as before."""
    if len(cmd) < 4 or Path(cmd[0]).name != "java" or cmd[1] != "-cp" or not cmd[3].startswith("@"):
        return cmd
    jar = Path(cmd[2])
    launcher = jar.with_suffix("")
    if jar.suffix != ".jar" or not launcher.is_file() or not os.access(launcher, os.X_OK):
        return cmd
    _main_class, *words = Path(cmd[3][1:]).read_text(encoding="utf-8").split()
    return [str(launcher), *words, *cmd[4:]]


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks (/proc/PID/stat field 22), or None off Linux."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


def check_manifest(task_id: str, summary: Any, spelling: str, s3_conn_id: str | None):
    """A task that finds table `spelling` in a hose archive summary (the archive task's XCom),
    reads the manifest hose committed there and checks it belongs to that run. Its XCom: the
    table's `dir`, `manifest`, `runId`, `rows` and `shards`, for the tasks after it."""

    @task(task_id=task_id)
    def manifest(summary: dict[str, Any], spelling: str, s3_conn_id: str | None) -> dict[str, Any]:
        entry = next((t for t in summary.get("tables", []) if t.get("spec") == spelling), None)
        if entry is None:
            raise ValueError(f"hose's summary of run {summary.get('runId')} has no table {spelling!r}")
        data = read_object(entry["manifest"], s3_conn_id)
        if data is None:
            raise FileNotFoundError(f"{entry['manifest']} is missing although run {summary['runId']} committed it")
        committed = json.loads(data)
        if committed.get("runId") != summary["runId"]:
            raise ValueError(
                f"{entry['manifest']} holds run {committed.get('runId')}, not this task's run {summary['runId']}"
            )
        return {
            "table": entry["table"],
            "dir": entry["dir"],
            "manifest": entry["manifest"],
            "runId": summary["runId"],
            "rows": committed.get("rowCount"),
            "shards": len(committed.get("shards", [])),
        }

    return manifest(summary, spelling, s3_conn_id)


def check_verified(task_id: str, report: Any, checked: Any):
    """A task that finds one table in the report of a `hose verify` over all of a run's tables (the
    verify task's XCom) and fails, with that table's problems, unless it verified with the rows of
    its manifest. `checked` is the table's manifest task's XCom."""

    @task(task_id=task_id)
    def verified(report: dict[str, Any], checked: dict[str, Any]) -> dict[str, Any]:
        result = next((t for t in report.get("tables", []) if t.get("table") == checked["table"]), None)
        if result is None:
            raise ValueError(f"hose verify's report has no table {checked['table']}")
        if not result.get("ok"):
            raise ValueError(f"{checked['dir']} failed verification: " + "; ".join(result.get("problems", [])))
        if result.get("rows") != checked["rows"]:
            raise ValueError(f"{checked['dir']}: verify read {result.get('rows')} rows, the manifest says {checked['rows']}")
        return result

    return verified(report, checked)

# ---------------------------------------------------------------------------------------------
# Objects on S3 or local disk: manifests and input lists


def read_object(uri: str, s3_conn_id: str | None = None) -> bytes | None:
    """The bytes at an s3:// URI or a local path (file:// accepted), or None if it is absent."""
    if uri.startswith("s3://"):
        bucket, _, key = uri[len("s3://") :].partition("/")
        client = s3_client(s3_conn_id)
        try:
            return client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except client.exceptions.NoSuchKey:
            return None
    path = Path(unquote(urlparse(uri).path) if uri.startswith("file://") else uri)
    return path.read_bytes() if path.is_file() else None


def read_manifest(prefix: str, s3_conn_id: str | None = None) -> dict[str, Any] | None:
    """`<prefix>/_manifest.json`, parsed, or None while the output is not committed."""
    data = read_object(prefix.rstrip("/") + "/_manifest.json", s3_conn_id)
    return None if data is None else json.loads(data)


def s3_client(conn_id: str | None):
    """A boto3 S3 client from an aws connection (keys, region_name, endpoint_url; path-style
    addressing when an endpoint is set), else from the AWS default chain."""
    import boto3
    from botocore.config import Config

    conn = _optional_connection(conn_id)
    extra = conn.extra_dejson if conn else {}
    endpoint = extra.get("endpoint_url")
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=extra.get("region_name") or os.environ.get("AWS_REGION") or "us-east-1",
        aws_access_key_id=(conn.login or None) if conn else None,
        aws_secret_access_key=(conn.password or None) if conn else None,
        config=Config(s3={"addressing_style": "path" if endpoint else "auto"}),
    )


def wait_for_manifest(task_id: str, prefix: str, s3_conn_id: str | None, timeout: float = 600):
    """A sensor task that succeeds once `<prefix>/_manifest.json` exists (hose writes it last, so
    it marks complete output) and pushes the manifest as its XCom. `prefix` is templated."""

    @task.sensor(task_id=task_id, poke_interval=10, timeout=timeout, mode="reschedule")
    def manifest_committed(prefix: str, s3_conn_id: str | None) -> PokeReturnValue:
        manifest = read_manifest(prefix, s3_conn_id)
        return PokeReturnValue(is_done=manifest is not None, xcom_value=manifest)

    return manifest_committed(prefix, s3_conn_id)


def wait_for_object(task_id: str, uri: str, s3_conn_id: str | None, timeout: float, soft_fail: bool = True):
    """A sensor task that succeeds once the object at `uri` (templated) exists; after `timeout`
    seconds it is skipped (soft_fail), and so are the tasks after it."""

    @task.sensor(task_id=task_id, poke_interval=60, timeout=timeout, mode="reschedule", soft_fail=soft_fail)
    def object_exists(uri: str, s3_conn_id: str | None) -> bool:
        return read_object(uri, s3_conn_id) is not None

    return object_exists(uri, s3_conn_id)


def _optional_connection(conn_id: str | None):
    if not conn_id:
        return None
    try:
        return BaseHook.get_connection(conn_id)
    except Exception as e:  # AirflowNotFoundException: the AWS default chain applies
        if type(e).__name__ == "AirflowNotFoundException":
            return None
        raise
