#!/usr/bin/env bash
# Build the reference llama.cpp (llama-cpp-python 0.3.36 from its sdist) into a
# venv OUTSIDE the repository, for `make golden` and `make bench-engine` only.
# Never used by `make test`. Takes about 10 minutes on 2 cores.
set -euo pipefail
VENV=${C12_REF_VENV:-$HOME/.cache/c12/ref-venv}
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import llama_cpp' 2>/dev/null; then
  echo "reference venv ready: $VENV"; exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
# portable build (no -march=native), with the SIMD levels this machine has
CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AVX512=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
  "$VENV/bin/pip" install --no-binary llama-cpp-python llama-cpp-python==0.3.36 numpy jinja2
echo "reference venv ready: $VENV"
