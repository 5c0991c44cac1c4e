"""gemma3-270m (a base model: raw prompts, no chat template) against llama.cpp.

Golden files from `MODELS=gemma3-270m make golden`. Model-heavy checks run on
the optimized build (C12_BIN), the quick ones on the sanitizer build. Skipped,
saying why, when the model file is not in the cache."""
import json
import re

import pytest

from conftest import ROOT, model_path, run

MODEL = "gemma3-270m"
GOLDEN = ROOT / "tests" / "golden" / MODEL
# One thread: results do not depend on the thread count, and the thread pool
# spins while it waits, which costs 5x on a machine busy with other jobs
# (~1 s per greedy run with one thread, ~5 s with two there).
THREADS = "1"


@pytest.fixture(scope="module")
def model():
    p = model_path(MODEL)
    if not p.exists():
        pytest.skip(f"{p} is missing: `c12 models pull {MODEL}` fetches it")
    return str(p)


def golden_rows():
    return [json.loads(l) for l in (GOLDEN / "greedy.jsonl").open()]


def greedy_ids(c12, model, row):
    assert not row["chat"]  # a base model: the prompts are raw text
    r = run([c12, "run", "-m", model, "-p", row["text"], "--raw", "-n", str(len(row["ids"])),
             "--temp", "0", "--ignore-eos", "--ids", "-t", THREADS])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_greedy_matches_llama_cpp(c12, model):
    rows = golden_rows()
    assert len(rows) == 50
    same, prompt_same, mismatches = 0, 0, []
    for row in rows:
        out = greedy_ids(c12, model, row)
        prompt_same += out["prompt_ids"] == row["prompt_ids"]  # BOS + SPM tokens
        if out["ids"] == row["ids"]:
            same += 1
        else:
            mismatches.append((row["text"][:60], out["ids"], row["ids"]))
    assert prompt_same == 50
    assert same >= 45, f"{same}/50 identical; first mismatches: {mismatches[:3]}"


def test_logits_match_llama_cpp(c12, model):
    """C12 follows llama.cpp's arithmetic: the top logits agree to float precision."""
    by_ids = {tuple(r["prompt_ids"]): r for r in golden_rows()}
    for row in [json.loads(l) for l in (GOLDEN / "logits.jsonl").open()]:
        g = by_ids[tuple(row["prompt_ids"])]
        r = run([c12, "run", "-m", model, "-p", g["text"], "--raw", "--logits", "32", "-t", THREADS])
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert out["top_ids"][:8] == row["top_ids"][:8]
        for a, b in zip(out["top_logits"], row["top_logits"]):
            assert abs(a - b) <= 1e-4 * max(1.0, abs(b)), (a, b)


def test_perplexity_within_one_percent(c12, model):
    ref = json.loads((GOLDEN / "ppl.json").read_text())
    r = run([c12, "perplexity", "-m", model, "-f", str(ROOT / ref["file"]), "-c",
             str(ref["ctx"]), "-t", THREADS])
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"perplexity: ([0-9.]+)", last)
    assert m, last
    ppl = float(m.group(1))
    assert abs(ppl - ref["perplexity"]) / ref["perplexity"] < 0.01, (ppl, ref["perplexity"])


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
    out = json.loads(r.stdout)
    assert out["top_ids"][:8] == row["top_ids"][:8]
    for a, b in zip(out["top_logits"], row["top_logits"]):
        assert abs(a - b) <= 1e-4 * max(1.0, abs(b)), (a, b)
