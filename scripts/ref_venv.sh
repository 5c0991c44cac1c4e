#!/usr/bin/env bash
# Build the reference llama.cpp (llama-cpp-python 0.3.36 from its sdist) into a
# venv OUTSIDE the repository, for `make golden`, `make golden-tiny` and
# `make bench-engine` only. Never used by `make test`. Takes 10-15 minutes on
# 2 cores.
#
# Built native (-DGGML_NATIVE=ON: -march=native, so AVX-512 where the CPU has
# it, as C12 uses), since issue 13: a portable build flattered C12 by 15-40%.
# The `gguf` package installed beside it is the gguf-py vendored in the same
# sdist, so the tiny oracle files (scripts/oracle) are written by the writer
# that matches this llama.cpp.
set -euo pipefail
VENV=${C12_REF_VENV:-$HOME/.cache/c12/ref-venv}
VER=0.3.36
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import llama_cpp, gguf' 2>/dev/null; then
  echo "reference venv ready: $VENV"; exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
SDIST=${C12_REF_SDIST:-$HOME/.cache/c12/sdist}
mkdir -p "$SDIST"
if [ ! -f "$SDIST/llama_cpp_python-$VER.tar.gz" ]; then
  "$VENV/bin/pip" download -q llama-cpp-python==$VER --no-binary :all: --no-deps -d "$SDIST"
fi
CMAKE_ARGS="-DGGML_NATIVE=ON" \
  "$VENV/bin/pip" install --no-binary llama-cpp-python "$SDIST/llama_cpp_python-$VER.tar.gz" numpy jinja2
# gguf-py from the same sdist (its writer matches llama.cpp $VER)
SRC=$(mktemp -d)
tar -xzf "$SDIST/llama_cpp_python-$VER.tar.gz" -C "$SRC" "llama_cpp_python-$VER/vendor/llama.cpp/gguf-py"
"$VENV/bin/pip" install -q "$SRC/llama_cpp_python-$VER/vendor/llama.cpp/gguf-py"
rm -rf "$SRC"
echo "reference venv ready: $VENV"
