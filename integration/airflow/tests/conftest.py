"""A throwaway Airflow home (sqlite metadata DB, a DAG folder holding the
example DAG and the tests' own DAG), set up before anything imports airflow."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from testkit import EXAMPLE, REPO, missing

HOME = Path(tempfile.mkdtemp(prefix="pushdown-airflow-home-"))
DAGS = HOME / "dags"
DAGS.mkdir()
(DAGS / "pushdown_ecommerce.py").symlink_to(REPO / "integration/airflow/example_dags/pushdown_ecommerce.py")
(DAGS / "pushdown_retry.py").write_text(
    '''"""The tests' DAG: a run that crashes on its first try (a real abort at a
failpoint) and is retried at once."""
import datetime
import os

from airflow.sdk import DAG

from pushdown_airflow.operators import PushdownOperator

with DAG(
    dag_id="pushdown_retry",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
) as dag:
    PushdownOperator(
        task_id="run",
        project=os.environ.get("PUSHDOWN_PROJECT", "."),
        warehouse_conn_id="pushdown_warehouse",
        pii_key_conn_id="pushdown_pii_key",
        retries=1,
        retry_delay=datetime.timedelta(0),
        env={"PUSHDOWN_FAILPOINT": "{{ 'transform:before_finish' if ti.try_number == 1 else '' }}"},
    )
'''
)

os.environ.update(
    {
        "AIRFLOW_HOME": str(HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{HOME}/airflow.db",
        "PUSHDOWN_PROJECT": str(EXAMPLE),
    }
)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    try:
        import airflow  # noqa: F401
        import pushdown_airflow  # noqa: F401
    except ImportError as e:
        missing(f"Airflow or the provider is not installed ({e}): run .ci/setup-airflow.sh")
    proc = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Tests that drive the `airflow` command line start from a copy of the
    # fresh database, so the runs of other tests do not meet theirs.
    shutil.copy(HOME / "airflow.db", HOME / "pristine.db")
    return HOME
