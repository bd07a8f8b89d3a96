"""The DAG files import cleanly and their task graphs are what the specs say."""

from __future__ import annotations

import yaml
from airflow.providers.apache.beam.operators.beam import BeamRunJavaPipelineOperator
from conftest import SPECS


def specs(kind: str) -> list[dict]:
    loaded = [yaml.safe_load(p.read_text()) for p in sorted(SPECS.glob("*.yaml"))]
    return [s for s in loaded if s["kind"] == kind]


def test_every_dag_file_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert dagbag.dag_ids, "no DAGs found"
    expected = {s["dag_id"] for s in specs("archive") + specs("detect")}
    assert set(dagbag.dag_ids) == expected


def test_archive_dag_has_archive_manifest_and_verify_tasks_per_spec_table(dagbag):
    for spec in specs("archive"):
        dag = dagbag.dags[spec["dag_id"]]
        groups = [t["table"].replace(".", "__") for t in spec["tables"]]
        assert set(dag.task_ids) == {f"{g}.{task}" for g in groups for task in ("archive", "manifest", "verify")}
        for entry, group in zip(spec["tables"], groups):
            archive = dag.get_task(f"{group}.archive")
            assert isinstance(archive, BeamRunJavaPipelineOperator)
            assert archive.downstream_task_ids == {f"{group}.manifest"}
            assert archive.upstream_task_ids == set()
            verify = dag.get_task(f"{group}.verify")
            assert isinstance(verify, BeamRunJavaPipelineOperator)
            assert verify.upstream_task_ids == {f"{group}.manifest"}
            assert verify.pipeline_options["input"] == f"{spec['output']}/{entry['table']}/"
            assert verify.source_conn_id is None, "verify needs no database"
            options = archive.pipeline_options
            assert options["tables"] == entry["table"]
            assert options["overwrite"] is True
            assert options["output"] == spec["output"]
            assert options.get("partitionColumn") == entry.get("partition_column")
            incremental = entry.get("incremental_column")
            assert options.get("incrementalColumn") == incremental
            assert ("since" in options and "until" in options) == (incremental is not None)
            assert "password" not in " ".join(map(str, options)).lower()
            assert "runnerConfig" in options


def test_archive_schedule_is_a_daily_data_interval(dagbag):
    for spec in specs("archive") + specs("detect"):
        timetable = dagbag.dags[spec["dag_id"]].timetable
        assert type(timetable).__name__ == "CronDataIntervalTimetable"
        assert timetable.expression == spec["schedule"]


def test_detect_dag_waits_for_the_list_runs_detect_then_waits_for_the_manifest(dagbag):
    for spec in specs("detect"):
        dag = dagbag.dags[spec["dag_id"]]
        assert set(dag.task_ids) == {"wait_for_video_list", "detect", "manifest"}
        assert dag.get_task("wait_for_video_list").downstream_task_ids == {"detect"}
        detect = dag.get_task("detect")
        assert isinstance(detect, BeamRunJavaPipelineOperator)
        assert detect.downstream_task_ids == {"manifest"}
        options = detect.pipeline_options
        assert options["input"] == spec["video_list"]
        assert options["output"] == spec["output"]
        assert options["detectors"] == ",".join(spec["detectors"])


def test_a_bad_spec_fails_with_one_clear_line():
    import hose_common

    import pytest

    with pytest.raises(ValueError, match="unknown tabels"):
        hose_common.require({"_path": "x.yaml", "kind": "archive", "tabels": []}, {"kind"}, set())
    with pytest.raises(ValueError, match="missing output"):
        hose_common.require({"_path": "x.yaml", "kind": "archive"}, set(), {"kind", "output"})
