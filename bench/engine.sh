#!/usr/bin/env bash
# `make bench-engine`: C12's engine beside llama.cpp's, same files, same run.
# For each catalogue model present in the cache: prefill (256 tokens) and decode
# (128 tokens) tokens/s at 2 threads, best of 3, and the ratios C12/llama.cpp.
# The two engines take turns (C12, llama.cpp, C12, ...), one repetition each,
# so that a burst of other work on the machine hits both alike.
# llama.cpp comes from the reference venv (scripts/ref_venv.sh builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
C12=${C12_BIN:-build/c12}
REF_PY=${C12_REF_PYTHON:-$HOME/.cache/c12/ref-venv/bin/python}
THREADS=${THREADS:-2}
[ -x "$REF_PY" ] || bash scripts/ref_venv.sh
models=${MODELS:-"smollm2-135m qwen2.5-coder-1.5b gemma3-270m"}
printf '%-20s %-8s %10s %10s %7s\n' model phase c12_t/s llama_t/s ratio
for name in $models; do
  path=$("$C12" models list --json | "$REF_PY" -c "import json,sys
for m in json.load(sys.stdin):
    if m['name']=='$name' and m['present']: print(m['path'])")
  if [ -z "$path" ]; then echo "$name: not in the cache (c12 models pull $name)"; continue; fi
  ours=() theirs=()
  for _ in $(seq "${REPS:-3}"); do
    ours+=("$("$C12" bench -m "$path" -p 256 -n 128 -t "$THREADS" -r 1 --json)")
    theirs+=("$(cd /tmp && "$REF_PY" "$OLDPWD/bench/llama_bench.py" "$path" -p 256 -n 128 -t "$THREADS" -r 1)")
  done
  "$REF_PY" - "$name" "$(printf '%s\n' "${ours[@]}")" "$(printf '%s\n' "${theirs[@]}")" <<'PY'
import json, sys
name = sys.argv[1]
a, b = ([json.loads(l) for l in arg.splitlines() if l.strip()] for arg in sys.argv[2:4])
for phase, key in (("prefill", "prefill_tps"), ("decode", "decode_tps")):
    x, y = max(r[key] for r in a), max(r[key] for r in b)
    print(f"{name:<20} {phase:<8} {x:10.1f} {y:10.1f} {x / y:6.2f}x")
PY
done
