#!/usr/bin/env bash
# Step of action.yml: runs `pushdown run` with the action's inputs (all read
# from INPUT_* variables, never pasted into the script, so an input cannot
# inject shell), then sets the step's outputs from the result file. Exits
# with pushdown's own code, so a failed run fails the step.
set -uo pipefail

bin="${PUSHDOWN_BIN:-pushdown}"
[ -n "$bin" ] || bin=pushdown
result="${INPUT_RESULT_FILE:-${RUNNER_TEMP:?}/pushdown/run_results.json}"
rm -f "$result"

args=(run --project "${INPUT_PROJECT:-.}" --mode "${INPUT_MODE:-incremental}" --result-file "$result")
[ -n "${INPUT_TARGET:-}" ] && args+=(--target "$INPUT_TARGET")
[ -n "${INPUT_START:-}" ] && args+=(--start "$INPUT_START")
[ -n "${INPUT_END:-}" ] && args+=(--end "$INPUT_END")
if [ -n "${INPUT_SELECT:-}" ]; then
  read -ra selectors <<< "$INPUT_SELECT"
  args+=(--select "${selectors[@]}")
fi

echo "pushdown ${args[*]}"
# stderr also goes to a file, for the summary of a run that ends before
# writing a result (a usage or config error).
errlog="$(mktemp)"
{ "$bin" "${args[@]}" 2>&1 >&3 3>&- | tee "$errlog" >&2 3>&-; code=${PIPESTATUS[0]}; } 3>&1

if [ -f "$result" ]; then
  echo "result-file=$result" >> "$GITHUB_OUTPUT"
  python3 - "$result" >> "$GITHUB_OUTPUT" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"run-id={r.get('run_id', '')}")
print(f"status={r.get('status', '')}")
PY
  if [ "$code" -ne 0 ]; then
    # One annotation on the run page with pushdown's own message (first line).
    python3 - "$result" <<'PY'
import json, sys
e = (json.load(open(sys.argv[1])).get("error") or {})
first = (e.get("message") or "").splitlines()
detail = " ".join(line.strip() for line in first[:3])
print(f"::error title=pushdown run failed ({e.get('kind', '?')})::{detail}")
PY
  fi
else
  echo "status=failed" >> "$GITHUB_OUTPUT"
  echo "::error title=pushdown::pushdown exited $code without a result file (a usage or config error: see its message above)"
  {
    echo "### ❌ pushdown run: usage or config error (exit $code)"
    echo
    echo '```'
    sed -n '/^error: /,$p' "$errlog" | sed '1s/^error: //'
    echo '```'
  } >> "$GITHUB_STEP_SUMMARY"
fi
rm -f "$errlog"
exit "$code"
