"""The example DAG run by a real Airflow (`dag.test()`, metadata in sqlite)
on the reference pipeline and a real DuckDB, through the real binary."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import shop
from testkit import REPO

UTC = datetime.timezone.utc


@pytest.fixture
def deployment(airflow_db, pushdown_bin: Path, landing: Path, tmp_path: Path, monkeypatch):
    """The warehouse and the PII key as Airflow connections, as a deployment
    would hold them; the landing zone and binary as worker settings."""
    db = tmp_path / "shop.duckdb"
    monkeypatch.setenv(
        "AIRFLOW_CONN_PUSHDOWN_WAREHOUSE", json.dumps({"conn_type": "duckdb", "host": str(db)})
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_PUSHDOWN_PII_KEY",
        json.dumps({"conn_type": "generic", "password": shop.PII_KEY}),
    )
    monkeypatch.setenv("PUSHDOWN_LANDING_DIR", str(landing))
    monkeypatch.setenv("PUSHDOWN_BIN", str(pushdown_bin))
    monkeypatch.delenv("PUSHDOWN_PII_KEY", raising=False)
    monkeypatch.delenv("PUSHDOWN_DUCKDB_PATH", raising=False)
    return db


def _dag(dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    assert not bag.import_errors, bag.import_errors
    return bag.get_dag(dag_id)


def _day(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


def _tis(dagrun) -> dict:
    return {ti.task_id: ti for ti in dagrun.get_task_instances()}


def _xcom(ti, key: str = "pushdown_result"):
    return ti.xcom_pull(task_ids=ti.task_id, key=key)


def _assert_clean(output: str) -> None:
    assert shop.PII_KEY not in output
    for address in shop.ADDRESSES:
        assert address.lower() not in output.lower()


def test_two_logical_dates_then_a_backfill(deployment: Path, landing: Path, capfd) -> None:
    dag = _dag("pushdown_ecommerce")
    for day in shop.GOOD_DAYS:
        shop.arrive(landing, day)
        dagrun = dag.test(logical_date=_day(day))
        tis = _tis(dagrun)
        assert dagrun.state == "success", {t: ti.state for t, ti in tis.items()}
        assert shop.revenue(deployment) == shop.REVENUE_AFTER[day]

        land = _xcom(tis["land"])
        assert (land["command"], land["status"]) == ("land", "success")
        assert land["land"]["files_loaded"] == len(shop.FILES[day])
        transform = _xcom(tis["transform"])
        assert (transform["command"], transform["mode"], transform["status"]) == (
            "transform",
            "incremental",
            "success",
        )
        assert transform["start"] is None
        assert _xcom(tis["transform"], "return_value") == transform
        models = {m["model"]: m for m in transform["transform"]["models"]}
        assert models["mart.revenue_daily"]["status"] == "success"

    # pushdown's JSON log lines reach the task log as log records.
    output = capfd.readouterr()
    logs = output.out + output.err
    assert "land --project" in logs and "--log-format json" in logs
    assert "landed 4 file(s), skipped 0 already landed: 8 rows, 0 rejects" in logs
    assert "landed 3 file(s), skipped 4 already landed: 4 rows, 0 rejects" in logs
    # A JSON line (message and fields) rendered as a log record.
    assert "done model=mart.revenue_daily status=success" in logs
    _assert_clean(logs)

    # The same DAG backfills a range of partitions when asked for it.
    dagrun = dag.test(
        logical_date=_day("2026-01-06") + datetime.timedelta(hours=12),
        run_conf={"mode": "backfill", "start": "2026-01-05", "end": "2026-01-06"},
    )
    assert dagrun.state == "success"
    transform = _xcom(_tis(dagrun)["transform"])
    assert (transform["mode"], transform["start"], transform["end"]) == ("backfill", "2026-01-05", "2026-01-06")
    fact = next(m for m in transform["transform"]["models"] if m["model"] == "dw.fact_orders")
    assert sorted(fact["partitions"]) == ["2026-01-05", "2026-01-06"]
    assert shop.revenue(deployment) == shop.REVENUE_AFTER["2026-01-06"], "a backfill changes nothing"

    # Without conf, a run's backfill range is its own day.
    from pushdown_airflow.operators import PushdownOperator

    task = dag.get_task("transform")
    assert isinstance(task, PushdownOperator)
    assert "data_interval_start" in task.start and "dag_run.run_type == 'backfill'" in task.mode


def test_a_failing_gate_fails_the_task_at_once_naming_the_gate(deployment: Path, landing: Path, capfd) -> None:
    dag = _dag("pushdown_ecommerce")
    shop.arrive(landing, shop.GOOD_DAYS[0])
    assert dag.test(logical_date=_day("2026-01-05")).state == "success"
    shop.arrive(landing, shop.BAD_DAY)
    capfd.readouterr()

    dagrun = dag.test(logical_date=_day(shop.BAD_DAY))
    tis = _tis(dagrun)
    assert dagrun.state == "failed"
    assert tis["land"].state == "success"
    transform = tis["transform"]
    # The DAG allows 2 retries; a failed gate uses none of them.
    assert transform.state == "failed"
    assert transform.try_number == 1 and transform.max_tries == 2
    result = _xcom(transform)
    assert result["status"] == "failed" and result["error"]["kind"] == "gate"
    check = next(
        c["name"]
        for m in result["transform"]["models"]
        for c in m["checks"]
        if c["status"] == "fail" and m["model"] == shop.GATE_MODEL
    )
    logs = "".join(capfd.readouterr())
    assert f"quality gate failed: {shop.GATE_MODEL}: {check} (1 offending)" in logs
    assert "PushdownGateFailed" in logs
    assert shop.revenue(deployment) == shop.REVENUE_AFTER["2026-01-05"]
    _assert_clean(logs)


def test_a_usage_error_fails_at_once(deployment: Path, landing: Path, capfd) -> None:
    dag = _dag("pushdown_ecommerce")
    shop.arrive(landing, shop.GOOD_DAYS[0])
    dagrun = dag.test(
        logical_date=_day("2026-01-08"),
        run_conf={"mode": "backfill", "start": "2026-01-09", "end": "2026-01-05"},
    )
    transform = _tis(dagrun)["transform"]
    assert transform.state == "failed" and transform.try_number == 1
    assert _xcom(transform) is None, "a usage error writes no result"
    logs = "".join(capfd.readouterr())
    assert "pushdown usage or config error (exit 2): --start 2026-01-09 is after --end 2026-01-05" in logs


def test_a_crashed_run_is_retried_and_finished(deployment: Path, landing: Path, capfd) -> None:
    dag = _dag("pushdown_retry")
    for day in shop.GOOD_DAYS:
        shop.arrive(landing, day)
    dagrun = dag.test(logical_date=_day("2026-01-06"))
    ti = _tis(dagrun)["run"]
    assert dagrun.state == "success"
    assert ti.try_number == 2, "the first try aborted at the failpoint, the retry finished"
    logs = "".join(capfd.readouterr())
    assert "failpoint transform:before_finish#1: aborting the process" in logs
    assert "killed by signal" in logs
    assert shop.revenue(deployment) == shop.REVENUE_AFTER["2026-01-06"]
    assert _xcom(ti)["status"] == "success"


def test_an_airflow_backfill_runs_the_dag_in_backfill_mode(
    airflow_db: Path, deployment: Path, landing: Path, tmp_path: Path
) -> None:
    """`airflow backfill create` makes runs of type backfill; their transform
    task (run here with `airflow tasks test`, which executes the existing
    run's task in-process) renders to `--mode backfill` over its own day."""
    home = tmp_path / "airflow"
    home.mkdir()
    shutil.copy(airflow_db / "pristine.db", home / "airflow.db")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        # The provider of this checkout, as in this process.
        "PYTHONPATH": str(REPO / "integration" / "airflow" / "src"),
    }

    def airflow(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "airflow", *args], env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, f"airflow {args}:\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout + proc.stderr

    for day in shop.GOOD_DAYS:
        shop.arrive(landing, day)
    # Landing is not what is under test here; each `airflow` command costs
    # seconds of CPU, so the files land by the binary itself.
    land = subprocess.run(
        [os.environ["PUSHDOWN_BIN"], "land", "--project", os.environ["PUSHDOWN_PROJECT"]],
        env={**os.environ, "PUSHDOWN_DUCKDB_PATH": str(deployment), "PUSHDOWN_PII_KEY": shop.PII_KEY},
        capture_output=True,
        text=True,
    )
    assert land.returncode == 0, land.stderr
    airflow("dags", "reserialize")
    airflow("backfill", "create", "--dag-id", "pushdown_ecommerce",
            "--from-date", "2026-01-05", "--to-date", "2026-01-05")
    logs = airflow("tasks", "test", "pushdown_ecommerce", "transform", "2026-01-05")
    assert "backfill__2026-01-05" in logs, "the task ran in the backfill's own run"
    assert "transform --project" in logs
    assert "--mode backfill --start 2026-01-05 --end 2026-01-05" in logs
    # Exactly the day's partition, built from everything landed (the refund
    # of day 2 included); 2026-01-06 is outside the range.
    assert shop.revenue(deployment) == [("2026-01-05", 2, "155.00", "149.50", "49.50")]
