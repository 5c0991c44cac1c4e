#!/usr/bin/env bash
# `make bench-serve`: the server beside the engine, in one run.
#  1. streamed decode tokens/s through HTTP (`c12 serve`, SSE) beside `c12 run`
#     on the same prompt, model and greedy settings (best of 3 each);
#  2. GET /v1/models requests/s and p50/p99 latency at 64 connections (wrk);
#  3. second-turn time to first token of a 1,000-token conversation with the
#     prefix cache and without (bench/prefix.py).
# Everything talks to 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
C12=${C12_BIN:-build/c12}
MODEL=${MODEL:-smollm2-135m}
N=${N:-128}
PROMPT=${PROMPT:-"Write a long story about a lighthouse keeper and a storm."}
command -v wrk >/dev/null || { echo "bench-serve: wrk is missing (apt-get install wrk)"; exit 1; }
log=$(mktemp)
cfg=$(mktemp --suffix=.yaml)
printf 'default_model: %s\nmodels:\n  - %s\n' "$MODEL" "$MODEL" > "$cfg"
"$C12" serve --config "$cfg" --listen 127.0.0.1:0 > "$log.out" 2> "$log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log" "$log.out" "$cfg"' EXIT
for _ in $(seq 100); do grep -q listening "$log.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$log.out")
[ -n "$port" ] || { echo "bench-serve: the server did not start:"; cat "$log"; exit 1; }

# the two take turns (run, HTTP, run, ...) so that other work on the machine
# hits both alike; best of 3 each
runs="" https=""
for _ in 1 2 3; do
  runs+=" $("$C12" run -m "$MODEL" -p "$PROMPT" -n "$N" --temp 0 --ignore-eos --stats 2>&1 >/dev/null |
            sed -n 's/.*generated [0-9]* in [0-9.]* s, \([0-9.]*\) t\/s.*/\1/p')"
  https+="$(python3 bench/serve_stream.py "$port" "$MODEL" "$PROMPT" "$N")"$'\n'
done
python3 - "$runs" "$https" <<'PY'
import json, sys
run = max(float(x) for x in sys.argv[1].split())
http = max((json.loads(l) for l in sys.argv[2].splitlines() if l), key=lambda r: r["tps"])
print(f"streamed decode, {http['tokens']} tokens, greedy, best of 3:")
print(f"  c12 run          {run:8.1f} tokens/s")
print(f"  c12 serve (SSE)  {http['tps']:8.1f} tokens/s   {http['tps'] / run:.3f}x of c12 run")
PY

echo "GET /v1/models, 64 connections, 4 wrk threads, 10 s:"
wrk -t4 -c64 -d10s --latency "http://127.0.0.1:$port/v1/models" > "$log.wrk"
python3 - "$log.wrk" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = re.search(r"Requests/sec:\s*([\d.]+)", t).group(1)
lat = dict(re.findall(r"^\s*(50|99)%\s+(\S+)", t, re.M))
errs = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print(f"  {float(rps):10.0f} requests/s   p50 {lat['50']}   p99 {lat['99']}"
      + (f"   non-2xx: {errs.group(1)}" if errs else ""))
PY
rm -f "$log.wrk"

python3 bench/prefix.py "$C12" "$MODEL" 1000
