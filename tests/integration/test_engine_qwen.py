"""qwen2.5-coder-1.5b (qwen2 architecture, Q4_K/Q6_K weights) against llama.cpp.

Golden files from `MODELS=qwen2.5-coder-1.5b make golden`. The model (1.1 GB)
is not among what `make models` pulls, so these tests are skipped, saying why,
when it is not in the cache (`c12 models pull qwen2.5-coder-1.5b`).

A 1.5B model is slow on 2 cores, so the checks are bounded: every prompt of a
check runs in one process (`c12 run --prompts-jsonl`: the model loads once and
the chat template's shared system turn is evaluated once), perplexity scores
the windows the golden file names (ppl.json "chunks"), and the sanitizer build
only runs a few tokens."""
import json

import pytest

from conftest import run
from golden_checks import check_greedy, check_logits, check_perplexity, model_or_skip

MODEL = "qwen2.5-coder-1.5b"


@pytest.fixture(scope="module")
def model():
    return model_or_skip(MODEL, "1.1 GB")


def test_greedy_matches_llama_cpp(c12, model, tmp_path):
    check_greedy(c12, MODEL, model, tmp_path, "2")


def test_logits_match_llama_cpp(c12, model, tmp_path):
    """K-quant kernels included, C12 follows llama.cpp's arithmetic."""
    check_logits(c12, MODEL, model, tmp_path, "2")


def test_perplexity_within_one_percent(c12, model):
    check_perplexity(c12, MODEL, model, "2")


def test_short_generation_under_sanitizers(c12_san, model):
    """The qwen2 path (biases, NEOX RoPE, 6 query heads per KV head, K-quant
    kernels) under ASan/UBSan, on a few tokens."""
    r = run([c12_san, "run", "-m", model, "-p", "def add(a, b):", "--raw", "-n", "3", "--temp",
             "0", "--ids", "-t", "2"], timeout=1200)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert len(out["ids"]) == 3
