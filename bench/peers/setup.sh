#!/usr/bin/env bash
# Creates the dbt-duckdb peer's Python environment for the benchmarks (not the
# test suite): dbt-core + dbt-duckdb + duckdb==1.5.6, every package pinned in
# bench/peers/requirements.txt. Idempotent: does nothing when the venv already
# has exactly those versions.
#
#   bench/peers/setup.sh            # venv at $PEER_VENV (default /root/.cache/pushdown/dbt-venv)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${PEER_VENV:-${PUSHDOWN_CACHE:-/root/.cache/pushdown}/dbt-venv}"
REQ="$HERE/requirements.txt"
stamp="$VENV/.requirements.sha256"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [[ -x "$VENV/bin/dbt" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    exit 0
fi
echo "[peer setup] creating $VENV (dbt-core, dbt-duckdb, duckdb pinned in $REQ)"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$REQ"
"$VENV/bin/pip" check
"$VENV/bin/dbt" --version
echo "$want" > "$stamp"
