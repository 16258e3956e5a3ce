"""The connection mapping and the outcome mapping, on Airflow's own classes."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def sdk(airflow_db):
    from airflow.sdk import Connection

    return Connection


def test_the_installed_package_is_a_registered_provider(airflow_db) -> None:
    from airflow.providers_manager import ProvidersManager

    provider = ProvidersManager().providers["airflow-provider-pushdown"]
    assert provider.version == "0.1.0"


def test_snowflake_connection_maps_to_pushdown_variables(sdk) -> None:
    from pushdown_airflow.hooks import warehouse_env

    conn = sdk(
        conn_id="sf",
        conn_type="snowflake",
        host="127.0.0.1:8085",
        login="loader",
        password="s3cr3t-pw",
        schema="ignored_when_database_is_set",
        extra=json.dumps({"account": "acme-eu1", "database": "SHOP", "warehouse": "WH", "role": "LOADER"}),
    )
    env, secrets = warehouse_env(conn)
    assert env == {
        "PUSHDOWN_SNOWFLAKE_URL": "https://127.0.0.1:8085",
        "PUSHDOWN_SNOWFLAKE_ACCOUNT": "acme-eu1",
        "PUSHDOWN_SNOWFLAKE_USER": "loader",
        "PUSHDOWN_SNOWFLAKE_PASSWORD": "s3cr3t-pw",
        "PUSHDOWN_SNOWFLAKE_DATABASE": "SHOP",
        "PUSHDOWN_SNOWFLAKE_WAREHOUSE": "WH",
        "PUSHDOWN_SNOWFLAKE_ROLE": "LOADER",
    }
    assert secrets == ["s3cr3t-pw"]

    # Airflow's older prefixed extras work too; an explicit scheme is kept.
    old = sdk(
        conn_id="sf2",
        conn_type="snowflake",
        host="http://localhost:9000",
        extra=json.dumps({"extra__snowflake__account": "acme"}),
    )
    env, _ = warehouse_env(old)
    assert env["PUSHDOWN_SNOWFLAKE_ACCOUNT"] == "acme"
    assert env["PUSHDOWN_SNOWFLAKE_URL"] == "http://localhost:9000"


def test_google_cloud_connection_passes_the_key_in_memory(sdk) -> None:
    from pushdown_airflow.hooks import warehouse_env

    key = {"type": "service_account", "client_email": "x@p.iam", "private_key": "-----BEGIN KEY-----abc"}
    conn = sdk(
        conn_id="gcp",
        conn_type="google_cloud_platform",
        extra=json.dumps({"project": "shop-prod", "keyfile_dict": key, "endpoint": "http://127.0.0.1:9050"}),
    )
    env, secrets = warehouse_env(conn)
    assert env["PUSHDOWN_BIGQUERY_PROJECT"] == "shop-prod"
    assert env["PUSHDOWN_BIGQUERY_URL"] == "http://127.0.0.1:9050"
    assert json.loads(env["PUSHDOWN_BIGQUERY_CREDENTIALS_JSON"]) == key
    assert "GOOGLE_APPLICATION_CREDENTIALS" not in env, "no key file is written"
    assert secrets == [env["PUSHDOWN_BIGQUERY_CREDENTIALS_JSON"]]

    by_path = sdk(
        conn_id="gcp2",
        conn_type="google_cloud_platform",
        extra=json.dumps({"extra__google_cloud_platform__key_path": "/var/secrets/key.json"}),
    )
    assert warehouse_env(by_path)[0] == {"GOOGLE_APPLICATION_CREDENTIALS": "/var/secrets/key.json"}


def test_an_unmapped_connection_type_fails_without_retry(sdk) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from pushdown_airflow.hooks import pii_key_env, warehouse_env

    with pytest.raises(AirflowFailException, match="has type 'postgres'"):
        warehouse_env(sdk(conn_id="pg", conn_type="postgres", host="db"))
    with pytest.raises(AirflowFailException, match="holds no password"):
        pii_key_env(sdk(conn_id="k", conn_type="generic"))


def test_the_hook_masks_every_secret_it_hands_over(sdk, monkeypatch) -> None:
    from airflow.sdk.log import redact

    from pushdown_airflow.hooks import PushdownHook

    monkeypatch.setenv(
        "AIRFLOW_CONN_SF_MASK",
        json.dumps({"conn_type": "snowflake", "login": "u", "password": "mask-me-pw", "extra": {"account": "a"}}),
    )
    monkeypatch.setenv("AIRFLOW_CONN_KEY_MASK", json.dumps({"conn_type": "generic", "password": "mask-me-key"}))
    env = PushdownHook(warehouse_conn_id="sf_mask", pii_key_conn_id="key_mask").get_env()
    assert env["PUSHDOWN_SNOWFLAKE_PASSWORD"] == "mask-me-pw"
    assert env["PUSHDOWN_PII_KEY"] == "mask-me-key"
    assert redact("password mask-me-pw and key mask-me-key") == "password *** and key ***"


def _result(kind: str, retryable: bool, checks=()) -> dict:
    return {
        "status": "failed",
        "error": {"kind": kind, "message": f"{kind} went wrong", "retryable": retryable},
        "transform": {"models": [{"model": "dw.fact_orders", "checks": list(checks)}]},
    }


def test_outcomes_map_to_airflow_failures(airflow_db) -> None:
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    from pushdown_airflow.outcome import exception_for

    assert exception_for(0, {"status": "success"}, "") is None

    def no_retry(e):
        return isinstance(e, AirflowFailException)

    def retried(e):
        return isinstance(e, AirflowException) and not isinstance(e, AirflowFailException)

    gate = exception_for(
        1,
        _result("gate", False, [{"name": "unique(order_id)", "status": "fail", "offending": 3}]),
        "",
    )
    assert no_retry(gate) and str(gate) == "quality gate failed: dw.fact_orders: unique(order_id) (3 offending)"
    assert retried(exception_for(1, _result("transient", True), ""))
    assert retried(exception_for(1, _result("busy", True), ""))
    assert no_retry(exception_for(1, _result("warehouse", False), ""))
    assert no_retry(exception_for(1, _result("input", False), ""))
    usage = exception_for(2, None, "some warning\nerror: 2 problems:\n  a.toml:3: x\n  b.sql:1: y")
    assert no_retry(usage)
    assert str(usage) == "pushdown usage or config error (exit 2): 2 problems:\n  a.toml:3: x\n  b.sql:1: y"
    assert retried(exception_for(-9, None, "")), "a killed run is finished by the next"
    assert retried(exception_for(1, None, "")), "a crash before the result file"
