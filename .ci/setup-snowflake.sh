# Sourced by .ci/run: the Snowflake emulator (fakesnow) and a local S3 (moto)
# in their own venv. The adapter's tests start their own servers from it, on
# free loopback ports, so tests stay isolated from each other.
# fakesnow[server] 0.12.1 needs snowflake-connector-python below 5.
SNOWFLAKE_VENV="${SNOWFLAKE_VENV:-$HOME/.cache/pushdown/venv-snowflake}"
if [ ! -x "$SNOWFLAKE_VENV/bin/fakesnow" ] || [ ! -x "$SNOWFLAKE_VENV/bin/moto_server" ] \
   || ! "$SNOWFLAKE_VENV/bin/python" -c 'import fakesnow, importlib.metadata as m; assert m.version("fakesnow") == "0.12.1"' 2>/dev/null; then
  echo "== setting up the Snowflake emulator venv ($SNOWFLAKE_VENV)"
  python3 -m venv "$SNOWFLAKE_VENV"
  "$SNOWFLAKE_VENV/bin/pip" install --quiet --disable-pip-version-check \
    'fakesnow[server]==0.12.1' 'snowflake-connector-python<5' 'moto[server]==5.2.5'
fi
export PUSHDOWN_FAKESNOW_VENV="$SNOWFLAKE_VENV"
