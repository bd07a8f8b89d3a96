"""The DAG files import cleanly, their task graphs are what the specs say, and a broken spec
fails only its own DAG file."""

from __future__ import annotations

import datetime as dt
import textwrap

import hose_specs
from airflow.providers.apache.beam.operators.beam import BeamRunJavaPipelineOperator
from conftest import SPECS, dags_folder

SIX_TABLES = """\
kind: archive
dag_id: six_tables
start_date: 2026-11-01
source_connection: hose_source
output: s3://bucket/six/dt={{ ds }}
snapshot: SNAPSHOT
execution_timeout: 900
defaults:
  max_rows_per_bundle: 5000
tables:
  - {table: orders, partition_column: id, incremental_column: created_at}
  - {table: 'sales."Order Items"', partition_column: id}
  - {table: '"Sales EU".Refunds'}
  - public.customers
  - {table: public.events, incremental_column: occurred_at, max_rows_per_bundle: 700}
  - {table: public.line_items, where: "qty > 0"}
"""


def specs(kind: str) -> list:
    loaded = [hose_specs.read_spec(p) for p in sorted(SPECS.glob("*.yaml"))]
    return [s for s in loaded if s["kind"] == kind]


def load(tmp_path, specs: dict[str, str]):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(dags_folder(tmp_path, specs)))


def test_every_dag_file_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    expected = {s["dag_id"] for s in specs("archive") + specs("detect")}
    assert set(dagbag.dag_ids) == expected


def test_shipped_archive_spec_is_one_shared_archive_then_manifest_and_verify_per_table(dagbag):
    for spec in specs("archive"):
        dag = dagbag.dags[spec["dag_id"]]
        tables = hose_specs.archive_tables(spec)
        groups = [t.group_id for t in tables]
        assert groups == [t["table"].replace(".", "__") for t in spec["tables"]]  # ids as before
        assert set(dag.task_ids) == {"archive", "verify"} | {
            f"{g}.{task}" for g in groups for task in ("manifest", "verify")
        }
        archive = dag.get_task("archive")
        assert isinstance(archive, BeamRunJavaPipelineOperator) and archive.report == "summaryFile"
        assert archive.downstream_task_ids == {"verify"} | {f"{g}.manifest" for g in groups}
        verify_all = dag.get_task("verify")
        assert isinstance(verify_all, BeamRunJavaPipelineOperator) and verify_all.report == "reportFile"
        assert verify_all.tables_fail_downstream and verify_all.source_conn_id is None, "verify needs no database"
        assert verify_all.pipeline_options["input"] == spec["output"]
        assert verify_all.pipeline_options["tables"] == ",".join(t["table"] for t in spec["tables"])
        assert archive.execution_timeout == dt.timedelta(seconds=spec["execution_timeout"])
        options = archive.pipeline_options
        assert options["tables"] == ",".join(t["table"] for t in spec["tables"])
        assert options["output"] == spec["output"] and options["overwrite"] is True and options["wait"] is True
        assert set(options["tableOptions"]) == {t["table"] for t in spec["tables"]}
        assert "password" not in str(options).lower()
        for entry, group in zip(spec["tables"], groups):
            table_options = options["tableOptions"][entry["table"]]
            assert table_options.get("partitionColumn") == entry.get("partition_column")
            assert table_options.get("incrementalColumn") == entry.get("incremental_column")
            assert dag.get_task(f"{group}.verify").upstream_task_ids == {f"{group}.manifest", "verify"}
        assert "since" in options and "until" in options


def test_six_tables_in_both_snapshot_modes_with_any_spelling(tmp_path):
    modes = ("shared", "per_table")
    bag = load(tmp_path, {m: SIX_TABLES.replace("SNAPSHOT", m).replace("six_tables", f"six_{m}") for m in modes})
    assert bag.import_errors == {}
    shared, per_table = bag.dags["six_shared"], bag.dags["six_per_table"]
    groups = [g for g in {t.rsplit(".", 1)[0] for t in per_table.task_ids}]
    assert len(groups) == 6 and "public__orders" in groups and "public__customers" in groups
    quoted = [g for g in groups if g.startswith("sales__Order_Items-")]
    assert len(quoted) == 1 and any(g.startswith("Sales_EU__Refunds-") for g in groups), groups

    archive = shared.get_task("archive")
    assert archive.pipeline_options["tables"] == (
        'orders,sales."Order Items","Sales EU".Refunds,public.customers,public.events,public.line_items'
    )
    table_options = archive.pipeline_options["tableOptions"]
    assert table_options['sales."Order Items"'] == {"partitionColumn": "id", "maxRowsPerBundle": 5000}
    assert table_options["public.events"]["maxRowsPerBundle"] == 700
    assert table_options["public.line_items"]["where"] == "qty > 0"
    assert len(shared.task_ids) == 2 + 2 * 6

    assert set(per_table.task_ids) == {f"{g}.{t}" for g in groups for t in ("archive", "manifest", "verify")}
    for group in groups:
        archive = per_table.get_task(f"{group}.archive")
        assert archive.upstream_task_ids == set() and archive.downstream_task_ids == {f"{group}.manifest"}
        assert archive.execution_timeout == dt.timedelta(seconds=900) and archive.retries == 2
        assert "," not in archive.pipeline_options["tables"] or '"' in archive.pipeline_options["tables"]
        assert per_table.get_task(f"{group}.manifest").downstream_task_ids == {f"{group}.verify"}
        verify = per_table.get_task(f"{group}.verify")
        assert verify.report is None and verify.pipeline_options["tables"] == archive.pipeline_options["tables"]
    incremental = per_table.get_task("public__orders.archive").pipeline_options
    assert incremental["tables"] == "orders" and "since" in incremental
    assert "since" not in per_table.get_task("public__customers.archive").pipeline_options


def test_a_broken_spec_fails_only_its_own_dag_file(tmp_path):
    broken = SIX_TABLES.replace("SNAPSHOT", "shared").replace("six_tables", "broken").replace(
        "  - public.customers\n", "  - public.customers\n  - {table: 'sales.\"Order Items'}\n"
    )
    good = SIX_TABLES.replace("SNAPSHOT", "shared").replace("six_tables", "good")
    bag = load(tmp_path, {"good": good, "broken": broken})
    assert set(bag.dag_ids) == {"good"}
    [(path, error)] = bag.import_errors.items()
    assert path.endswith("/hose_broken.py")
    spec = tmp_path / "dags" / "specs" / "broken.yaml"
    assert f"{spec}, line 15: table 'sales.\"Order Items' has an unterminated double quote" in error


def test_schedules_are_daily_data_intervals(dagbag):
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


def test_a_new_spec_is_a_yaml_and_a_copy_of_the_shim(tmp_path):
    detect = (SPECS / "detect.yaml").read_text().replace("dag_id: hose_detect", "dag_id: cams_detect")
    bag = load(tmp_path, {"cams": detect})
    assert bag.import_errors == {} and bag.dag_ids == ["cams_detect"]
    assert textwrap.dedent((tmp_path / "dags" / "hose_cams.py").read_text()) == (
        SPECS.parent / "dags" / "hose_archive.py"
    ).read_text()
