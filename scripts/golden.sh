#!/usr/bin/env bash
# `make golden`: write the reference files the engine tests compare against,
# from llama.cpp (the reference venv), for every catalogue model in the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
REF_PY=${C12_REF_PYTHON:-$HOME/.cache/c12/ref-venv/bin/python}
[ -x "$REF_PY" ] || bash scripts/ref_venv.sh
C12=${C12_BIN:-build/c12}
for name in ${MODELS:-smollm2-135m qwen2.5-coder-1.5b gemma3-270m}; do
  path="${C12_HOME:-$HOME/.cache/c12}/models/$name.gguf"
  [ -f "$path" ] || "$C12" models pull "$name"
  # run outside the repo so that no file here shadows a Python module
  (cd /tmp && "$REF_PY" "$OLDPWD/scripts/golden/engine.py" "$name" "$path")
  if [ -f scripts/golden/tokens.py ]; then
    (cd /tmp && "$REF_PY" "$OLDPWD/scripts/golden/tokens.py" "$name" "$path")
  fi
done
