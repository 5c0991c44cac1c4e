#!/usr/bin/env bash
# `make bench-serve`: the server beside the engine, in one run.
#  1. streamed decode tokens/s through HTTP (`c12 serve`, SSE) beside `c12 run`
#     on the same prompt, model and greedy settings (best of 3 each);
#  2. constrained decoding's cost: streamed decode tokens/s on JSON_MODEL
#     (qwen2.5-coder-1.5b, its 151k-token vocabulary) with and without a
#     JSON schema (response_format), side by side (best of 3 each);
#  3. GET /v1/models requests/s and p50/p99 latency at 64 connections (wrk);
#  4. second-turn time to first token of a 1,000-token conversation with the
#     prefix cache and without (bench/prefix.py);
#  5. batched decoding: 1, 2, 4 and 8 concurrent streams on MODEL and
#     JSON_MODEL (tokens/s and J/token beside one stream), and on MODEL the
#     time to first token while 4 streams run, chunked prefill on and off
#     (bench/concurrency.py).
# Everything talks to 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
C12=${C12_BIN:-build/c12}
MODEL=${MODEL:-smollm2-135m}
N=${N:-128}
JSON_MODEL=${JSON_MODEL:-qwen2.5-coder-1.5b}
# a story in a string that must be long: a JSON reply that is mostly string
# content, as most are (inside a string the plain-text tokens are allowed
# without a walk; between values the walk costs 0.2-0.4 ms: bench/README.md)
RF='{"type": "json_schema", "json_schema": {"name": "story", "strict": true, "schema": {"type": "object",
 "properties": {"title": {"type": "string"}, "story": {"type": "string", "minLength": 4000}},
 "required": ["title", "story"], "additionalProperties": false}}}'
PROMPT=${PROMPT:-"Write a long story about a lighthouse keeper and a storm."}
command -v wrk >/dev/null || { echo "bench-serve: wrk is missing (apt-get install wrk)"; exit 1; }
log=$(mktemp)
cfg=$(mktemp --suffix=.yaml)
printf 'default_model: %s\nmodels:\n  - %s\n' "$MODEL" "$MODEL" > "$cfg"
[ "$JSON_MODEL" = "$MODEL" ] || printf '  - %s\n' "$JSON_MODEL" >> "$cfg"
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

plain="" schema=""
for _ in 1 2 3; do
  plain+="$(python3 bench/serve_stream.py "$port" "$JSON_MODEL" "$PROMPT" "$N")"$'\n'
  schema+="$(python3 bench/serve_stream.py "$port" "$JSON_MODEL" "$PROMPT" "$N" "$RF")"$'\n'
done
python3 - "$plain" "$schema" "$JSON_MODEL" <<'PY'
import json, sys
best = lambda t: max((json.loads(l) for l in t.splitlines() if l), key=lambda r: r["tps"])
p, s = best(sys.argv[1]), best(sys.argv[2])
print(f"constrained decoding on {sys.argv[3]}, {p['tokens']} tokens, greedy, best of 3:")
print(f"  text              {p['tps']:8.1f} tokens/s")
print(f"  json_schema       {s['tps']:8.1f} tokens/s   {s['tps'] / p['tps']:.3f}x of text")
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

# time to first token on the small model only: on the 1.5B one the long
# prompts alone take minutes
python3 bench/concurrency.py "$C12" "$MODEL" "$N"
TTFT=0 python3 bench/concurrency.py "$C12" "$JSON_MODEL" "$N"
