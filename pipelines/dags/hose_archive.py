"""The Airflow DAG of specs/archive.yaml.

A DAG file per spec: `hose_<name>.py` builds the dag of `<name>.yaml` in the specs folder, so a
broken spec fails only its own file's import. A new spec is a yaml plus a copy of this file named
after it; the file itself never changes.
"""

import sys
from pathlib import Path

# The hose_* modules sit next to this file; Airflow does not always put the dags folder on sys.path.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from hose_build import dag_for  # noqa: E402

dag = dag_for(__file__)
