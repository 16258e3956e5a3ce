"""Step of action.yml: a pushdown result file -> the job summary (Markdown).

    python3 summary.py RESULT_FILE >> "$GITHUB_STEP_SUMMARY"

What a reader needs first comes first: the outcome, then the failing gate(s)
when a gate failed, then one table row per model (failed models on top) with
its rows, partitions and checks. Standard library only: it runs on any runner.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _failing_checks(model: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in model.get("checks") or [] if c.get("status") == "fail"]


def render(result: dict[str, Any]) -> str:
    status = result.get("status", "?")
    mark = "✅" if status == "success" else "❌"
    lines = [f"### {mark} pushdown {result.get('command', 'run')}: {status}", ""]
    scope = result.get("mode") or ""
    if result.get("start"):
        scope += f" {result['start']} .. {result.get('end')}"
    lines.append(
        f"Run `{result.get('run_id')}` of project `{result.get('project')}` on target "
        f"`{result.get('target')}`{', mode ' + scope if scope else ''}: "
        f"{result.get('duration_seconds', 0):.1f} s, of which "
        f"{result.get('warehouse_seconds', 0):.1f} s in the warehouse."
    )
    lines.append("")

    models = (result.get("transform") or {}).get("models") or []
    gates = [(m, c) for m in models for c in _failing_checks(m)]
    if gates:
        lines.append("**Failed quality gate** (nothing downstream of it was published):")
        lines.append("")
        for m, c in gates:
            threshold = c.get("threshold")
            lines.append(
                f"- `{m.get('model')}`: check `{c.get('name')}` failed with "
                f"{c.get('offending')} offending"
                + (f" (threshold {threshold})" if threshold is not None else "")
            )
        lines.append("")
    error = result.get("error")
    if error and not gates:
        message = (error.get("message") or "").strip()
        retry = "a retry may help" if error.get("retryable") else "a retry will not help"
        lines.append(f"**Error** ({error.get('kind')}, {retry}):")
        lines.append("")
        lines.append("```")
        lines.append(message)
        lines.append("```")
        lines.append("")

    land = result.get("land")
    if land:
        lines.append(
            f"Landed {land.get('files_loaded', 0)} file(s) ({land.get('files_skipped', 0)} already "
            f"landed, skipped): {land.get('rows', 0)} rows, {land.get('rejects', 0)} rejects."
        )
        for problem in land.get("file_errors") or []:
            lines.append(f"- unreadable: `{_cell(problem)}`")
        lines.append("")

    if models:
        # Failed models first, then the run's own order (the DAG's).
        ordered = sorted(models, key=lambda m: m.get("status") != "failed")
        lines.append("| model | status | rows inserted | updated | deleted | partitions | checks |")
        lines.append("|---|---|--:|--:|--:|--:|---|")
        for m in ordered:
            checks = []
            for c in m.get("checks") or []:
                icon = {"pass": "✅", "warn": "⚠️", "fail": "❌"}.get(c.get("status"), "")
                extra = f" ({c.get('offending')})" if c.get("status") != "pass" else ""
                checks.append(f"{icon} `{_cell(c.get('name'))}`{extra}")
            lines.append(
                f"| `{m.get('model')}` | {m.get('status')} | {m.get('rows_inserted', 0)} | "
                f"{m.get('rows_updated', 0)} | {m.get('rows_deleted', 0)} | "
                f"{m.get('partitions_count', 0)} | {'<br>'.join(checks) or '-'} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: summary.py RESULT_FILE", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        result = json.load(f)
    sys.stdout.write(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
