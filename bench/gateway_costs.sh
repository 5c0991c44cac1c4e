#!/bin/bash
# bench/gateway_costs.sh [C12_BIN] - what one proxied request costs c12 serve
# in front of bench/fixed_upstream.c, beside the latencies of
# bench/gateway.py: heap allocations a request (uprobes on libc's malloc,
# calloc and realloc, `perf stat` over 50 requests by curl, plain then
# streamed) and voluntary context switches a request (summed over the
# server's threads in /proc, 4 s of wrk at about 1,000 requests/s over 16
# connections). Needs root (perf probe), perf, wrk, curl; 127.0.0.1 only.
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
echo "# $C12"
for stream in false true; do
  curl -s "$URL" -H 'Content-Type: application/json' -d "$(body $stream)" >/dev/null # warm
  perf stat -x, -e probe_libc:malloc,probe_libc:calloc,probe_libc:realloc -p "$CPID" -o "$TMP/stat" -- \
    bash -c "for i in \$(seq 50); do curl -s '$URL' -H 'Content-Type: application/json' -d '$(body $stream)' >/dev/null; done"
  echo "stream=$stream allocations/request $(awk -F, '/probe_libc/ {s += $1} END {printf "%.0f", s / 50}' "$TMP/stat")"
done
switches() { cat /proc/"$CPID"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/ {v += $2} END {print v}'; }
for stream in false true; do
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\nfunction delay() return 16 end\n' \
    "'$(body $stream)'" > "$TMP/req.lua"
  wrk -t2 -c16 -d7s -s "$TMP/req.lua" "$URL" > "$TMP/wrk" & W=$!
  sleep 1.5; a=$(switches); sleep 4; b=$(switches); wait $W
  rate=$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk")
  echo "stream=$stream voluntary switches/request $(awk -v a="$a" -v b="$b" -v r="$rate" 'BEGIN {printf "%.2f", (b - a) / (r * 4)}') at $rate requests/s"
done
