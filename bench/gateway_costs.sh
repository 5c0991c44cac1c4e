#!/bin/bash
# bench/gateway_costs.sh [C12_BIN] - what one proxied request costs c12 serve
# in front of bench/fixed_upstream.c, beside the latencies of
# bench/gateway.py: heap allocations a request (uprobes on libc's malloc,
# calloc and realloc, `perf stat` over 50 requests by curl, plain then
# streamed) and voluntary context switches a request (summed over the
# server's threads in /proc, 4 s of wrk at about 1,000 requests/s over 16
# connections, pausing as bench/gateway.py's BENCH_ARRIVALS says: random
# by default, "paced" for the equal pauses of the figures before
# 2026-12-06); then where a plain request's time goes at that rate
# (`perf record` over 8 s: the shares by shared object, and the top
# symbols) and its system calls a request (`strace -c -f` over 4 s, per
# request the server's c12_requests_total counted; strace slows the
# server, the counts a request stay). Needs root (perf probe), perf, wrk,
# curl, strace; 127.0.0.1 only.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
C12=${1:-$ROOT/build/c12}
UP=$ROOT/build/bench/fixed_upstream
LIBC=$(ldd "$C12" | awk '/libc.so.6/ {print $3}')
TMP=$(mktemp -d /tmp/c12-gw-costs-XXXXXX)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
UPORT=$(port); CPORT=$(port)
cleanup() { kill "$UPID" "$CPID" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$TMP"; }
"$UP" "$UPORT" >/dev/null & UPID=$!
cat > "$TMP/c12.yaml" <<EOC
server: {max_connections: 8192, max_connections_per_client: 8192}
cache: {enabled: false}
sites:
  up: {url: "http://127.0.0.1:$UPORT/v1", carbon: {chain: [static], providers: {static: {value: 100}}}, max_concurrent: 1024}
models:
  - {id: bench, sites: [up]}
EOC
"$C12" serve --listen "127.0.0.1:$CPORT" --config "$TMP/c12.yaml" --ledger "$TMP/ledger.db" --batches "$TMP/b" \
  >/dev/null 2>"$TMP/err" & CPID=$!
trap cleanup EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$CPORT/readyz" >/dev/null && break; sleep 0.1; done
for f in malloc calloc realloc; do perf probe -q -x "$LIBC" "$f" 2>/dev/null || true; done
URL="http://127.0.0.1:$CPORT/v1/chat/completions"
body() { echo "{\"model\":\"bench\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":8,\"stream\":$1}"; }
echo "# $C12; ${BENCH_ARRIVALS:-random} pauses"
for stream in false true; do
  curl -s "$URL" -H 'Content-Type: application/json' -d "$(body $stream)" >/dev/null # warm
  perf stat -x, -e probe_libc:malloc,probe_libc:calloc,probe_libc:realloc -p "$CPID" -o "$TMP/stat" -- \
    bash -c "for i in \$(seq 50); do curl -s '$URL' -H 'Content-Type: application/json' -d '$(body $stream)' >/dev/null; done"
  echo "stream=$stream allocations/request $(awk -F, '/probe_libc/ {s += $1} END {printf "%.0f", s / 50}' "$TMP/stat")"
done
switches() { cat /proc/"$CPID"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/ {v += $2} END {print v}'; }
# about 1,000 requests/s for $2 seconds over 16 connections, in the background
# (W); the request and its pauses are bench/gateway.py's
load() {
  local script
  script=$(cd "$ROOT/bench" && python3 -c 'import gateway, sys; print(gateway.lua(sys.argv[1], sys.argv[2] == "true", 16))' \
    "$TMP" "$1")
  wrk -t2 -c16 -d"$2"s -s "$script" "$URL" > "$TMP/wrk" & W=$!
}
for stream in false true; do
  load $stream 7
  sleep 1.5; a=$(switches); sleep 4; b=$(switches); wait $W
  rate=$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk")
  echo "stream=$stream voluntary switches/request $(awk -v a="$a" -v b="$b" -v r="$rate" 'BEGIN {printf "%.2f", (b - a) / (r * 4)}') at $rate requests/s"
done
load false 12
sleep 2
perf record -q -o "$TMP/perf.data" -p "$CPID" -- sleep 8 2>/dev/null
wait $W
echo "stream=false where the time goes (perf record, 8 s at $(awk '/Requests\/sec/ {print $2}' "$TMP/wrk") requests/s):"
perf report -i "$TMP/perf.data" --sort dso --stdio 2>/dev/null | awk '/%/ && !/^#/ && n++ < 8 {printf "  %s %s\n", $1, $2}'
perf report -i "$TMP/perf.data" --sort sym --stdio 2>/dev/null | awk '/%/ && !/^#/ && n++ < 12 {printf "  %s %s %s\n", $1, $2, $3}'
served() { curl -s "http://127.0.0.1:$CPORT/metrics" | awk '/^c12_requests_total\{/ {n += $2} END {print n}'; }
load false 9
sleep 2; a=$(served)
timeout -s INT 4 strace -c -f -p "$CPID" -o "$TMP/strace" >/dev/null 2>&1 || true
b=$(served); wait $W
echo "stream=false system calls a request (strace -c -f, 4 s, $((b - a)) requests):"
awk -v n="$((b - a))" '$NF ~ /^[a-z_0-9]+$/ && $NF != "total" && $4 ~ /^[0-9]+$/ && n > 0 && k++ < 12 {printf "  %s %.2f\n", $NF, $4 / n}' "$TMP/strace"
