#!/usr/bin/env bash
# Creates (or reuses) the Python venv that runs the Airflow DAG tests.
#
#   pipelines/setup-venv.sh            -> target/airflow/venv
#   HOSE_AIRFLOW_VENV=DIR pipelines/setup-venv.sh
#
# Idempotent: a stamp holding the hash of requirements.txt and the constraints file marks a
# finished install; a venv without a matching stamp is rebuilt from scratch.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="${HOSE_AIRFLOW_VENV:-$root/target/airflow/venv}"
python="${PYTHON:-$(command -v python3.11 || command -v python3 || echo python3.11)}"
requirements="$here/requirements.txt"
constraints="$here/constraints-3.11.txt"
stamp="$venv/.hose-requirements.sha256"

if ! command -v "$python" >/dev/null 2>&1; then
  echo "setup-venv: $python not found (set PYTHON=/path/to/python3.11)" >&2
  exit 2
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
  echo "setup-venv: $python is $("$python" -V 2>&1), need Python 3.11" >&2
  exit 2
fi

want="$( (cat "$requirements"; [[ ! -f "$constraints" ]] || cat "$constraints") | sha256sum | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "setup-venv: $venv is up to date"
  exit 0
fi

echo "setup-venv: creating $venv"
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
start=$SECONDS
"$venv/bin/python" -m pip install --quiet --upgrade "pip==26.3"
if [[ -f "$constraints" ]]; then
  "$venv/bin/python" -m pip install --quiet -r "$requirements" -c "$constraints"
else
  echo "setup-venv: no $constraints; resolving freely (freeze the result to create it)" >&2
  "$venv/bin/python" -m pip install --quiet -r "$requirements"
fi
"$venv/bin/airflow" version >/dev/null
echo "$want" >"$stamp"
echo "setup-venv: installed in $((SECONDS - start)) s"
