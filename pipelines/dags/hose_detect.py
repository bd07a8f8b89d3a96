"""Detection DAGs: one per `kind: detect` spec in specs/.

wait_for_video_list (skips the run if the day's list never appears) >> detect (`hose detect` over
the list into the run's date-stamped prefix) >> manifest (waits for _manifest.json, written last).
"""

from __future__ import annotations

import sys
from pathlib import Path

from airflow.sdk import DAG

# hose_common sits next to this file; Airflow does not always put the dags folder on sys.path.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from hose_common import (  # noqa: E402
    RUNNER_CONFIG_TEMPLATE,
    HoseJavaPipelineOperator,
    dag_arguments,
    load_specs,
    require,
    wait_for_manifest,
    wait_for_object,
)

SPEC_KEYS = {
    "description", "schedule", "catchup", "retries", "s3_connection", "jvm_options",
    "video_list_timeout", "detectors", "sample_fps", "allow_local_files",
}
REQUIRED_KEYS = {"kind", "dag_id", "start_date", "video_list", "output", "scratch_dir"}


def detect_options(spec: dict) -> dict:
    options = {"input": spec["video_list"], "output": spec["output"], "scratchDir": spec["scratch_dir"]}
    if spec.get("detectors"):
        detectors = spec["detectors"]
        options["detectors"] = detectors if isinstance(detectors, str) else ",".join(detectors)
    if spec.get("sample_fps") is not None:
        options["sampleFps"] = str(spec["sample_fps"])
    if spec.get("allow_local_files") is not None:
        options["allowLocalFiles"] = str(spec["allow_local_files"]).lower()
    options["runnerConfig"] = RUNNER_CONFIG_TEMPLATE
    return options


def build(spec: dict) -> DAG:
    require(spec, SPEC_KEYS, REQUIRED_KEYS)
    s3 = spec.get("s3_connection")
    with DAG(**dag_arguments(spec), doc_md=__doc__) as dag:
        video_list = wait_for_object(
            "wait_for_video_list", spec["video_list"], s3, timeout=float(spec.get("video_list_timeout", 21600))
        )
        detect = HoseJavaPipelineOperator(
            task_id="detect",
            command="detect",
            s3_conn_id=s3,
            jvm_options=spec.get("jvm_options"),
            pipeline_options=detect_options(spec),
        )
        video_list >> detect >> wait_for_manifest("manifest", spec["output"], s3)
    return dag


for _spec in load_specs("detect"):
    globals()[_spec["dag_id"]] = build(_spec)
