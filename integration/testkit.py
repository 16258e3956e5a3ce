"""Fixtures and helpers shared by the Actions and Airflow tests: the real pushdown binary
(built by the cargo test step) and a landing zone of the reference pipeline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "ecommerce"


def _candidates() -> list[Path]:
    if os.environ.get("PUSHDOWN_BIN"):
        return [Path(os.environ["PUSHDOWN_BIN"])]
    target = os.environ.get("CARGO_TARGET_DIR") or str(Path.home() / ".cache/pushdown/target")
    return [Path(target) / "debug" / "pushdown", REPO / "target" / "debug" / "pushdown"]


def missing(reason: str) -> None:
    """Under .ci/run (PUSHDOWN_CI=1) a missing prerequisite fails the test;
    on a developer machine it skips with the reason."""
    if os.environ.get("PUSHDOWN_CI") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pushdown_bin() -> Path:
    for path in _candidates():
        if path.is_file() and os.access(path, os.X_OK):
            return path
    missing(
        "no pushdown binary: set PUSHDOWN_BIN or build it "
        f"(looked at {', '.join(map(str, _candidates()))})"
    )


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path
