#!/usr/bin/env bash
# Step of action.yml: downloads a released pushdown, checks the archive against
# its published SHA-256 and puts the binary on PATH.
set -euo pipefail

version="${INPUT_VERSION#v}"
base="${INPUT_RELEASE_URL:-https://github.com/${ACTION_REPOSITORY:?}/releases/download}"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) triple=x86_64-unknown-linux-gnu ;;
  Linux-aarch64) triple=aarch64-unknown-linux-gnu ;;
  *) echo "::error title=pushdown::no pushdown release for $(uname -s) $(uname -m); leave 'version' empty to build from source"
     exit 1 ;;
esac
archive="pushdown-$version-$triple.tar.gz"
dir="${RUNNER_TEMP:?}/pushdown-$version"
mkdir -p "$dir/bin"
for file in "$archive" "$archive.sha256"; do
  curl --fail --silent --show-error --location --retry 3 -o "$dir/$file" "$base/v$version/$file"
done
# A truncated or tampered download must not run.
(cd "$dir" && sha256sum --check --strict "$archive.sha256")
tar -xzf "$dir/$archive" -C "$dir/bin" pushdown
"$dir/bin/pushdown" --version
echo "$dir/bin" >> "$GITHUB_PATH"
echo "bin=$dir/bin/pushdown" >> "$GITHUB_OUTPUT"
