#!/usr/bin/env bash
# Check C12's K-quant kernels against ggml's, from the reference build
# (scripts/ref_venv.sh), bit for bit. Needs build/opt/libc12.a (`make`).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
REF_PY=${C12_REF_PYTHON:-$HOME/.cache/c12/ref-venv/bin/python}
LIB=$("$REF_PY" -c 'import llama_cpp, pathlib; print(pathlib.Path(llama_cpp.__file__).parent / "lib")')
${CC:-gcc} -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Isrc -o "$BUILD/oracle_kquants" \
  scripts/oracle/kquants.c "$BUILD/opt/libc12.a" -L"$LIB" -lggml-cpu -lggml-base -Wl,-rpath,"$LIB" -lm -lpthread
"$BUILD/oracle_kquants"
