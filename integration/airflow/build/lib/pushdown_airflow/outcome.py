"""pushdown's outcome (exit code and result file) -> Airflow's.

pushdown exits 0 on success, 2 on a usage or config error (no result file:
the project could not even be read), 1 on a failed run, whose result file
says why in `error.kind` and whether a retry can help in `error.retryable`.

| outcome | Airflow |
|---|---|
| exit 0 | success |
| exit 2 (usage, config) | AirflowFailException: fails at once, no retry |
| exit 1, kind `gate` | AirflowFailException naming the failed checks: a retry publishes nothing new |
| exit 1, `retryable` (kinds `transient`, `busy`) | AirflowException: Airflow retries as the task's `retries` say |
| exit 1, other kinds (`warehouse` refused a statement, `input`, `internal`) | AirflowFailException: the same statement or file fails again |
| killed by a signal, or exit 1 without a result file | AirflowException: a crashed run is finished by the next one, so a retry is right |
"""

from __future__ import annotations

from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowFailException


class PushdownGateFailed(AirflowFailException):
    """A quality gate blocked publishing."""


class PushdownUsageError(AirflowFailException):
    """The command line or the project is wrong: fix it, retrying cannot help."""


class PushdownRunFailed(AirflowFailException):
    """A failed run that a retry would fail the same way."""


class PushdownRetryableError(AirflowException):
    """A transient condition: Airflow's retries may succeed."""


def failed_checks(result: dict[str, Any] | None) -> list[str]:
    """`model: check (N offending)` for every failing check of the result."""
    out = []
    for model in ((result or {}).get("transform") or {}).get("models") or []:
        for check in model.get("checks") or []:
            if check.get("status") == "fail":
                out.append(f"{model.get('model')}: {check.get('name')} ({check.get('offending')} offending)")
    return out


def exception_for(returncode: int, result: dict[str, Any] | None, tail: str) -> Exception | None:
    """The exception that ends the task, or None on success.

    `tail` is the last lines the process printed, for when there is no result.
    """
    if returncode == 0:
        return None
    error = (result or {}).get("error") or {}
    message = error.get("message") or _error_lines(tail) or f"pushdown exited {returncode}"
    if returncode == 2:
        return PushdownUsageError(f"pushdown usage or config error (exit 2): {message}")
    if returncode < 0:
        return PushdownRetryableError(f"pushdown was killed by signal {-returncode}: {tail}")
    if not error:
        return PushdownRetryableError(f"pushdown exited {returncode} without a result: {message}")
    kind = error.get("kind", "")
    if kind == "gate":
        checks = failed_checks(result)
        return PushdownGateFailed(
            "quality gate failed: " + ("; ".join(checks) if checks else message)
        )
    if error.get("retryable"):
        return PushdownRetryableError(f"pushdown run failed ({kind}, retryable): {message}")
    return PushdownRunFailed(f"pushdown run failed ({kind}): {message}")


def _error_lines(tail: str) -> str:
    """pushdown's own `error: ...` message (it may span lines) from the last
    lines it printed; all of them when it printed none."""
    lines = tail.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("error: "):
            return "\n".join([line[len("error: "):], *lines[i + 1 :]]).strip()
    return tail.strip()
