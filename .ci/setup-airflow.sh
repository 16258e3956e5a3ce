# Sourced by .ci/run: a venv with a pinned Apache Airflow 3 and the pushdown
# provider, for the integration tests (`pytest integration`, run after the
# cargo tests). The venv is rebuilt only when the pinned list changes; uv
# installs the ~130 pinned wheels in seconds where pip takes minutes.
AIRFLOW_VENV="$HOME/.cache/pushdown/airflow-venv"
airflow_lock="integration/airflow/requirements-ci.txt"
airflow_want="$(sha256sum "$airflow_lock" | cut -d' ' -f1)"
if [ "$(cat "$AIRFLOW_VENV/.lock-sha256" 2>/dev/null)" != "$airflow_want" ]; then
  echo "== setting up the Airflow venv in $AIRFLOW_VENV"
  rm -rf "$AIRFLOW_VENV"
  python3 -m venv "$AIRFLOW_VENV"
  "$AIRFLOW_VENV/bin/pip" install --quiet --disable-pip-version-check uv==0.9.30
  "$AIRFLOW_VENV/bin/uv" pip install --quiet --python "$AIRFLOW_VENV/bin/python" -r "$airflow_lock"
  echo "$airflow_want" > "$AIRFLOW_VENV/.lock-sha256"
fi
# The provider from this checkout, as a user installs it (a wheel, not a path hack).
"$AIRFLOW_VENV/bin/uv" pip install --quiet --python "$AIRFLOW_VENV/bin/python" \
  --no-deps --reinstall-package airflow-provider-pushdown ./integration/airflow
export PUSHDOWN_INTEGRATION_PYTHON="$AIRFLOW_VENV/bin/python"
