"""`PushdownOperator`: one pushdown command as one Airflow task."""

from __future__ import annotations

import collections
import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from pushdown_airflow.hooks import PushdownHook
from pushdown_airflow.outcome import exception_for

COMMANDS = ("run", "land", "transform")
MODES = ("incremental", "backfill", "full-refresh")
RESULT_XCOM_KEY = "pushdown_result"

# tracing's level names -> logging's.
_LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
}


class PushdownOperator(BaseOperator):
    """Runs `pushdown run|land|transform` on a project.

    :param project: the project directory (holding pushdown.toml).
    :param command: `run` (land, then transform), `land` or `transform`.
    :param target: the project's target to run against (default: its default_target).
    :param mode: `incremental`, `backfill` or `full-refresh` (templated).
    :param start: first partition of a backfill, YYYY-MM-DD (templated; passed
        only in backfill mode, so it can be set unconditionally, e.g. to
        ``{{ data_interval_start | ds }}``).
    :param end: last partition of a backfill, inclusive (templated, as start).
    :param select: models to run: a list, or one string of space-separated selectors.
    :param warehouse_conn_id: an Airflow connection mapped to the target's
        variables (see `PushdownHook`).
    :param pii_key_conn_id: a connection whose password is the PII key.
    :param env: more environment variables for the process (templated).
    :param pushdown_bin: the binary; default `$PUSHDOWN_BIN`, else `pushdown` on PATH.
    :param result_file: also keep the result file here (it always goes to XCom).

    The result file is pushed to XCom under the key ``pushdown_result`` whatever
    the outcome, and returned (``return_value``) on success.
    """

    template_fields: Sequence[str] = ("project", "target", "mode", "start", "end", "select", "env")
    template_fields_renderers = {"env": "json"}
    ui_color = "#d7e8f5"

    def __init__(
        self,
        *,
        project: str,
        command: str = "run",
        target: str | None = None,
        mode: str = "incremental",
        start: str | None = None,
        end: str | None = None,
        select: str | list[str] | None = None,
        warehouse_conn_id: str | None = None,
        pii_key_conn_id: str | None = None,
        env: dict[str, str] | None = None,
        pushdown_bin: str | None = None,
        result_file: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if command not in COMMANDS:
            raise ValueError(f"command must be one of {', '.join(COMMANDS)}, not {command!r}")
        self.project = project
        self.command = command
        self.target = target
        self.mode = mode
        self.start = start
        self.end = end
        self.select = select
        self.warehouse_conn_id = warehouse_conn_id
        self.pii_key_conn_id = pii_key_conn_id
        self.env = env or {}
        self.pushdown_bin = pushdown_bin
        self.result_file = result_file
        self._process: subprocess.Popen | None = None

    def command_line(self, binary: str, result_file: str) -> list[str]:
        """The argv of the run (no secret ever goes on it)."""
        argv = [binary, self.command, "--project", str(self.project), "--log-format", "json"]
        argv += ["--result-file", result_file]
        if self.target:
            argv += ["--target", self.target]
        if self.command == "land":
            return argv
        mode = (self.mode or "incremental").strip()
        if mode not in MODES:
            raise AirflowFailException(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        argv += ["--mode", mode]
        if mode == "backfill":
            start, end = (self.start or "").strip(), (self.end or "").strip()
            if not start or not end:
                raise AirflowFailException("mode backfill needs start and end (YYYY-MM-DD)")
            argv += ["--start", start, "--end", end]
        selectors = self.select.split() if isinstance(self.select, str) else list(self.select or [])
        if selectors:
            argv += ["--select", *selectors]
        return argv

    def _binary(self) -> str:
        binary = self.pushdown_bin or os.environ.get("PUSHDOWN_BIN") or shutil.which("pushdown")
        if not binary or not os.access(binary, os.X_OK):
            raise AirflowFailException(
                f"no pushdown binary: {binary or 'none on PATH'} "
                "(set the operator's pushdown_bin or the PUSHDOWN_BIN variable)"
            )
        return binary

    def execute(self, context: Any) -> dict[str, Any]:
        hook = PushdownHook(
            warehouse_conn_id=self.warehouse_conn_id, pii_key_conn_id=self.pii_key_conn_id
        )
        env = {**os.environ, **hook.get_env(), **{k: str(v) for k, v in self.env.items()}}
        scratch = tempfile.mkdtemp(prefix="pushdown-airflow-")
        try:
            result_path = self.result_file or os.path.join(scratch, "run_results.json")
            # A result left by an earlier run must not pass for this one's.
            Path(result_path).unlink(missing_ok=True)
            argv = self.command_line(self._binary(), result_path)
            self.log.info("running %s", " ".join(argv))
            returncode, tail = self._run(argv, env)
            result = _read_result(result_path)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if result is not None:
            context["ti"].xcom_push(key=RESULT_XCOM_KEY, value=result)
            self.log.info(
                "pushdown %s: status %s, run %s", self.command, result.get("status"), result.get("run_id")
            )
        error = exception_for(returncode, result, tail)
        if error is not None:
            raise error
        return result or {}

    def _run(self, argv: list[str], env: dict[str, str]) -> tuple[int, str]:
        """Runs the process, streaming its log into the task log; returns the
        exit code and its last plain-text lines (the error message)."""
        tail: collections.deque[str] = collections.deque(maxlen=20)
        self._process = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
        )
        try:
            assert self._process.stdout is not None
            for line in self._process.stdout:
                plain = self._log_line(line.rstrip("\n"))
                if plain:
                    tail.append(plain)
            returncode = self._process.wait()
        finally:
            self._process = None
        return returncode, "\n".join(tail)

    def _log_line(self, line: str) -> str | None:
        """Logs one line of pushdown's output; returns it when it was not JSON."""
        if not line.strip():
            return None
        try:
            event = json.loads(line)
        except ValueError:
            event = None
        if not isinstance(event, dict) or "level" not in event:
            self.log.info("%s", line)
            return line
        level = _LEVELS.get(str(event.pop("level")).upper(), logging.INFO)
        message = event.pop("message", "")
        event.pop("timestamp", None)
        event.pop("target", None)
        fields = " ".join(f"{k}={v}" for k, v in event.items())
        self.log.log(level, "%s%s", message, f" {fields}" if fields else "")
        return None

    def on_kill(self) -> None:
        # A killed run is completed by the next one (pushdown's crash
        # recovery); give it a moment to end on its own terms first.
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _read_result(path: str) -> dict[str, Any] | None:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
