#!/usr/bin/env bash
# make fuzz-long: each libFuzzer target for SECONDS (FUZZ_LONG_S, default
# 600), JOBS targets at a time (FUZZ_JOBS, default the cores), starting from
# the committed corpus tests/fuzz/corpus/<target> and the seeds. New inputs
# go to build/fuzz/long/<target>/corpus (never into the repository; `make
# fuzz-corpus` merges them in, minimized). Prints a table: executions, their
# rate, coverage (libFuzzer's cov and ft), corpus size, and what was found
# (crash, leak, timeout, oom). Exits 1 when any target found something; its
# input and log are in build/fuzz/long/<target>/.
#
#   fuzz_long.sh run SECONDS JOBS BIN...
#   fuzz_long.sh merge BIN...       (tests/fuzz/corpus/<target> += the runs' finds, minimized)
#   fuzz_long.sh smoke BIN...       (each target once over its corpus and seeds: make test)
set -u
mode=$1; shift
out=build/fuzz/long

one() { # one target: its log, its artifacts, its status line
  local secs=$1 f=$2 name dir rc
  name=$(basename "$f")
  dir=$out/$name
  rm -rf "$dir/found" && mkdir -p "$dir/corpus" "$dir/found" "tests/fuzz/corpus/$name"
  local seeds=tests/fuzz/seeds/$name
  [ -d "$seeds" ] || seeds=
  "$f" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -timeout=25 -print_final_stats=1 \
    -artifact_prefix="$dir/found/" "$dir/corpus" "tests/fuzz/corpus/$name" $seeds >"$dir/log" 2>&1
  rc=$?
  echo "$rc" >"$dir/rc"
}

row() { # the table's row for one target, from its log
  local name=$1 dir=$out/$1 done execs rate cov ft corp found
  done=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$dir/log" | tail -n 1)
  [ -n "$done" ] || done=$(grep -E '^#[0-9]+' "$dir/log" | tail -n 1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -n 1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$done")
  found=$(ls "$dir/found" 2>/dev/null | sed 's/-.*//' | sort | uniq -c | awk '{printf "%s%s x%s", (NR>1?", ":""), $2, $1}')
  [ "$(cat "$dir/rc")" = 0 ] || [ -n "$found" ] || found="exit $(cat "$dir/rc")"
  printf '| %-28s | %12s | %8s | %6s | %6s | %6s | %s |\n' "$name" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
    "${corp:-?}" "${found:-none}"
  [ -z "$found" ]
}

case $mode in
run)
  secs=$1 jobs=$2; shift 2
  export -f one; export out
  echo "fuzz-long: ${#@} targets, $secs s each, $jobs at a time (logs in $out/<target>/log)"
  printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'one "$0" "$1"' "$secs" {}
  printf '| %-28s | %12s | %8s | %6s | %6s | %6s | %s |\n' target execs exec/s cov ft corpus found
  printf '|%s|%s|%s|%s|%s|%s|%s|\n' ------------------------------ -------------- ---------- -------- -------- -------- ------
  bad=0
  for f in "$@"; do row "$(basename "$f")" || bad=1; done
  exit $bad
  ;;
merge)
  for f in "$@"; do
    name=$(basename "$f")
    [ -d "$out/$name/corpus" ] || continue
    mkdir -p "tests/fuzz/corpus/$name"
    "$f" -merge=1 -max_len=65536 "tests/fuzz/corpus/$name" "$out/$name/corpus" 2>&1 | tail -n 1
  done
  ;;
smoke)
  bad=0
  for f in "$@"; do
    name=$(basename "$f")
    seeds=tests/fuzz/seeds/$name
    [ -d "$seeds" ] || seeds=
    n=$(ls "tests/fuzz/corpus/$name" $seeds 2>/dev/null | wc -l)
    if "$f" -runs=0 -rss_limit_mb=2048 -max_len=65536 -timeout=25 "tests/fuzz/corpus/$name" $seeds \
        >"/tmp/c12-fuzz-smoke-$name.log" 2>&1; then
      echo "fuzz-smoke: $name: $n inputs, ok"
    else
      echo "fuzz-smoke: $name FAILED:"; tail -n 30 "/tmp/c12-fuzz-smoke-$name.log"; bad=1
    fi
  done
  exit $bad
  ;;
*) echo "usage: fuzz_long.sh run SECONDS JOBS BIN... | merge BIN... | smoke BIN..." >&2; exit 2 ;;
esac
