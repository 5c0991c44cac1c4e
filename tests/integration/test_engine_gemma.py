"""gemma3-270m (a base model: raw prompts, no chat template) against llama.cpp.

Golden files from `MODELS=gemma3-270m make golden`. Model-heavy checks run on
the optimized build (C12_BIN), the quick ones on the sanitizer build. Skipped,
saying why, when the model file is not in the cache."""
import json

import pytest

from conftest import run
from golden_checks import (assert_logits_close, check_greedy, check_logits, check_perplexity, golden_dir,
                           golden_rows, model_or_skip)

MODEL = "gemma3-270m"
GOLDEN = golden_dir(MODEL)
THREADS = "2"


@pytest.fixture(scope="module")
def model():
    return model_or_skip(MODEL, "253 MB")


def test_greedy_matches_llama_cpp(c12, model, tmp_path):
    assert not any(r["chat"] for r in golden_rows(MODEL))  # a base model: raw prompts
    check_greedy(c12, MODEL, model, tmp_path, THREADS)


def test_logits_match_llama_cpp(c12, model, tmp_path):
    check_logits(c12, MODEL, model, tmp_path, THREADS)


def test_perplexity_within_one_percent(c12, model):
    check_perplexity(c12, MODEL, model, THREADS)


def test_base_model_without_raw_is_a_clear_error(c12_san, model):
    r = run([c12_san, "run", "-m", model, "-p", "The capital of France is", "-n", "4"])
    assert r.returncode == 2
    assert "base model" in r.stderr and "--raw" in r.stderr
    assert not r.stdout
    # the interactive chat needs a template too
    r = run([c12_san, "run", "-m", model], input="Hello\n")
    assert r.returncode == 2 and "--raw" in r.stderr


def test_raw_generation_under_sanitizers(c12_san, model):
    r = run([c12_san, "run", "-m", model, "-p", "The capital of France is", "--raw", "-n", "6",
             "--temp", "0", "--ids"])
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["prompt_ids"][0] == 2  # gemma adds BOS
    assert len(out["ids"]) >= 1


def test_sliding_window_logits_match_llama_cpp(c12, model):
    """A prompt longer than the window: local layers mask what global ones see."""
    row = json.loads((GOLDEN / "logits_long.jsonl").read_text())
    assert len(row["prompt_ids"]) > row["window"]
    r = run([c12, "run", "-m", model, "-p", row["text"], "--raw", "--logits", "32", "-t", THREADS])
    assert r.returncode == 0, r.stderr
    assert_logits_close(json.loads(r.stdout), row)
