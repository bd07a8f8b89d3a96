"""What the hose DAGs share: job specs, the operator that runs the hose jar, and object checks.

It lives next to the DAG files, so the folder can be dropped into Airflow's dags/ as it is.

Where things are (read when a DAG file is parsed, from the environment):
  HOSE_HOME       holds runner-configs/ and the jars under target/ (default: this repository)
  HOSE_SPECS_DIR  the job specs (default: ./specs next to this file if present, else ../specs)
Chosen per run (Airflow Variables, read when a task runs):
  hose_jar             one jar for every task (default: the command's job jar,
                       $HOSE_HOME/target/hose-archive.jar or hose-detect.jar; on Flink runners
                       $HOSE_HOME/target/hose.jar, the client that stages the job jar)
  hose_runner_config   a runner-configs/ name (direct, flink-local, flink-cluster) or a path;
                       the DAG param `runner_config` overrides it for one run (default direct)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import yaml
from airflow.providers.apache.beam.operators.beam import (
    GOOGLE_PROVIDER,
    BeamDataflowMixin,
    BeamRunJavaPipelineOperator,
)
from airflow.sdk import BaseHook, Param, PokeReturnValue, task

HERE = Path(__file__).resolve().parent
HOSE_HOME = Path(os.environ.get("HOSE_HOME", HERE.parent.parent)).resolve()
SPECS_DIR = Path(
    os.environ.get("HOSE_SPECS_DIR") or (HERE / "specs" if (HERE / "specs").is_dir() else HERE.parent / "specs")
)

#: The environment variable that carries the source database password to the java process.
SOURCE_PASSWORD_ENV = "HOSE_SOURCE_PASSWORD"

_RUNNER_CONFIG_NAME = "params.runner_config or var.value.get('hose_runner_config', 'direct')"
RUNNER_CONFIG_TEMPLATE = "{{ hose_runner_config(" + _RUNNER_CONFIG_NAME + ") }}"
RUNNER_TEMPLATE = "{{ hose_runner_of(hose_runner_config(" + _RUNNER_CONFIG_NAME + ")) }}"



def jar_template(command: str) -> str:
    """The jar a task runs: Variable hose_jar if set, else what `jar_for` picks."""
    return (
        "{{ var.value.get('hose_jar', '') or hose_jar_for('" + command + "', hose_runner_config("
        + _RUNNER_CONFIG_NAME + ")) }}"
    )

SINCE_TEMPLATE = "{{ hose_instant(data_interval_start) }}"
UNTIL_TEMPLATE = "{{ hose_instant(data_interval_end) }}"


# ---------------------------------------------------------------------------------------------
# Specs


def load_specs(kind: str) -> list[dict[str, Any]]:
    """Every spec in SPECS_DIR whose `kind` is `kind`, sorted by file name."""
    specs = []
    for path in sorted(SPECS_DIR.glob("*.y*ml")):
        spec = yaml.safe_load(path.read_text())
        if not isinstance(spec, dict):
            raise ValueError(f"{path}: a spec is a mapping")
        if spec.get("kind") == kind:
            spec["_path"] = str(path)
            specs.append(spec)
    return specs


def require(spec: dict[str, Any], allowed: set[str], required: set[str]) -> None:
    """Fails with one clear line on a missing or unknown key (shown as the DAG's import error)."""
    where = spec.get("_path", "spec")
    missing = sorted(required - spec.keys())
    unknown = sorted(spec.keys() - allowed - required - {"_path"})
    if missing:
        raise ValueError(f"{where}: missing {', '.join(missing)}")
    if unknown:
        raise ValueError(f"{where}: unknown {', '.join(unknown)} (allowed: {', '.join(sorted(allowed | required))})")


def dag_arguments(spec: dict[str, Any]) -> dict[str, Any]:
    """DAG(...) keyword arguments every hose DAG shares."""
    from airflow.sdk import CronDataIntervalTimetable

    start = spec["start_date"]
    if isinstance(start, str):
        start = dt.date.fromisoformat(start)
    return dict(
        dag_id=spec["dag_id"],
        description=spec.get("description"),
        # A data-interval timetable: each run covers [start, end) and starts once `end` has passed.
        schedule=CronDataIntervalTimetable(spec.get("schedule", "0 0 * * *"), timezone="UTC"),
        start_date=dt.datetime(start.year, start.month, start.day, tzinfo=dt.timezone.utc),
        catchup=bool(spec.get("catchup", False)),
        max_active_runs=1,
        default_args={"retries": int(spec.get("retries", 2)), "retry_delay": dt.timedelta(minutes=5)},
        params={
            "runner_config": Param(
                None,
                type=["null", "string"],
                description="runner-configs/ name (direct, flink-local, flink-cluster) or path; "
                "default: Variable hose_runner_config, else direct",
            )
        },
        user_defined_macros=MACROS,
        tags=["hose", spec["kind"]],
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
    if runner_of(config_path) == "FlinkRunner":
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
    """The Beam provider's Java operator, running one hose command (`archive`, `detect`).

    The provider starts `java -cp JAR JOB_CLASS --runner=R --option=value ...`; hose wants the
    command word first, so JOB_CLASS is a java launcher argument file (launch/COMMAND.args) that
    holds `dev.hose.Hose COMMAND`. Connections become options and environment variables at run
    time (see connection_settings), so no secret is ever in the command line or in the rendered
    template fields. The runner comes from the runner config, which hose also loads.
    """

    def __init__(
        self,
        *,
        command: str,
        source_conn_id: str | None = None,
        s3_conn_id: str | None = None,
        jvm_options: str | None = None,
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

    def execute(self, context: Any) -> Any:
        options, env = connection_settings(self.source_conn_id, self.s3_conn_id)
        self.pipeline_options = {**options, **self.pipeline_options}
        if self.jvm_options:
            env["JDK_JAVA_OPTIONS"] = self.jvm_options
        with environment(env):
            return super().execute(context)

    def _cast_dataflow_config(self) -> None:
        # The provider builds a DataflowConfiguration for every runner, but that class only exists
        # with the Google provider installed (NameError otherwise); hose does not run on Dataflow.
        if GOOGLE_PROVIDER:
            super()._cast_dataflow_config()


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
