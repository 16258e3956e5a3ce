# Sourced by .ci/run: bqemulator, the BigQuery REST emulator the BigQuery
# adapter's tests run against (each test binary starts its own server on a
# free port of 127.0.0.1; see adapters/bigquery/src/emulator.rs).
#
# Pinned as measured: bqemulator 1.4.0 with DuckDB 1.5.5. At start the
# emulator runs `INSTALL spatial`, which downloads the extension unless it is
# already installed: the spatial extension comes from its PyPI wheel and is
# installed from that file, so nothing is fetched at run time. numpy is
# required by the emulator's built-in functions but not declared by it.
BQ_VENV="$HOME/.cache/pushdown/bqemulator-1.4.0"
if [ ! -x "$BQ_VENV/bin/bqemulator" ]; then
  echo "== installing bqemulator 1.4.0 into $BQ_VENV"
  python3 -m venv "$BQ_VENV"
  "$BQ_VENV/bin/pip" install --quiet --disable-pip-version-check \
    bqemulator==1.4.0 duckdb==1.5.5 duckdb-extension-spatial==1.5.5 numpy==2.4.6
fi
"$BQ_VENV/bin/python" - <<'PY'
import os, duckdb, duckdb_extension_spatial
ext = os.path.join(os.path.dirname(duckdb_extension_spatial.__file__),
                   "extensions", "v" + duckdb.__version__, "spatial.duckdb_extension")
duckdb.connect().execute(f"INSTALL '{ext}'")
PY
export PUSHDOWN_BQEMULATOR="$BQ_VENV/bin/bqemulator"
