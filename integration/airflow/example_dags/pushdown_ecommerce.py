"""Example DAG: the reference e-commerce pipeline, landed then transformed daily.

Scheduled runs land what arrived and transform incrementally. The same DAG
backfills: runs that Airflow creates for a backfill
(`airflow backfill create --dag-id pushdown_ecommerce --from-date 2026-01-01
--to-date 2026-01-07`) transform in `--mode backfill`, each its own day; a
manual run can also ask for it with the conf
`{"mode": "backfill", "start": "2026-01-01", "end": "2026-01-31"}` to
recompute a range of partitions in one run.

Deployment settings come from Airflow, not from the DAG file:
- `PUSHDOWN_PROJECT`: the project directory (default: the example next to this file),
- connection `pushdown_warehouse`: the warehouse (duckdb, snowflake or
  google_cloud_platform; see pushdown_airflow.hooks),
- connection `pushdown_pii_key`: its password is the PII key,
- the binary: `PUSHDOWN_BIN` or `pushdown` on PATH.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from airflow.sdk import DAG

from pushdown_airflow.operators import PushdownOperator

PROJECT = os.environ.get(
    "PUSHDOWN_PROJECT", str(Path(__file__).resolve().parents[3] / "examples" / "ecommerce")
)

# A run that Airflow made for a backfill recomputes its day; `dag_run.conf`
# may name the mode and range of a manual run.
MODE = (
    "{{ (dag_run.conf or {}).get('mode') or "
    "('backfill' if dag_run.run_type == 'backfill' else 'incremental') }}"
)
# The run's day: its data interval's start where the timetable gives one,
# else its logical date (Airflow 3's default "@daily" is a trigger timetable,
# whose backfill runs carry no data interval).
DAY = "(data_interval_start or logical_date or dag_run.run_after) | ds"
START = "{{ (dag_run.conf or {}).get('start') or %s }}" % DAY
END = "{{ (dag_run.conf or {}).get('end') or %s }}" % DAY

with DAG(
    dag_id="pushdown_ecommerce",
    schedule="@daily",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    # Two runs on one warehouse would only wait on each other's lease.
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": datetime.timedelta(minutes=5)},
    tags=["pushdown"],
) as dag:
    land = PushdownOperator(
        task_id="land",
        command="land",
        project=PROJECT,
        warehouse_conn_id="pushdown_warehouse",
        pii_key_conn_id="pushdown_pii_key",
    )
    transform = PushdownOperator(
        task_id="transform",
        command="transform",
        project=PROJECT,
        mode=MODE,
        start=START,
        end=END,
        warehouse_conn_id="pushdown_warehouse",
        pii_key_conn_id="pushdown_pii_key",
    )
    land >> transform
