"""Archive DAGs: one per `kind: archive` spec in specs/, one task group per table.

Each group runs `hose archive` for its table over the run's data interval (or as a full snapshot)
into the run's date-stamped prefix with --overwrite, so a retry rewrites the same complete output,
then waits for the table's _manifest.json (written last: the commit marker), then runs
`hose verify` on the table's directory: every shard read back against the manifest (size, sha256,
gzip, rows, columns). A failing verify fails the task, and with it that table's run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from airflow.sdk import DAG, TaskGroup

# hose_common sits next to this file; Airflow does not always put the dags folder on sys.path.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from hose_common import (  # noqa: E402
    SINCE_TEMPLATE,
    UNTIL_TEMPLATE,
    RUNNER_CONFIG_TEMPLATE,
    HoseJavaPipelineOperator,
    dag_arguments,
    load_specs,
    require,
    wait_for_manifest,
)

SPEC_KEYS = {"description", "schedule", "catchup", "retries", "s3_connection", "jvm_options", "defaults"}
REQUIRED_KEYS = {"kind", "dag_id", "start_date", "source_connection", "output", "tables"}
TABLE_OPTIONS = {  # spec key -> hose archive option
    "partition_column": "partitionColumn",
    "incremental_column": "incrementalColumn",
    "max_rows_per_bundle": "maxRowsPerBundle",
    "where": "where",
}


def group_id(table: str) -> str:
    """public.orders -> public__orders (a dot would read as a task group separator)."""
    return table.replace(".", "__")


def table_options(spec: dict, entry: dict) -> dict:
    """The hose archive options of one `tables:` line (spec defaults, then the line itself)."""
    settings = {**(spec.get("defaults") or {}), **entry}
    unknown = sorted(settings.keys() - TABLE_OPTIONS.keys() - {"table"})
    if "table" not in entry or unknown:
        raise ValueError(f"{spec['_path']}: table line {entry}: needs `table`, unknown {unknown}")
    options = {"tables": entry["table"], "output": spec["output"]}
    for key, option in TABLE_OPTIONS.items():
        if settings.get(key) is not None:
            options[option] = str(settings[key])
    if "incrementalColumn" in options:
        options["since"] = SINCE_TEMPLATE
        options["until"] = UNTIL_TEMPLATE
    options["overwrite"] = True
    options["runnerConfig"] = RUNNER_CONFIG_TEMPLATE
    return options


def verify_options(spec: dict, entry: dict) -> dict:
    """The hose verify options of one `tables:` line: the table's directory in this run's output."""
    return {"input": spec["output"] + "/" + entry["table"] + "/", "runnerConfig": RUNNER_CONFIG_TEMPLATE}


def build(spec: dict) -> DAG:
    require(spec, SPEC_KEYS, REQUIRED_KEYS)
    with DAG(**dag_arguments(spec), doc_md=__doc__) as dag:
        for entry in spec["tables"]:
            with TaskGroup(group_id(entry["table"])):
                archive = HoseJavaPipelineOperator(
                    task_id="archive",
                    command="archive",
                    source_conn_id=spec["source_connection"],
                    s3_conn_id=spec.get("s3_connection"),
                    jvm_options=spec.get("jvm_options"),
                    pipeline_options=table_options(spec, entry),
                )
                manifest = wait_for_manifest(
                    "manifest", spec["output"] + "/" + entry["table"], spec.get("s3_connection")
                )
                verify = HoseJavaPipelineOperator(
                    task_id="verify",
                    command="verify",
                    s3_conn_id=spec.get("s3_connection"),
                    jvm_options=spec.get("jvm_options"),
                    pipeline_options=verify_options(spec, entry),
                )
                archive >> manifest >> verify
    return dag


for _spec in load_specs("archive"):
    globals()[_spec["dag_id"]] = build(_spec)
