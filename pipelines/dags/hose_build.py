"""Builds the DAG of one spec: `dag_for(__file__)` in a DAG file `hose_<name>.py` reads
`<specs dir>/<name>.yaml` and returns the DAG its `kind` describes.

One DAG file per spec, because Airflow records import errors per Python file: a broken spec then
fails only its own DAG, and the error names the spec file and line.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, CronDataIntervalTimetable, Param, TaskGroup

import hose_specs
from hose_common import (
    MACROS,
    RUNNER_CONFIG_TEMPLATE,
    SINCE_TEMPLATE,
    UNTIL_TEMPLATE,
    HoseJavaPipelineOperator,
    check_manifest,
    check_verified,
    specs_dir,
    wait_for_manifest,
    wait_for_object,
)
from hose_specs import Spec, TableEntry

ARCHIVE_DOC = """\
Archives the tables of `{spec}` ({mode} snapshot) for the run's data interval into
`<output>/<schema>.<table>/`: JSONL.gz shards and `_manifest.json`, written last as the commit marker.

{shape}

Every table then has `<group>.manifest` (the manifest hose reports in its run summary, checked to be
this run's) and `<group>.verify` (every shard read back against the manifest by `hose verify`). Tables
with an `incremental_column` get the run's `[data_interval_start, data_interval_end)`; the others are
full snapshots. Every run writes with `--overwrite`, so a retry rewrites the same complete output.
"""
SHARED = (
    "`archive` runs one `hose archive` for all tables: one JVM, one exported snapshot, so all tables are "
    "from one moment. A retry re-runs every table on one new snapshot. `verify` then runs one `hose verify` "
    "of all tables (one JVM), and each `<group>.verify` shows its table's result from that report."
)
PER_TABLE = (
    "`<group>.archive` runs one `hose archive` per table, each with its own snapshot and retries: "
    "tables come from different moments. `<group>.verify` runs `hose verify` of that table."
)
DETECT_DOC = """\
Runs `hose detect` over the day's video list (`{spec}`): `wait_for_video_list` (the run is skipped
if the list never appears) >> `detect` (into the run's date-stamped prefix) >> `manifest` (waits for
`_manifest.json`, written last).
"""


def dag_for(dag_file: str) -> DAG:
    """The DAG of the spec named after `dag_file` (`hose_archive.py` -> `archive.yaml`)."""
    name = Path(dag_file).stem.removeprefix("hose_")
    folder = specs_dir(dag_file)
    path = folder / f"{name}.yaml"
    if not path.is_file() and (folder / f"{name}.yml").is_file():
        path = folder / f"{name}.yml"
    return build(hose_specs.read_spec(path))


def build(spec: Spec) -> DAG:
    kind = hose_specs.check_keys(spec)
    hose_specs.check_common(spec)
    return {"archive": build_archive, "detect": build_detect}[kind](spec)


def dag_arguments(spec: Spec, doc_md: str) -> dict[str, Any]:
    """DAG(...) keyword arguments every hose DAG shares."""
    start = hose_specs.start_date(spec)
    default_args: dict[str, Any] = {
        "retries": int(spec.get("retries", 2)),
        "retry_delay": dt.timedelta(seconds=float(spec.get("retry_delay", 300))),
    }
    return dict(
        dag_id=spec["dag_id"],
        description=spec.get("description"),
        doc_md=doc_md,
        # A data-interval timetable: each run covers [start, end) and starts once `end` has passed.
        schedule=CronDataIntervalTimetable(spec.get("schedule", "0 0 * * *"), timezone="UTC"),
        start_date=dt.datetime(start.year, start.month, start.day, tzinfo=dt.timezone.utc),
        catchup=bool(spec.get("catchup", False)),
        max_active_runs=1,
        default_args=default_args,
        params={
            "runner_config": Param(
                spec.get("runner_config"),
                type=["null", "string"],
                description="runner-configs/ name (direct, flink-local, flink-cluster) or path; "
                "default: the spec's runner_config, else Variable hose_runner_config, else direct",
            )
        },
        user_defined_macros=MACROS,
        tags=["hose", spec["kind"]],
    )


def execution_timeout(spec: Spec) -> dt.timedelta | None:
    seconds = spec.get("execution_timeout")
    return None if seconds is None else dt.timedelta(seconds=float(seconds))


# ---------------------------------------------------------------------------------------------
# archive


def build_archive(spec: Spec) -> DAG:
    mode = hose_specs.snapshot_mode(spec)
    tables = hose_specs.archive_tables(spec)
    if not isinstance(spec["source_connection"], str):
        raise spec.error("source_connection must be a string", "source_connection")
    doc = ARCHIVE_DOC.format(spec=spec.path.name, mode=mode, shape=SHARED if mode == "shared" else PER_TABLE)
    with DAG(**dag_arguments(spec, doc)) as dag:
        if mode == "shared":
            archive = archive_task(spec, "archive", tables)
            verify = verify_task(spec, "verify", tables, reported=True)
            archive >> verify
            for entry in tables:
                with TaskGroup(entry.group_id, tooltip=entry.spelling):
                    manifest = check_manifest("manifest", archive.output, entry.spelling, spec.get("s3_connection"))
                    check_verified("verify", verify.output, manifest)
        else:
            for entry in tables:
                with TaskGroup(entry.group_id, tooltip=entry.spelling):
                    archive = archive_task(spec, "archive", [entry])
                    manifest = check_manifest("manifest", archive.output, entry.spelling, spec.get("s3_connection"))
                    manifest >> verify_task(spec, "verify", [entry], reported=False)
    return dag


def archive_task(spec: Spec, task_id: str, tables: list[TableEntry]) -> HoseJavaPipelineOperator:
    return HoseJavaPipelineOperator(
        task_id=task_id,
        command="archive",
        source_conn_id=spec["source_connection"],
        s3_conn_id=spec.get("s3_connection"),
        jvm_options=spec.get("jvm_options"),
        report="summaryFile",
        execution_timeout=execution_timeout(spec),
        pipeline_options=archive_options(spec, tables),
    )


def archive_options(spec: Spec, tables: list[TableEntry]) -> dict[str, Any]:
    """The options of one `hose archive` over `tables`: each table's own options in --tableOptions,
    keyed by its spelling as given in --tables."""
    options: dict[str, Any] = {
        "tables": ",".join(entry.spelling for entry in tables),
        "tableOptions": {entry.spelling: entry.options for entry in tables if entry.options},
        "output": spec["output"],
        **hose_specs.shard_format(spec),
    }
    if not options["tableOptions"]:
        del options["tableOptions"]
    if any("incrementalColumn" in entry.options for entry in tables):
        options["since"] = SINCE_TEMPLATE
        options["until"] = UNTIL_TEMPLATE
    options["overwrite"] = True
    # A claim still held by this task's previous try (its java cleaning up after a stop) is waited
    # for rather than refused.
    options["wait"] = True
    options["runnerConfig"] = RUNNER_CONFIG_TEMPLATE
    return options


def verify_task(spec: Spec, task_id: str, tables: list[TableEntry], reported: bool) -> HoseJavaPipelineOperator:
    """One `hose verify` of `tables` under the run's output. If `reported`, its report is the XCom
    that each table's own verify task reads, and a bad table fails only that task."""
    return HoseJavaPipelineOperator(
        task_id=task_id,
        command="verify",
        s3_conn_id=spec.get("s3_connection"),
        jvm_options=spec.get("jvm_options"),
        report="reportFile" if reported else None,
        tables_fail_downstream=reported,
        execution_timeout=execution_timeout(spec),
        pipeline_options={
            "input": spec["output"],
            "tables": ",".join(entry.spelling for entry in tables),
            "runnerConfig": RUNNER_CONFIG_TEMPLATE,
        },
    )


# ---------------------------------------------------------------------------------------------
# detect


def build_detect(spec: Spec) -> DAG:
    for key in ("video_list", "scratch_dir"):
        if not isinstance(spec[key], str):
            raise spec.error(f"{key} must be a string", key)
    timeout = hose_specs.number(spec, "video_list_timeout", minimum=0)
    s3 = spec.get("s3_connection")
    with DAG(**dag_arguments(spec, DETECT_DOC.format(spec=spec.path.name))) as dag:
        video_list = wait_for_object(
            "wait_for_video_list", spec["video_list"], s3, timeout=float(timeout if timeout is not None else 21600)
        )
        detect = HoseJavaPipelineOperator(
            task_id="detect",
            command="detect",
            s3_conn_id=s3,
            jvm_options=spec.get("jvm_options"),
            execution_timeout=execution_timeout(spec),
            pipeline_options=detect_options(spec),
        )
        video_list >> detect >> wait_for_manifest("manifest", spec["output"], s3)
    return dag


def detect_options(spec: Spec) -> dict[str, Any]:
    options = {"input": spec["video_list"], "output": spec["output"], "scratchDir": spec["scratch_dir"]}
    detectors = spec.get("detectors")
    if detectors:
        if isinstance(detectors, list) and all(isinstance(d, str) for d in detectors):
            detectors = ",".join(detectors)
        elif not isinstance(detectors, str):
            raise spec.error("detectors must be a list of names or one comma-separated string", "detectors")
        options["detectors"] = detectors
    if spec.get("sample_fps") is not None:
        options["sampleFps"] = str(hose_specs.number(spec, "sample_fps", minimum=0))
    if spec.get("allow_local_files") is not None:
        options["allowLocalFiles"] = str(spec["allow_local_files"]).lower()
    options["runnerConfig"] = RUNNER_CONFIG_TEMPLATE
    return options

