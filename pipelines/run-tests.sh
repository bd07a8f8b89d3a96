#!/usr/bin/env bash
# Runs the Airflow tests of pipelines/ in a real Airflow:
#   pipelines/run-tests.sh [pytest args...]
# Creates the venv if needed (setup-venv.sh), keeps Airflow's home under target/airflow/home,
# migrates its database, then runs pytest; test_scheduler.py starts its own `airflow standalone`
# (home target/airflow/scheduler-home) and a local Flink session cluster. The end-to-end tests
# need the jars in target/ (mvn package). Every test's wall time is printed at the end.
# Exit code: pytest's, except "no tests collected" (5) is a failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

"$here/setup-venv.sh"
venv="${HOSE_AIRFLOW_VENV:-$root/target/airflow/venv}"

export AIRFLOW_HOME="${HOSE_AIRFLOW_HOME:-$root/target/airflow/home}"
export AIRFLOW__CORE__DAGS_FOLDER="$here/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=false
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-WARNING}"
export AWS_EC2_METADATA_DISABLED=true
export PYTHONDONTWRITEBYTECODE=1
mkdir -p "$AIRFLOW_HOME"

# Migrate once per venv build (the stamp changes when the pinned packages do).
if ! cmp -s "$venv/.hose-requirements.sha256" "$AIRFLOW_HOME/.migrated"; then
  echo "run-tests: airflow db migrate ($AIRFLOW_HOME)"
  "$venv/bin/airflow" db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || {
    tail -50 "$AIRFLOW_HOME/db-migrate.log" >&2
    exit 1
  }
  cp "$venv/.hose-requirements.sha256" "$AIRFLOW_HOME/.migrated"
fi

set +e
"$venv/bin/python" -m pytest -p no:cacheprovider -W ignore::DeprecationWarning -rA --tb=short --durations=0 \
  "$here/tests" "$@"
status=$?
set -e
if [[ $status -eq 5 ]]; then
  echo "run-tests: pytest collected no tests" >&2
  exit 1
fi
exit $status
