"""Shared fixtures for the integration tests of the real `c12` binary.

C12_BIN is the optimized build (model-heavy checks), C12_SAN_BIN the
ASan/UBSan build (everything quick). Models come from the cache that
`make models` fills ($C12_HOME/models, default ~/.cache/c12/models)."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _bin(var, default):
    return os.environ.get(var) or str(ROOT / default)


@pytest.fixture(scope="session")
def c12():
    return _bin("C12_BIN", "build/c12")


@pytest.fixture(scope="session")
def c12_san():
    return _bin("C12_SAN_BIN", "build/san/c12")


def c12_home():
    return pathlib.Path(os.environ.get("C12_HOME", pathlib.Path.home() / ".cache" / "c12"))


def model_path(name):
    files = {
        "smollm2-135m": "smollm2-135m.gguf",
        "qwen2.5-coder-1.5b": "qwen2.5-coder-1.5b.gguf",
        "gemma3-270m": "gemma3-270m.gguf",
    }
    return c12_home() / "models" / files[name]


def run(args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 600)
    return subprocess.run(args, **kw)
