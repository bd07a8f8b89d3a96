#!/usr/bin/env python3
"""Archive's fixed costs, the ways a user can start it, side by side in one run.

    mvn -B -q package -DskipTests
    python3 tools/start-time.py [--base=REV] [--rounds=7] [--publish]
    python3 tools/start-time.py --publish-only   # README's target lines from docs/benchmarks.md

Builds the archive jar of REV (default: the commit before the fast start, 2df9d05) in a temporary
worktree as the baseline, starts `hose sandbox` (embedded PostgreSQL with the demo tables), and
archives public.orders (100,000 rows) to a local directory, the variants interleaved round by round:

- the baseline jar with `java -jar`;
- this build's jar with `java -jar`;
- this build's launcher (target/hose-archive) on Java 17 (CDS) and on Java 25 (AOT cache), each
  after two runs that write and then use its cache.

Each run's "fixed cost" log line gives the seconds from JVM start to the first range query and from
the last shard written to the commit check; the exit is timed from the commit check. Prints a
Markdown table of medians (min-max); --publish writes it into docs/benchmarks.md between the
start-time markers, and its target lines into README.md between the start-time-targets markers
(--publish-only does only the latter, from what docs/benchmarks.md holds). Needs a quiet machine:
nothing else running.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JAVA17 = os.environ.get("HOSE_JAVA17", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java")
JAVA25 = os.environ.get("HOSE_JAVA25", "/usr/lib/jvm/temurin-25-jdk-amd64") + "/bin/java"
BEGIN, END = "<!-- start-time:begin -->", "<!-- start-time:end -->"
README_BEGIN, README_END = "<!-- start-time-targets:begin -->", "<!-- start-time-targets:end -->"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", default="2df9d05")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--publish", action="store_true")
    p.add_argument("--publish-only", action="store_true")
    a = p.parse_args()
    if a.publish_only:
        publish_readme()
        return
    work = Path(tempfile.mkdtemp(prefix="hose-start-"))
    sandbox = None
    try:
        base_jar = build_base(a.base, work / "base")
        sandbox, info = start_sandbox(work / "sandbox")
        variants = {
            f"`java -jar`, before ({a.base})": ([JAVA17, "-jar", str(base_jar)], {}),
            "`java -jar`, now": ([JAVA17, "-jar", str(ROOT / "target/hose-archive.jar")], {}),
            "launcher, Java 17 (CDS)": ([str(ROOT / "target/hose-archive")], {"HOSE_JAVA": JAVA17}),
            "launcher, Java 25 (AOT cache)": ([str(ROOT / "target/hose-archive")],
                                              {"HOSE_JAVA": JAVA25}),
        }
        cache = work / "cache"
        results = {k: [] for k in variants}
        for cmd, env in variants.values():  # write, then use, each launcher's cache
            for _ in range(2):
                archive(cmd, env, info, work / "out", cache)
        for _ in range(a.rounds):
            for k, (cmd, env) in variants.items():
                results[k].append(archive(cmd, env, info, work / "out", cache))
        table = report(results, a.rounds)
        print(table)
        if a.publish:
            replace_between(ROOT / "docs/benchmarks.md", BEGIN, END, table)
            publish_readme()
    finally:
        if sandbox is not None:
            sandbox.stdin.close()
            sandbox.wait(timeout=60)
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(work / "base")],
                       capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def replace_between(path, begin, end, body):
    text = path.read_text()
    start, stop = text.index(begin) + len(begin), text.index(end)
    path.write_text(text[:start] + "\n" + body + text[stop:])


def publish_readme():
    """The target lines of the published start-up run, into the README's figures."""
    text = (ROOT / "docs/benchmarks.md").read_text()
    section = text[text.index(BEGIN) + len(BEGIN):text.index(END)]
    dated = re.search(r"\(`python3 tools/start-time.py`, ([0-9-]+)\)", section)
    targets = [line for line in section.splitlines() if line.startswith("- launcher")]
    if not dated or not targets:
        sys.exit("docs/benchmarks.md has no published start-up run")
    body = (f"<!-- Written by tools/start-time.py --publish, from the run of {dated.group(1)}. -->\n"
            + "\n".join("- archive start-up, " + t[2:] for t in targets) + "\n")
    replace_between(ROOT / "README.md", README_BEGIN, README_END, body)


def build_base(rev, where):
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", str(where), rev], check=True)
    subprocess.run(["mvn", "-B", "-q", "-o", "package", "-DskipTests", "-pl", "hose-archive", "-am"],
                   cwd=where, check=True)
    return where / "target/hose-archive.jar"


def start_sandbox(where):
    proc = subprocess.Popen([JAVA17, "-jar", str(ROOT / "target/hose.jar"), "sandbox",
                             f"--dir={where}", "--rows=100000"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    ready = where / "sandbox.json"
    for _ in range(240):
        if ready.exists():
            return proc, json.loads(ready.read_text())
        if proc.poll() is not None:
            sys.exit("hose sandbox ended before it was ready")
        time.sleep(0.5)
    sys.exit("hose sandbox was not ready in 2 minutes")


def archive(cmd, env, info, out, cache):
    shutil.rmtree(out, ignore_errors=True)
    e = dict(os.environ, HOSE_CACHE_DIR=str(cache), **env)
    args = ["archive", f"--jdbcUrl={info['jdbcUrl']}", f"--username={info['username']}",
            f"--passwordFile={info['passwordFile']}", "--tables=public.orders", f"--output={out}"]
    start = time.time()
    p = subprocess.run(cmd + args, env=e, capture_output=True, text=True)
    end = time.time()
    m = re.search(r"fixed cost: ([0-9.]+) s from start to the first range query, ([0-9.]+) s"
                  r".*checkedMillis=(\d+)", p.stderr)
    if p.returncode != 0 or not m:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr[-3000:]}")
    return float(m.group(1)), float(m.group(2)), end * 1000 - int(m.group(3)), end - start


def report(results, rounds):
    lines = [f"{rounds} rounds, interleaved, on one 100,000-row table to a local directory "
             f"(`python3 tools/start-time.py`, {time.strftime('%Y-%m-%d')}); medians (min–max).",
             "Targets (issue 21): start → first range query ≤ 1.0 s, last shard → exit ≤ 0.2 s.", "",
             "| how | start → first range query, s | last shard → commit check, s "
             "| commit check → exit, ms | wall, s |",
             "|---|---:|---:|---:|---:|"]
    for name, runs in results.items():
        cells = []
        for i, fmt in enumerate(("{:.2f}", "{:.2f}", "{:.0f}", "{:.2f}")):
            xs = [r[i] for r in runs]
            cells.append(f"{fmt.format(statistics.median(xs))} "
                         f"({fmt.format(min(xs))}–{fmt.format(max(xs))})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Targets, on the launcher the README shows:", ""]
    for name, runs in results.items():
        if not name.startswith("launcher"):
            continue
        start = statistics.median(r[0] for r in runs)
        end = statistics.median(r[1] + r[2] / 1000 for r in runs)
        lines.append(f"- {name}: start → first range query ≤ 1.0 s: {verdict(start <= 1.0)} "
                     f"({start:.2f} s); last shard → exit ≤ 0.2 s: {verdict(end <= 0.2)} "
                     f"({end:.2f} s)")
    return "\n".join(lines) + "\n"


def verdict(met):
    return "**met**" if met else "**NOT met**"


if __name__ == "__main__":
    main()
