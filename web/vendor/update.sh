#!/usr/bin/env bash
# Fetch the vendored uPlot from the npm registry and check it against
# SOURCES.md's sums (run by hand to upgrade; builds never fetch).
set -euo pipefail
VERSION=1.6.32
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "uplot@$VERSION" >/dev/null && tar xzf "uplot-$VERSION.tgz")
cp "$tmp/package/dist/uPlot.iife.min.js" "$tmp/package/dist/uPlot.min.css" "$tmp/package/LICENSE" "$here/uplot/"
cd "$here" && grep -E '^[0-9a-f]{64}  uplot/' SOURCES.md | sha256sum -c -
