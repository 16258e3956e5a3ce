"""Airflow connections -> the environment variables pushdown reads.

pushdown takes every deployment setting and secret from environment variables
(a project file names variables, never values). The hook builds that
environment in memory for the one child process: nothing is written to disk,
and every secret is registered with Airflow's secrets masker before the task
can log anything, so a stray echo in a log shows `***`.

The mapping, by connection type (extras may also carry Airflow's old
`extra__<type>__<name>` prefix):

| connection type | field | variable |
|---|---|---|
| snowflake | host (`https://` added when missing) | PUSHDOWN_SNOWFLAKE_URL |
| snowflake | extra `account` | PUSHDOWN_SNOWFLAKE_ACCOUNT |
| snowflake | login | PUSHDOWN_SNOWFLAKE_USER |
| snowflake | password (secret) | PUSHDOWN_SNOWFLAKE_PASSWORD |
| snowflake | extra `database` | PUSHDOWN_SNOWFLAKE_DATABASE |
| snowflake | extra `warehouse`, `role` | PUSHDOWN_SNOWFLAKE_WAREHOUSE, PUSHDOWN_SNOWFLAKE_ROLE |
| google_cloud_platform | extra `project` | PUSHDOWN_BIGQUERY_PROJECT |
| google_cloud_platform | extra `keyfile_dict` (secret) | PUSHDOWN_BIGQUERY_CREDENTIALS_JSON |
| google_cloud_platform | extra `key_path` | GOOGLE_APPLICATION_CREDENTIALS |
| google_cloud_platform | host or extra `endpoint` | PUSHDOWN_BIGQUERY_URL |
| duckdb | host (the database file) | PUSHDOWN_DUCKDB_PATH |
| pii key connection (any type) | password (secret) | PUSHDOWN_PII_KEY |

A service-account key is handed over as JSON in a variable rather than as
GOOGLE_APPLICATION_CREDENTIALS, which would need the key written to a file.
"""

from __future__ import annotations

import json
from typing import Any

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowFailException
from airflow.sdk.log import mask_secret

SNOWFLAKE_TYPES = {"snowflake"}
GCP_TYPES = {"google_cloud_platform", "gcpbigquery", "gcp"}
DUCKDB_TYPES = {"duckdb"}


class ConnectionMappingError(AirflowFailException):
    """A connection pushdown cannot use: retrying cannot fix it."""


def _extra(conn: Any, name: str) -> Any:
    extra = conn.extra_dejson or {}
    for key in (name, f"extra__{conn.conn_type}__{name}"):
        value = extra.get(key)
        if value not in (None, ""):
            return value
    return None


def _secret(env: dict[str, str], secrets: list[str], name: str, value: Any) -> None:
    if value in (None, ""):
        return
    text = value if isinstance(value, str) else json.dumps(value)
    secrets.append(text)
    env[name] = text


def _plain(env: dict[str, str], name: str, value: Any) -> None:
    if value not in (None, ""):
        env[name] = str(value)


def warehouse_env(conn: Any) -> tuple[dict[str, str], list[str]]:
    """The variables for a warehouse connection, and which values are secret."""
    env: dict[str, str] = {}
    secrets: list[str] = []
    kind = (conn.conn_type or "").lower()
    if kind in SNOWFLAKE_TYPES:
        host = conn.host
        if host and "://" not in host:
            host = f"https://{host}"
        _plain(env, "PUSHDOWN_SNOWFLAKE_URL", host)
        _plain(env, "PUSHDOWN_SNOWFLAKE_ACCOUNT", _extra(conn, "account"))
        _plain(env, "PUSHDOWN_SNOWFLAKE_USER", conn.login)
        _secret(env, secrets, "PUSHDOWN_SNOWFLAKE_PASSWORD", conn.password)
        _plain(env, "PUSHDOWN_SNOWFLAKE_DATABASE", _extra(conn, "database") or conn.schema)
        _plain(env, "PUSHDOWN_SNOWFLAKE_WAREHOUSE", _extra(conn, "warehouse"))
        _plain(env, "PUSHDOWN_SNOWFLAKE_ROLE", _extra(conn, "role"))
    elif kind in GCP_TYPES:
        _plain(env, "PUSHDOWN_BIGQUERY_PROJECT", _extra(conn, "project"))
        _secret(env, secrets, "PUSHDOWN_BIGQUERY_CREDENTIALS_JSON", _extra(conn, "keyfile_dict"))
        _plain(env, "GOOGLE_APPLICATION_CREDENTIALS", _extra(conn, "key_path"))
        _plain(env, "PUSHDOWN_BIGQUERY_URL", conn.host or _extra(conn, "endpoint"))
    elif kind in DUCKDB_TYPES:
        _plain(env, "PUSHDOWN_DUCKDB_PATH", conn.host or conn.schema)
    else:
        known = sorted(SNOWFLAKE_TYPES | GCP_TYPES | DUCKDB_TYPES)
        raise ConnectionMappingError(
            f"connection {conn.conn_id!r} has type {conn.conn_type!r}; pushdown's hook maps "
            f"{', '.join(known)} (set other variables with the operator's `env`)"
        )
    return env, secrets


def pii_key_env(conn: Any) -> tuple[dict[str, str], list[str]]:
    if not conn.password:
        raise ConnectionMappingError(
            f"connection {conn.conn_id!r} holds no password: pushdown reads the PII key from it"
        )
    return {"PUSHDOWN_PII_KEY": conn.password}, [conn.password]


class PushdownHook(BaseHook):
    """Builds pushdown's environment from a warehouse and a PII-key connection."""

    def __init__(
        self,
        warehouse_conn_id: str | None = None,
        pii_key_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.warehouse_conn_id = warehouse_conn_id
        self.pii_key_conn_id = pii_key_conn_id

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        secrets: list[str] = []
        if self.warehouse_conn_id:
            e, s = warehouse_env(self.get_connection(self.warehouse_conn_id))
            env.update(e)
            secrets += s
        if self.pii_key_conn_id:
            e, s = pii_key_env(self.get_connection(self.pii_key_conn_id))
            env.update(e)
            secrets += s
        for value in secrets:
            mask_secret(value)
        # A JSON key masks as a whole; its private key must also mask alone,
        # e.g. when a library logs just that field.
        for value in secrets:
            if value.startswith("{"):
                try:
                    inner = json.loads(value).get("private_key")
                except (ValueError, AttributeError):
                    inner = None
                if inner:
                    mask_secret(inner)
        return env
