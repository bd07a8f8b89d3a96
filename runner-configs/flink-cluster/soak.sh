#!/usr/bin/env bash
# Runs the same hose job N times on one fresh local session cluster and prints, after each job,
# what a long-lived cluster keeps: the TaskManager's and JobManager's metaspace and the
# TaskManager's heap after a full GC, its RSS, classes loaded, and the job classloaders still
# alive. A job that leaks its classes shows as metaspace growing job after job until a
# TaskManager dies of OutOfMemoryError: Metaspace.
#
#   soak.sh JOBS HOSE_ARGS...      e.g.
#   soak.sh 12 archive --jdbcUrl=... --passwordFile=... --tables=public.t \
#       --output=s3://bucket/soak/ --overwrite --endpoint=... --awsRegion=us-east-1
#
# The cluster (one TaskManager, two slots) lives in a temporary directory and is stopped at the
# end; the hose command gets --runnerConfig=runner-configs/flink-cluster.properties and the
# cluster's --flinkMaster. Export the job's secrets and AWS settings first, as for cluster.sh.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
JAR="${HOSE_JAR:-$ROOT/target/hose.jar}"
[[ $# -ge 2 ]] || { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
JOBS="$1"
shift
[[ -f "$JAR" ]] || { echo "soak.sh: $JAR is missing (mvn package -DskipTests)" >&2; exit 2; }

DIR="$(mktemp -d "${TMPDIR:-/tmp}/hose-soak-XXXXXX")"
trap '"$HERE/cluster.sh" stop --dir "$DIR/cluster" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
"$HERE/cluster.sh" start --dir "$DIR/cluster" --rest-port 0 --taskmanagers 1 --slots 2 >"$DIR/start.log"
# shellcheck disable=SC1091
. "$DIR/cluster/cluster.env"
TM="$(cat "$DIR/cluster/pid/taskmanager-1.pid")"
JM="$(cat "$DIR/cluster/pid/jobmanager.pid")"

mb() { awk '{printf "%d", $1 / 1024}'; }
report() {
  jcmd "$TM" GC.run >/dev/null
  jcmd "$JM" GC.run >/dev/null
  local tm jm
  tm="$(jstat -gc "$TM" | tail -1)"
  jm="$(jstat -gc "$JM" | tail -1)"
  printf '%-6s %6s %12s %12s %10s %9s %9s %s\n' "$1" "$2" \
    "$(awk '{print $10}' <<<"$tm" | mb)" \
    "$(awk '{print $3 + $4 + $6 + $8}' <<<"$tm" | mb)" \
    "$(awk '/VmRSS/ {print $2}' "/proc/$TM/status" | mb)" \
    "$(jstat -class "$TM" | tail -1 | awk '{print $1 - $3}')" \
    "$(jcmd "$TM" GC.class_histogram | awk '/ org.apache.flink.util.ChildFirstClassLoader$/ {n += $2} END {print n + 0}')" \
    "$(awk '{print $10}' <<<"$jm" | mb)"
}

printf '%-6s %6s %12s %12s %10s %9s %9s %s\n' job exit "tm_meta_MB" "tm_heap_MB" "tm_rss_MB" \
  classes "job_CLs" "jm_meta_MB"
report 0 -
for i in $(seq 1 "$JOBS"); do
  code=0
  java -jar "$JAR" "$@" --runnerConfig="$ROOT/runner-configs/flink-cluster.properties" \
    --flinkMaster="$FLINK_MASTER" >"$DIR/job-$i.log" 2>&1 || code=$?
  [[ $code -eq 0 ]] || tail -n 3 "$DIR/job-$i.log" >&2
  report "$i" "$code"
done
