"""Airflow provider for pushdown: run `pushdown land|transform|run` as a task.

`PushdownOperator` runs the binary, streams its JSON log lines into the task
log, pushes the result file to XCom and maps pushdown's outcome to Airflow's
(a failed gate fails without retry, a transient warehouse error is retried, a
usage or config error fails at once). `PushdownHook` turns Airflow connections
into the environment variables pushdown reads, in memory only.
"""

__version__ = "0.1.0"


def get_provider_info() -> dict:
    """What Airflow's provider manager lists for this package."""
    return {
        "package-name": "airflow-provider-pushdown",
        "name": "pushdown",
        "description": "Warehouse-pushdown ELT: land raw files, transform inside the warehouse.",
        "versions": [__version__],
    }
