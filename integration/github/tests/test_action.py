"""The composite action (action.yml), run step by step as Actions runs it
(integration/github/harness.py) on the reference pipeline and a real DuckDB,
with pushdown installed from a release archive served on loopback."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import duckdb
import pytest

import shop
from testkit import EXAMPLE, REPO
from github.harness import ActionRun, Unsupported, _condition, _Evaluator, read_output_file, run_action

VERSION = "0.1.0-test"
TRIPLE = "x86_64-unknown-linux-gnu"


@pytest.fixture(scope="session")
def release_url(pushdown_bin: Path, tmp_path_factory: pytest.TempPathFactory):
    """A release server on 127.0.0.1 serving the binary under test, packed by
    the same script the release workflow uses."""
    root = tmp_path_factory.mktemp("releases")
    binary = root / "pushdown"
    shutil.copy(pushdown_bin, binary)
    # A debug build is mostly debug info: without it every install is 5x faster.
    if shutil.which("strip"):
        subprocess.run(["strip", "--strip-debug", binary], check=True)
    subprocess.run(
        [REPO / "integration/github/package-release.sh", binary, VERSION, TRIPLE, root / f"v{VERSION}"],
        check=True,
        capture_output=True,
    )
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def job(tmp_path: Path, landing: Path, release_url):
    """Runs the action as one step of a job; the step's env carries the
    deployment variables and the PII key the way a workflow passes secrets."""
    url, _ = release_url
    db = tmp_path / "shop.duckdb"
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    step_env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "LD_LIBRARY_PATH": os.environ.get("LD_LIBRARY_PATH", ""),
        "PUSHDOWN_LANDING_DIR": str(landing),
        "PUSHDOWN_DUCKDB_PATH": str(db),
        "PUSHDOWN_PII_KEY": shop.PII_KEY,
        "PUSHDOWN_LOG": "info",
    }

    def run(**inputs: str) -> ActionRun:
        temp = tmp_path / f"runner-temp-{len(list(tmp_path.glob('runner-temp-*')))}"
        temp.mkdir()
        inputs = {"project": str(EXAMPLE), "version": VERSION, "release-url": url, **inputs}
        return run_action(REPO, inputs, step_env, workspace, temp)

    run.db = db
    return run


def _no_secret(run: ActionRun) -> None:
    for text in (run.log, run.summary, Path(run.outputs["result-file"]).read_text()):
        assert shop.PII_KEY not in text
        for address in shop.ADDRESSES:
            assert address.lower() not in text.lower()


def test_two_days_incremental_set_outputs_and_summary(job, landing: Path) -> None:
    for day in shop.GOOD_DAYS:
        shop.arrive(landing, day)
        run = job()
        assert run.conclusion == "success", run.log
        assert [s.outcome for s in run.steps] == ["success", "skipped", "skipped", "success", "success"]
        assert run.outputs["status"] == "success"
        result = json.loads(Path(run.outputs["result-file"]).read_text())
        assert run.outputs["run-id"] == result["run_id"]
        assert result["mode"] == "incremental"
        assert shop.revenue(job.db) == shop.REVENUE_AFTER[day]
        _no_secret(run)

        # The summary: outcome, landing, then one row per model with its checks.
        summary = run.summary
        assert summary.startswith("### ✅ pushdown run: success")
        assert f"Run `{result['run_id']}` of project `ecommerce` on target `dev`, mode incremental" in summary
        assert f"Landed {result['land']['files_loaded']} file(s)" in summary
        assert "| model | status | rows inserted | updated | deleted | partitions | checks |" in summary
        for model in result["transform"]["models"]:
            row = next(line for line in summary.splitlines() if line.startswith(f"| `{model['model']}` |"))
            assert f"| {model['status']} | {model['rows_inserted']} | {model['rows_updated']} |" in row
            assert f"| {model['partitions_count']} |" in row
            for check in model["checks"]:
                assert f"`{check['name']}`" in row
        assert "Failed quality gate" not in summary

    with duckdb.connect(str(job.db), read_only=True) as con:
        runs = con.execute("SELECT run_id, status FROM audit.runs ORDER BY run_seq").fetchall()
    assert runs[-1] == (run.outputs["run-id"], "success")
    assert len(runs) == 2


def test_a_failing_gate_fails_the_step_and_leads_the_summary(job, landing: Path) -> None:
    shop.arrive(landing, shop.GOOD_DAYS[0])
    assert job().conclusion == "success"
    before = shop.revenue(job.db)
    shop.arrive(landing, shop.BAD_DAY)

    run = job()
    assert run.conclusion == "failure"
    assert run.step("run").outcome == "failure" and run.step("run").exit_code == 1
    # The summary step runs although the run failed.
    assert run.steps[-1].outcome == "success"
    assert run.outputs["status"] == "failed"
    result = json.loads(Path(run.outputs["result-file"]).read_text())
    assert result["error"]["kind"] == "gate"
    failed = [
        (m["model"], c["name"], c["offending"])
        for m in result["transform"]["models"]
        for c in m["checks"]
        if c["status"] == "fail"
    ]
    assert [(m, o) for m, _, o in failed] == [(shop.GATE_MODEL, 1)]
    model, check, _ = failed[0]
    assert "not_null" in check and "net_amount_usd" in check

    lines = [line for line in run.summary.splitlines() if line.strip()]
    assert lines[0] == "### ❌ pushdown run: failed"
    # First thing after the run line: the failing gate, then the failed model tops the table.
    assert lines[2].startswith("**Failed quality gate**")
    assert lines[3].startswith(f"- `{model}`: check `{check}` failed with 1 offending")
    table = [line for line in lines if line.startswith("| `")]
    assert table[0].startswith(f"| `{model}` | failed |") and "❌" in table[0]
    assert f"::error title=pushdown run failed (gate)::" in run.log
    assert shop.revenue(job.db) == before, "a failed gate published nothing downstream"
    _no_secret(run)


def test_a_usage_error_fails_without_a_result_and_skips_the_summary(job, landing: Path) -> None:
    run = job(mode="backfill", start="2026-01-05")
    assert run.conclusion == "failure"
    assert run.step("run").exit_code == 2
    assert run.outputs == {"run-id": "", "status": "failed", "result-file": ""}
    assert run.steps[-1].outcome == "skipped"
    assert "--mode backfill needs --start YYYY-MM-DD and --end YYYY-MM-DD" in run.log
    assert "without a result file" in run.log
    # No result, yet the summary says what to fix, in pushdown's words.
    assert run.summary.splitlines()[:4] == [
        "### ❌ pushdown run: usage or config error (exit 2)",
        "",
        "```",
        "--mode backfill needs --start YYYY-MM-DD and --end YYYY-MM-DD",
    ]


def test_backfill_and_select_inputs_reach_the_command(job, landing: Path) -> None:
    for day in shop.GOOD_DAYS:
        shop.arrive(landing, day)
    assert job().conclusion == "success"
    run = job(mode="backfill", start="2026-01-05", end="2026-01-06", select="+mart.revenue_daily")
    assert run.conclusion == "success", run.log
    result = json.loads(Path(run.outputs["result-file"]).read_text())
    assert (result["mode"], result["start"], result["end"]) == ("backfill", "2026-01-05", "2026-01-06")
    models = {m["model"] for m in result["transform"]["models"]}
    assert "mart.revenue_daily" in models and "mart.sla_breaches_daily" not in models
    assert shop.revenue(job.db) == shop.REVENUE_AFTER["2026-01-06"]


def test_a_tampered_release_archive_is_refused(job, release_url, tmp_path: Path) -> None:
    url, root = release_url
    bad = tmp_path / "bad-releases" / f"v{VERSION}"
    bad.mkdir(parents=True)
    for f in (root / f"v{VERSION}").iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    archive = bad / f"pushdown-{VERSION}-{TRIPLE}.tar.gz"
    archive.write_bytes(archive.read_bytes()[:-10] + b"0123456789")
    handler = functools.partial(_QuietHandler, directory=str(bad.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        run = job(**{"release-url": f"http://127.0.0.1:{server.server_address[1]}"})
    finally:
        server.shutdown()
    assert run.steps[0].outcome == "failure"
    assert "FAILED" in run.steps[0].log
    assert [s.outcome for s in run.steps[1:]] == ["skipped"] * 4
    assert run.outputs["status"] == ""


def test_the_harness_reads_file_commands_and_conditions_as_actions_does(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("a=1\nmsg<<EOF\nline 1\nline=2\nEOF\nb=x=y\n")
    assert read_output_file(out) == {"a": "1", "msg": "line 1\nline=2", "b": "x=y"}
    ev = _Evaluator({"inputs": {"version": ""}, "steps": {"run": {"outputs": {"x": "1"}}}}, {"failed": True})
    assert not _condition("inputs.version != ''", ev), "an implied success() after a failure"
    assert _condition("always() && steps.run.outputs.x != ''", ev)
    assert ev.eval("steps.missing.outputs.bin || 'fallback'") == "fallback"
    assert ev.eval("'ABC' == 'abc'") is True
    assert ev.eval("steps.missing.outputs.x == ''") is True, "null equals '' as in Actions"
    with pytest.raises(Unsupported):
        ev.eval("toJSON(inputs)")
