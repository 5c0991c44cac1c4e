"""The engine against llama.cpp on the default model (golden files from `make golden`).

Model-heavy, so these run on the optimized build (C12_BIN); the sanitizer
build runs the short generation and error-path checks below."""
import os
import re

import pytest

from conftest import model_path, run
from golden_checks import check_greedy, check_logits, check_perplexity

MODEL = "smollm2-135m"


@pytest.fixture(scope="module")
def model():
    p = model_path(MODEL)
    assert p.exists(), f"{p} is missing: `make models` pulls it"
    return str(p)


def test_greedy_matches_llama_cpp(c12, model, tmp_path):
    check_greedy(c12, MODEL, model, tmp_path, "2")


def test_logits_match_llama_cpp(c12, model, tmp_path):
    check_logits(c12, MODEL, model, tmp_path, "2")


def test_perplexity_within_one_percent(c12, model):
    check_perplexity(c12, MODEL, model, "2")


def test_short_generation_under_sanitizers(c12_san, model):
    r = run([c12_san, "run", "-m", model, "-p", "Say hello.", "-n", "8", "--temp", "0",
             "--stats"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip()
    assert "generated" in r.stderr


def test_raw_and_seeded_sampling_is_reproducible(c12_san, model):
    args = [c12_san, "run", "-m", model, "-p", "Once upon a time", "--raw", "-n", "12",
            "--temp", "0.9", "--seed", "42"]
    a, b = run(args), run(args)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert a.stdout == b.stdout and a.stdout.strip()


def test_prompt_longer_than_context_is_a_clear_error(c12_san, model):
    r = run([c12_san, "run", "-m", model, "-p", "word " * 400, "-c", "64", "-n", "4"])
    assert r.returncode == 1
    assert "context" in r.stderr


def test_interactive_chat_keeps_the_conversation(c12_san, model):
    r = run([c12_san, "run", "-m", model, "-n", "6", "--temp", "0", "--stats"],
            input="Hello!\nWhat did I just say?\n/bye\n")
    assert r.returncode == 0, r.stderr
    assert len([l for l in r.stdout.splitlines() if l.strip()]) >= 2
    # the second turn reuses the first turn's cached tokens
    cached = [int(m) for m in re.findall(r"\((\d+) cached\)", r.stderr)]
    assert len(cached) == 2 and cached[0] == 0 and cached[1] > 20, r.stderr
    assert "KV cache" in r.stderr and "mapped" in r.stderr


def test_missing_model_names_the_fix(c12_san, tmp_path):
    env = dict(os.environ, C12_HOME=str(tmp_path))
    r = run([c12_san, "run", "-m", MODEL, "-p", "hi"], env=env)
    assert r.returncode == 1
    assert "c12 models pull" in r.stderr
