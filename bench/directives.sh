#!/usr/bin/env bash
# bench/directives.sh - what each answer-length directive costs and saves
# (make bench-directives; docs/policy.md): c12 eval-quality, greedy, on the
# general set (60 rows, --max-tokens 640, as the ratings) and MBPP tasks
# 11-50, for each chat model, without a directive and with each built-in
# level; then a table of pass rate and output tokens per level and model,
# with each level's factors against no directive. Takes about an hour on 2
# cores (qwen2.5-coder-1.5b is most of it). OUT=dir keeps the JSON (default
# a temporary folder); SUMMARY_ONLY=1 re-prints the table from OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
C12=${C12:-build/c12}
OUT=${OUT:-$(mktemp -d)}
MODELS=${MODELS:-"smollm2-135m qwen2.5-coder-1.5b"}
LEVELS=("" "Answer briefly." "Answer in at most two sentences.")
mkdir -p "$OUT"
if [ -z "${SUMMARY_ONLY:-}" ]; then
  for m in $MODELS; do
    for i in "${!LEVELS[@]}"; do
      d=(); [ -n "${LEVELS[$i]}" ] && d=(--directive "${LEVELS[$i]}")
      echo "== $m, level $i ${LEVELS[$i]:+(${LEVELS[$i]})}" >&2
      "$C12" eval-quality -m "$m" --tasks data/quality/general.jsonl --n 60 --max-tokens 640 --json "${d[@]}" \
        > "$OUT/gen-$m-$i.json"
      "$C12" eval-quality -m "$m" --n 40 --json "${d[@]}" > "$OUT/mbpp-$m-$i.json"
    done
  done
fi
python3 - "$OUT" $MODELS <<'PY'
import json, sys, pathlib
out, models = pathlib.Path(sys.argv[1]), sys.argv[2:]
print(f"{'set':8} {'model':20} {'level':6} {'pass':>9} {'out tok':>8} {'tok/row':>8} {'x tokens':>9} {'x pass':>7}")
for s in ("gen", "mbpp"):
    for m in models:
        base = None
        for lvl in range(3):
            f = out / f"{s}-{m}-{lvl}.json"
            if not f.exists():
                continue
            try:
                r = json.loads(f.read_text())
            except ValueError:  # still being written
                continue
            if lvl == 0:
                base = r
            xt = r["output_tokens"] / base["output_tokens"] if base and base["output_tokens"] else float("nan")
            xp = r["passed"] / base["passed"] if base and base["passed"] else float("nan")
            name = "general" if s == "gen" else "mbpp"
            print(f"{name:8} {m:20} {lvl:<6} {r['passed']:>3}/{r['n']:<5} {r['output_tokens']:>8} "
                  f"{r['output_tokens'] / r['n']:>8.1f} {xt:>9.2f} {xp:>7.2f}")
PY
