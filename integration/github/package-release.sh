#!/usr/bin/env bash
# Packs a pushdown binary as the release archive install-release.sh fetches:
#   package-release.sh BINARY VERSION TRIPLE OUTDIR
# writes OUTDIR/pushdown-VERSION-TRIPLE.tar.gz and its .sha256.
set -euo pipefail
bin="$1" version="${2#v}" triple="$3" out="$4"
archive="pushdown-$version-$triple.tar.gz"
mkdir -p "$out"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp "$bin" "$stage/pushdown"
tar -czf "$out/$archive" -C "$stage" pushdown
(cd "$out" && sha256sum "$archive" > "$archive.sha256")
echo "$out/$archive"
