#!/usr/bin/env bash
# Step of action.yml: builds pushdown from the action's own checkout (the
# cache step before it keeps cargo's registry and target between runs).
set -euo pipefail

export CARGO_TARGET_DIR="$GITHUB_ACTION_PATH/target"
cargo build --release --locked --manifest-path "$GITHUB_ACTION_PATH/Cargo.toml" \
  -p pushdown --bin pushdown --no-default-features --features "${INPUT_FEATURES:-duckdb}"
echo "$CARGO_TARGET_DIR/release" >> "$GITHUB_PATH"
echo "bin=$CARGO_TARGET_DIR/release/pushdown" >> "$GITHUB_OUTPUT"
