#!/usr/bin/env bash
# llama.cpp's tokenizer test vocabularies for tests/integration/test_tokenize_vocab.py:
# vendor/llama.cpp/models/ggml-vocab-*.gguf with their .inp/.out cases, from the sdist
# of PyPI llama-cpp-python 0.3.36 (MIT; tests/golden/SOURCES.md), fetched through pip
# as the models are, checked by sha256, and unpacked OUTSIDE the repository into
# $C12_HOME/vocab/llama-cpp-python-0.3.36 (default ~/.cache/c12). Idempotent: a
# complete copy is kept. About 75 MB to download, once.
set -euo pipefail
VERSION=0.3.36
SHA256=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
DEST=${C12_HOME:-$HOME/.cache/c12}/vocab/llama-cpp-python-$VERSION
[ -f "$DEST/.complete" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetching llama.cpp's vocabulary tests (llama-cpp-python $VERSION sdist) into $DEST"
python3 -m pip download -q --no-deps --no-binary :all: "llama-cpp-python==$VERSION" -d "$tmp"
sdist="$tmp/llama_cpp_python-$VERSION.tar.gz"
echo "$SHA256  $sdist" | sha256sum -c --quiet
mkdir -p "$tmp/out"
tar -xzf "$sdist" -C "$tmp/out" --strip-components=4 --wildcards \
  "llama_cpp_python-$VERSION/vendor/llama.cpp/models/ggml-vocab-*"
tar -xzf "$sdist" -C "$tmp/out" --strip-components=3 "llama_cpp_python-$VERSION/vendor/llama.cpp/LICENSE"
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
mv "$tmp/out" "$DEST"
touch "$DEST/.complete"
