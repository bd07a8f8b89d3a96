"""The nightly benchmark of issue 22: one night's archive of 50 tables, the ways a team can run it.

    target/airflow/venv/bin/python pipelines/bench/nightly.py [--tables 50] [--publish]

On one machine, in one invocation, against one PostgreSQL 15 server from Debian's packages (so that
Debian's pg_dump 15 can dump it; tools/bench-packages.sh installs it) holding 50 tables of mixed
sizes (1,000 to 200,000 rows, about 2M rows and 1 KB of JSON a row, the benchmark table of
docs/benchmarks.md), each written to a local directory:

- shell: one `java -jar target/hose-archive.jar archive` of all 50 tables (DirectRunner), then one
  `verify` of them (what the shared DAG runs, without Airflow);
- pg_dump: `pg_dump -Fd -j 2` of the same 50 tables, as a reference;
- Airflow, shared: the spec as `snapshot: shared`, run by Airflow's real scheduler
  (`airflow standalone`, LocalExecutor, parallelism 8): one archive task, one verify task, and a
  manifest and a verify task per table;
- Airflow, per_table: the same spec as `snapshot: per_table`: an archive, a manifest and a verify
  task per table.

Airflow's times are its DAG runs' own (start to end, from its database); every task instance must
have succeeded on its first try. --publish writes docs/bench/airflow-nightly.json and rewrites the
figures in docs/airflow.md between its bench markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "pipelines" / "tests"))
sys.path.insert(0, str(ROOT / "pipelines" / "dags"))

PG_MAJOR = 15
PASSWORD = "bench-nightly"
BENCH_ROW_SQL = """
CREATE TABLE {t} (id bigint PRIMARY KEY, created_at timestamptz, amount numeric(14,4),
                  body text, attrs jsonb, tags text[]);
INSERT INTO {t}
SELECT g, timestamptz '2026-01-01' + g * interval '1 second', (g * 31 % 1000000) / 100.0,
       repeat('lorem ipsum dolor sit amet ', 16) || md5(g::text) || md5((g*7)::text)
         || ' ' || md5((g*13)::text) || ' ' || g,
       jsonb_build_object('k', g, 'name', md5((g+1)::text),
         'flags', jsonb_build_array(g%2=0, g%3=0),
         'nested', jsonb_build_object('a', md5((g+2)::text), 'b', g % 97)),
       ARRAY[md5((g+3)::text), 'tag' || (g%100), 'x', NULL, 'y']
FROM generate_series(1, {rows}) g;
"""


def table_sizes(count: int) -> list[int]:
    """`count` sizes from 1,000 to 200,000 rows, about 2M rows for 50 tables: a few large tables,
    many small ones, as a real schema has."""
    pattern = [1_000] * 10 + [10_000] * 10 + [30_000] * 15 + [60_000] * 10 + [200_000] * 5
    return [pattern[i * len(pattern) // count] for i in range(count)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(*command: str) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(prefix + list(command), check=True, capture_output=True, timeout=300)


class DebianPostgres:
    """A PostgreSQL server of Debian's packages on a free loopback port (fsync off, as the
    embedded server of the other benchmarks); stopped by `close`."""

    def __init__(self, work: Path):
        self.bin = Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin")
        if not (self.bin / "pg_ctl").exists():
            raise SystemExit(f"no PostgreSQL {PG_MAJOR} server: run tools/bench-packages.sh")
        self.dir = work / "pg"
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        (self.dir / "pw").write_text(PASSWORD + "\n")
        self.port = free_port()
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres:postgres", str(self.dir)], check=True)
        as_postgres(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres",
                    "--auth=scram-sha-256", f"--pwfile={self.dir / 'pw'}", "-E", "UTF8", "--locale=C.UTF-8")
        as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"),
                    "-w", "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off"
                    " -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=128MB"
                    " -c max_connections=200", "start")

    def connect(self, database: str = "postgres"):
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", password=PASSWORD,
                               dbname=database, autocommit=True)

    def close(self) -> None:
        as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")


def seed(pg: DebianPostgres, database: str, sizes: list[int]) -> list[str]:
    with pg.connect() as c:
        c.execute(f"DROP DATABASE IF EXISTS {database}")
        c.execute(f"CREATE DATABASE {database}")
    tables = [f"nightly_{i + 1:02d}" for i in range(len(sizes))]
    with pg.connect(database) as c:
        for table, rows in zip(tables, sizes):
            c.execute(BENCH_ROW_SQL.format(t=table, rows=rows))
        c.execute("VACUUM (FREEZE, ANALYZE)")
        c.execute("CHECKPOINT")
    return tables


def timed(command: list[str], env: dict[str, str], log: Path) -> float:
    start = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.run(command, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} … failed (exit {proc.returncode}); see {log}")
    return elapsed


def shell_archive(pg: DebianPostgres, database: str, tables: list[str], out: Path, work: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    return timed(
        ["java", "-Xmx1g", "-jar", str(ROOT / "target" / "hose-archive.jar"), "archive",
         f"--jdbcUrl=jdbc:postgresql://127.0.0.1:{pg.port}/{database}", "--username=postgres",
         "--passwordEnv=BENCH_PG_PASSWORD", f"--tables={','.join(tables)}", f"--output={out}/"],
        {"BENCH_PG_PASSWORD": PASSWORD}, work / "shell.log")


def shell_verify(tables: list[str], out: Path, work: Path) -> float:
    return timed(
        ["java", "-Xmx1g", "-jar", str(ROOT / "target" / "hose-archive.jar"), "verify", f"--input={out}/",
         f"--tables={','.join(tables)}"], {}, work / "shell-verify.log")


def pg_dump(pg: DebianPostgres, database: str, tables: list[str], out: Path, work: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    command = [str(pg.bin / "pg_dump"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres",
               "-Fd", "-j", "2", "-f", str(out)]
    for t in tables:
        command += ["-t", t]
    return timed(command + [database], {"PGPASSWORD": PASSWORD}, work / "pg_dump.log")


def deployment(work: Path, specs: dict[str, str]) -> Path:
    """A dags folder laid out as docs/airflow.md tells a team to deploy it: the hose_* modules,
    launch/ and .airflowignore, and per spec its yaml under specs/ and its DAG file."""
    dags = ROOT / "pipelines" / "dags"
    folder = work / "dags"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(dags, folder, ignore=shutil.ignore_patterns("__pycache__", "hose_archive.py", "hose_detect.py"))
    shutil.rmtree(folder / "specs", ignore_errors=True)
    (folder / "specs").mkdir()
    for name, text in specs.items():
        (folder / "specs" / f"{name}.yaml").write_text(text)
        shutil.copy(dags / "hose_archive.py", folder / f"hose_{name}.py")
    return folder


def spec(dag_id: str, mode: str, tables: list[str], output: Path) -> str:
    lines = [
        "kind: archive",
        f"dag_id: {dag_id}",
        f"snapshot: {mode}",
        'schedule: "0 0 * * *"',
        "start_date: 2026-11-01",
        "catchup: false",
        "retries: 2",
        "source_connection: hose_source",
        f"output: {output}",
        "jvm_options: -Xmx1g",
        "tables:",
    ]
    return "\n".join(lines + [f"  - {{table: public.{t}}}" for t in tables]) + "\n"


def airflow_runs(pg: DebianPostgres, database: str, tables: list[str], work: Path) -> dict[str, dict]:
    """Runs the spec in both modes, one after the other, in one real scheduler; each mode's DAG run
    time (start to end) from Airflow's database, and its task instances' tries."""
    from scheduler import Scheduler

    outputs = {mode: work / f"airflow-{mode}" for mode in ("shared", "per_table")}
    for out in outputs.values():
        shutil.rmtree(out, ignore_errors=True)
    specs = {f"nightly_{mode}": spec(f"nightly_{mode}", mode, tables, outputs[mode]) for mode in outputs}
    home = work / "airflow-home"
    shutil.rmtree(home, ignore_errors=True)
    env = {
        "HOSE_HOME": str(ROOT),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AIRFLOW_CONN_HOSE_SOURCE": json.dumps({
            "conn_type": "postgres", "host": "127.0.0.1", "port": pg.port, "schema": database,
            "login": "postgres", "password": PASSWORD}),
        "AIRFLOW_VAR_HOSE_RUNNER_CONFIG": "direct",
    }
    scheduler = Scheduler(home, deployment(work, specs), env, parallelism=8)
    subprocess.run([str(Path(sys.executable).with_name("airflow")), "db", "migrate"], check=True,
                   env={**os.environ, "AIRFLOW_HOME": str(home)}, capture_output=True)
    scheduler.start()
    results = {}
    try:
        scheduler.wait_parsed(set(specs), set())
        for mode in outputs:
            dag_id = f"nightly_{mode}"
            scheduler.unpause(dag_id)
            run = scheduler.wait_run(dag_id, timeout=3600)
            tis = scheduler.task_instances(dag_id, run["run_id"])
            start = dt.datetime.fromisoformat(run["start_date"])
            end = dt.datetime.fromisoformat(run["end_date"])
            results[mode] = {
                "seconds": round((end - start).total_seconds(), 1),
                "state": run["state"],
                "tasks": len(tis),
                "retried": sum(1 for ti in tis.values() if ti["try_number"] > 1),
                "failed": sorted(t for t, ti in tis.items() if ti["state"] != "success"),
                "phases": phases(start, tis),
            }
            print(f"airflow {mode}: {results[mode]}", flush=True)
    finally:
        scheduler.stop()
    return results


def phases(start: dt.datetime, tis: dict) -> dict:
    """Where a DAG run's time went, from its task instances: the java tasks' own durations, and the
    per-table Python tasks' (manifest and verify checks) median duration and the time from the
    last java task's end to the run's last task's end."""
    def at(ti, field):
        return (dt.datetime.fromisoformat(ti[field]) - start).total_seconds()

    java = {t: ti for t, ti in tis.items() if t.rsplit(".", 1)[-1] == "archive" or t == "verify"
            or (t.endswith(".verify") and "verify" not in tis)}
    python = [ti for t, ti in tis.items() if t not in java]
    durations = sorted(ti["duration"] for ti in python)
    last_java = max(at(ti, "end_date") for ti in java.values())
    return {
        "java_tasks": len(java),
        "java_task_seconds": round(sum(ti["duration"] for ti in java.values()), 1),
        "archive_seconds": round(tis["archive"]["duration"], 1) if "archive" in tis else None,
        "verify_seconds": round(tis["verify"]["duration"], 1) if "verify" in tis else None,
        "python_tasks": len(python),
        "python_task_median_seconds": round(durations[len(durations) // 2], 2) if durations else None,
        "after_last_java_seconds": round(max(at(ti, "end_date") for ti in tis.values()) - last_java, 1),
    }


TARGETS_BEGIN = "<!-- bench-airflow-targets:begin -->"
TARGETS_END = "<!-- bench-airflow-targets:end -->"
FIGURES_BEGIN = "<!-- bench-airflow:begin -->"
FIGURES_END = "<!-- bench-airflow:end -->"


def targets(r: dict) -> list[str]:
    shared, per_table, shell = r["airflow"]["shared"], r["airflow"]["per_table"], r["shell_seconds"]

    def verdict(ratio: float, limit: float) -> str:
        return f"**{'met' if ratio <= limit else 'NOT met'}** ({ratio:.2f}×)"

    tasks = [r["airflow"][m] for m in ("shared", "per_table")]
    retried = sum(t["retried"] for t in tasks)
    failed = sum(len(t["failed"]) for t in tasks)
    return [
        f"Airflow nightly spec of {r['tables']} tables ({r['rows']:,} rows), shared snapshot, real scheduler:"
        f" ≤ 1.5× one `hose archive` of the same tables from the shell: "
        + verdict(shared["seconds"] / shell, 1.5) + f" ({shared['seconds']:.0f} s against {shell:.0f} s)",
        "the same spec, shared snapshot ≤ 0.5× per_table: "
        + verdict(shared["seconds"] / per_table["seconds"], 0.5)
        + f" ({shared['seconds']:.0f} s against {per_table['seconds']:.0f} s)",
        f"tasks retried or refused in these runs: 0: **{'met' if retried + failed == 0 else 'NOT met'}**"
        f" ({retried} retried, {failed} not successful, of {sum(t['tasks'] for t in tasks)} task instances)",
        f"for scale: the shell's archive then verify (the work the shared DAG does) takes"
        f" {shell + r['shell_verify_seconds']:.0f} s; shared mode is"
        f" {shared['seconds'] / (shell + r['shell_verify_seconds']):.2f}× that",
        f"reference: `pg_dump -Fd -j 2` of the same tables {r['pg_dump_seconds']:.0f} s"
        f" (hose from the shell: {shell / r['pg_dump_seconds']:.2f}× pg_dump)",
    ]


def replace_between(path: Path, begin: str, end: str, body: str) -> None:
    text = path.read_text()
    a, b = text.index(begin) + len(begin), text.index(end)
    path.write_text(text[:a] + "\n" + body + text[b:])


def where_the_time_goes(r: dict) -> str:
    shared = r["airflow"]["shared"].get("phases")
    per_table = r["airflow"]["per_table"].get("phases")
    if not shared or not per_table:
        return ""
    return (
        f"Where shared mode's time goes: the `archive` task {shared['archive_seconds']:.0f} s (hose alone"
        f" {r['shell_seconds']:.0f} s from the shell), the `verify` task {shared['verify_seconds']:.0f} s"
        f" ({r['shell_verify_seconds']:.0f} s from the shell; it runs beside the first per-table tasks),"
        f" and {shared['python_tasks']} per-table Python tasks of {shared['python_task_median_seconds']:.1f} s"
        f" each (median; Airflow's own start of a task on a busy 2-core machine), which end"
        f" {shared['after_last_java_seconds']:.0f} s after the last java task. In per_table mode"
        f" {per_table['java_tasks']} java tasks take {per_table['java_task_seconds']:.0f} s summed (8 run at once on 2 cores):"
        f" each pays the JVM start, planning and commit check again.\n\n"
    )


def publish(r: dict) -> None:
    (ROOT / "docs" / "bench" / "airflow-nightly.json").write_text(json.dumps(r, indent=2) + "\n")
    stamp = f"<!-- Written by pipelines/bench/nightly.py --publish, from the run of {r['date']} UTC. -->\n"
    lines = "".join(f"- {t}\n" for t in targets(r))
    replace_between(ROOT / "README.md", TARGETS_BEGIN, TARGETS_END, stamp + lines)
    figures = (
        stamp
        + f"{r['tables']} tables of 1,000 to 200,000 rows ({r['rows']:,} rows, about 1 KB of JSON a row) on"
        f" PostgreSQL {PG_MAJOR}, archived to a local directory on {r['cores']} cores; load average"
        f" {r['load_start']} at the start. Raw figures: `docs/bench/airflow-nightly.json`.\n\n"
        "| how | wall time | tasks |\n|---|---:|---:|\n"
        f"| one `hose archive` of all tables from the shell | {r['shell_seconds']:.1f} s | |\n"
        f"| … then one `hose verify` of them ({r['shell_verify_seconds']:.1f} s) | "
        f"{r['shell_seconds'] + r['shell_verify_seconds']:.1f} s | |\n"
        f"| Airflow, `snapshot: shared` | {r['airflow']['shared']['seconds']:.1f} s |"
        f" {r['airflow']['shared']['tasks']} |\n"
        f"| Airflow, `snapshot: per_table` | {r['airflow']['per_table']['seconds']:.1f} s |"
        f" {r['airflow']['per_table']['tasks']} |\n"
        f"| `pg_dump -Fd -j 2` (reference) | {r['pg_dump_seconds']:.1f} s | |\n\n"
        + where_the_time_goes(r)
        + lines
    )
    replace_between(ROOT / "docs" / "airflow.md", FIGURES_BEGIN, FIGURES_END, figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, default=50)
    parser.add_argument("--publish", action="store_true")
    parser.add_argument("--publish-only", action="store_true",
                        help="rewrite the docs from docs/bench/airflow-nightly.json, without running")
    args = parser.parse_args()
    if args.publish_only:
        publish(json.loads((ROOT / "docs" / "bench" / "airflow-nightly.json").read_text()))
        return
    work = ROOT / "target" / "bench-nightly"
    work.mkdir(parents=True, exist_ok=True)
    sizes = table_sizes(args.tables)
    load_start = Path("/proc/loadavg").read_text().split()[0]
    pg = DebianPostgres(work)
    try:
        tables = seed(pg, "nightly", sizes)
        print(f"seeded {len(tables)} tables, {sum(sizes):,} rows", flush=True)
        shell = shell_archive(pg, "nightly", tables, work / "shell-out", work)
        print(f"shell: {shell:.1f} s", flush=True)
        verify = shell_verify(tables, work / "shell-out", work)
        print(f"shell verify: {verify:.1f} s", flush=True)
        dump = pg_dump(pg, "nightly", tables, work / "pg_dump-out", work)
        print(f"pg_dump -Fd -j 2: {dump:.1f} s", flush=True)
        airflow = airflow_runs(pg, "nightly", tables, work)
    finally:
        pg.close()
    result = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "cores": os.cpu_count(),
        "load_start": load_start,
        "tables": len(sizes),
        "rows": sum(sizes),
        "shell_seconds": round(shell, 1),
        "shell_verify_seconds": round(verify, 1),
        "pg_dump_seconds": round(dump, 1),
        "airflow": airflow,
    }
    print(json.dumps(result, indent=2))
    for line in targets(result):
        print("-", line)
    if args.publish:
        publish(result)


if __name__ == "__main__":
    main()
