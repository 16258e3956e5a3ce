"""Runs a composite action's steps the way GitHub Actions does, on this machine.

For each step of `runs.steps`: evaluate its `if:` (default `success()`),
render the `${{ ... }}` expressions of its name, env and script from the
`inputs`, `steps`, `github`, `runner` and `env` contexts, run the script with
`bash --noprofile --norc -eo pipefail` in fresh `GITHUB_OUTPUT`,
`GITHUB_STEP_SUMMARY`, `GITHUB_ENV` and `GITHUB_PATH` files, and read those
files back as the runner does (outputs for later steps, variables and PATH
entries for later steps, the summary appended to the job's). The action's
outputs are then evaluated from the steps' outputs.

A step that `uses:` another action cannot run offline: if its condition holds
the harness raises `Unsupported` rather than pretend it ran. So does any
expression the small evaluator below does not know, so the action cannot
quietly depend on something the harness would get wrong.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class Unsupported(Exception):
    pass


@dataclass
class StepRun:
    id: str | None
    name: str
    outcome: str  # success, failure or skipped
    exit_code: int | None = None
    log: str = ""


@dataclass
class ActionRun:
    outputs: dict[str, str]
    summary: str
    steps: list[StepRun] = field(default_factory=list)

    @property
    def conclusion(self) -> str:
        return "failure" if any(s.outcome == "failure" for s in self.steps) else "success"

    def step(self, step_id: str) -> StepRun:
        return next(s for s in self.steps if s.id == step_id)

    @property
    def log(self) -> str:
        return "".join(s.log for s in self.steps)


# ---------------------------------------------------------------- expressions

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||[!(),])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_*][A-Za-z0-9_-]*)*))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise Unsupported(f"expression `{text}`: cannot read at `{text[pos:]}`")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _truthy(v: Any) -> bool:
    return v not in (None, "", 0, False)


def _number(v: Any) -> float:
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    text = str(v).strip()
    if text == "":
        return 0.0
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _equal(a: Any, b: Any) -> bool:
    # Actions' loose equality: strings compare case-insensitively; values of
    # different types compare as numbers (null and '' are both 0, so a
    # missing output equals '').
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if type(a) is type(b) and a is not None:
        return a == b
    return _number(a) == _number(b)


class _Evaluator:
    def __init__(self, contexts: dict[str, Any], status: dict[str, bool]):
        self.contexts = contexts
        self.status = status

    def eval(self, text: str) -> Any:
        self.toks, self.i = _tokens(text), 0
        value = self._or()
        if self.i != len(self.toks):
            raise Unsupported(f"expression `{text}`: unexpected `{self.toks[self.i][1]}`")
        return value

    def _peek(self) -> str | None:
        return self.toks[self.i][1] if self.i < len(self.toks) else None

    def _take(self) -> tuple[str, str]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def _or(self) -> Any:
        v = self._and()
        while self._peek() == "||":
            self._take()
            rhs = self._and()
            v = v if _truthy(v) else rhs
        return v

    def _and(self) -> Any:
        v = self._not()
        while self._peek() == "&&":
            self._take()
            rhs = self._not()
            v = rhs if _truthy(v) else v
        return v

    def _not(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not _truthy(self._not())
        v = self._primary()
        if self._peek() in ("==", "!="):
            op = self._take()[1]
            rhs = self._primary()
            return _equal(v, rhs) if op == "==" else not _equal(v, rhs)
        return v

    def _primary(self) -> Any:
        kind, text = self._take()
        if text == "(":
            v = self._or()
            self._take()
            return v
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text)
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self._peek() == "(":
            self._take()
            args = []
            while self._peek() != ")":
                args.append(self._or())
                if self._peek() == ",":
                    self._take()
            self._take()
            return self._call(text, args)
        return self._lookup(text)

    def _call(self, name: str, args: list[Any]) -> Any:
        if name == "always":
            return True
        if name == "success":
            return not self.status["failed"]
        if name == "failure":
            return self.status["failed"]
        if name == "cancelled":
            return False
        if name == "format":
            fmt = str(args[0])
            return re.sub(r"\{(\d+)\}", lambda m: str(args[int(m.group(1)) + 1]), fmt)
        raise Unsupported(f"function {name}() is not supported by the harness")

    def _lookup(self, path: str) -> Any:
        head, *rest = path.split(".")
        if head not in self.contexts:
            raise Unsupported(f"context `{head}` is not supported by the harness")
        v: Any = self.contexts[head]
        for part in rest:
            v = v.get(part) if isinstance(v, dict) else None
        return v


_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def _render(text: Any, ev: _Evaluator) -> str:
    def one(m: re.Match) -> str:
        v = ev.eval(m.group(1))
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    return _EXPR.sub(one, str(text))


def _condition(text: Any, ev: _Evaluator) -> bool:
    if text is None:
        return ev.eval("success()")
    if isinstance(text, bool):
        return text
    text = str(text).strip()
    m = re.fullmatch(r"\$\{\{(.*)\}\}", text, re.S)
    expr = m.group(1) if m else text
    # As Actions does: a condition without a status function implies success().
    if not re.search(r"\b(always|success|failure|cancelled)\(", expr):
        expr = f"success() && ({expr})"
    return _truthy(ev.eval(expr))


# -------------------------------------------------------------- file commands


def read_output_file(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT / GITHUB_ENV syntax: `name=value` or `name<<DELIM` ... `DELIM`."""
    values: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            body = []
            while i < len(lines) and lines[i] != delim:
                body.append(lines[i])
                i += 1
            if i >= len(lines):
                raise ValueError(f"{path}: no closing delimiter {delim!r} for {name!r}")
            i += 1
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        else:
            raise ValueError(f"{path}: cannot read line {line!r}")
    return values


# --------------------------------------------------------------------- runner


def run_action(
    action_dir: Path,
    inputs: dict[str, str],
    env: dict[str, str],
    workspace: Path,
    runner_temp: Path,
    repository: str = "example/pushdown",
) -> ActionRun:
    """Runs `action_dir/action.yml` with these inputs, as a step of a job whose
    environment (including the step's own `env:`, where secrets go) is `env`."""
    action = yaml.safe_load((Path(action_dir) / "action.yml").read_text())
    assert action["runs"]["using"] == "composite", "only composite actions are run"
    declared = action.get("inputs") or {}
    unknown = set(inputs) - set(declared)
    if unknown:
        raise ValueError(f"inputs not declared by the action: {sorted(unknown)}")
    values = {k: str(v.get("default", "")) for k, v in declared.items()}
    values.update({k: str(v) for k, v in inputs.items()})
    for name, spec in declared.items():
        if spec.get("required") and not values.get(name):
            raise ValueError(f"input {name} is required")

    github = {
        "action_path": str(action_dir),
        "action_repository": repository,
        "repository": repository,
        "workspace": str(workspace),
        "run_id": "1",
        "job": "harness",
    }
    runner = {"temp": str(runner_temp), "os": "Linux", "arch": "X64"}
    steps_ctx: dict[str, Any] = {}
    status = {"failed": False}
    job_env = dict(env)
    extra_path: list[str] = []
    summary: list[str] = []
    run = ActionRun(outputs={}, summary="")

    for index, step in enumerate(action["runs"]["steps"]):
        contexts = {
            "inputs": values, "github": github, "runner": runner,
            "steps": steps_ctx, "env": job_env,
        }
        ev = _Evaluator(contexts, status)
        step_id = step.get("id")
        name = _render(step.get("name", step.get("uses", step.get("run", ""))), ev)
        if not _condition(step.get("if"), ev):
            run.steps.append(StepRun(step_id, name, "skipped"))
            if step_id:
                steps_ctx[step_id] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
            continue
        if "uses" in step:
            raise Unsupported(f"step {name!r} uses {step['uses']}: cannot run it offline")
        if step.get("shell") != "bash":
            raise Unsupported(f"step {name!r}: composite steps must say `shell: bash`")

        files = {}
        scratch = Path(tempfile.mkdtemp(prefix=f"step{index}-", dir=runner_temp))
        for var in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH"):
            files[var] = scratch / var.lower()
            files[var].touch()
        script = scratch / "script.sh"
        script.write_text(_render(step["run"], ev))
        step_env = {k: _render(v, ev) for k, v in (step.get("env") or {}).items()}
        proc_env = {
            **job_env,
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_ACTION_PATH": str(action_dir),
            "GITHUB_ACTION_REPOSITORY": repository,
            "GITHUB_REPOSITORY": repository,
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_RUN_ID": "1",
            "GITHUB_JOB": "harness",
            "RUNNER_TEMP": str(runner_temp),
            "RUNNER_OS": "Linux",
            **{var: str(path) for var, path in files.items()},
            **step_env,
        }
        proc_env["PATH"] = os.pathsep.join([*extra_path, job_env.get("PATH", os.defpath)])
        cwd = workspace / _render(step["working-directory"], ev) if "working-directory" in step else workspace
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env=proc_env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        outcome = "success" if proc.returncode == 0 else "failure"
        if outcome == "failure":
            status["failed"] = True
        outputs = read_output_file(files["GITHUB_OUTPUT"])
        job_env.update(read_output_file(files["GITHUB_ENV"]))
        extra_path = [
            line for line in files["GITHUB_PATH"].read_text().splitlines() if line.strip()
        ][::-1] + extra_path
        summary.append(files["GITHUB_STEP_SUMMARY"].read_text())
        run.steps.append(StepRun(step_id, name, outcome, proc.returncode, proc.stdout))
        if step_id:
            steps_ctx[step_id] = {"outputs": outputs, "outcome": outcome, "conclusion": outcome}

    ev = _Evaluator(
        {"inputs": values, "github": github, "runner": runner, "steps": steps_ctx, "env": job_env},
        status,
    )
    run.outputs = {k: _render(v.get("value", ""), ev) for k, v in (action.get("outputs") or {}).items()}
    run.summary = "".join(summary)
    return run
