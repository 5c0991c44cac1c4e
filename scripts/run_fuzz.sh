#!/usr/bin/env bash
# Run each libFuzzer target for a bounded time: run_fuzz.sh SECONDS BIN...
set -eu
secs=$1; shift
for f in "$@"; do
  name=$(basename "$f")
  corpus=$(dirname "$f")/corpus/$name
  mkdir -p "$corpus"
  seeds=tests/fuzz/seeds/$name
  [ -d "$seeds" ] || seeds=
  echo "== $name ($secs s)"
  "$f" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 "$corpus" $seeds 2>&1 | tail -n 3
done
