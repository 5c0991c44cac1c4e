"""The checks every catalogue model goes through against llama.cpp's golden
files (tests/golden/<model>/, from `make golden`): 50 greedy continuations,
the top logits after 8 prompts, perplexity. Each check runs its prompts in one
process (`c12 run --prompts-jsonl`: the model loads once), on the optimized
build, which is what makes them affordable in `make test`."""
import json
import re

import pytest

from conftest import ROOT, model_path, run


def golden_dir(name):
    return ROOT / "tests" / "golden" / name


def model_or_skip(name, size):
    p = model_path(name)
    if not p.exists():
        pytest.skip(f"{p} is missing: `c12 models pull {name}` fetches it ({size}; make test pulls it)")
    return str(p)


def golden_rows(name):
    return [json.loads(l) for l in (golden_dir(name) / "greedy.jsonl").open()]


def run_batch(c12, model, rows, tmp_path, threads, *args):
    """Run rows' {"text", "chat"} in one process; one JSON object per row."""
    f = tmp_path / "prompts.jsonl"
    f.write_text("".join(json.dumps({"text": r["text"], "chat": r["chat"]}) + "\n" for r in rows))
    r = run([c12, "run", "-m", model, "--prompts-jsonl", str(f), "-t", threads, *args], timeout=1200)
    assert r.returncode == 0, r.stderr
    outs = [json.loads(l) for l in r.stdout.splitlines()]
    assert len(outs) == len(rows)
    return outs


def check_greedy(c12, name, model, tmp_path, threads):
    """The prompts (template + tokenizer) must be exact; continuations may
    differ on near-ties of the logits, on at most 5 of 50."""
    rows = golden_rows(name)
    assert len(rows) == 50
    outs = run_batch(c12, model, rows, tmp_path, threads, "-n", str(len(rows[0]["ids"])), "--temp", "0",
                     "--ignore-eos", "--ids")
    prompt_same = sum(o["prompt_ids"] == r["prompt_ids"] for o, r in zip(outs, rows))
    mismatches = [(r["text"][:60], o["ids"], r["ids"]) for o, r in zip(outs, rows) if o["ids"] != r["ids"]]
    print(f"{name}: greedy {50 - len(mismatches)}/50 identical to llama.cpp's")  # pytest -s shows it
    assert prompt_same == 50
    assert len(mismatches) <= 5, f"{50 - len(mismatches)}/50 identical; first mismatches: {mismatches[:3]}"


def assert_logits_close(out, ref):
    assert out["top_ids"][:8] == ref["top_ids"][:8]
    for a, b in zip(out["top_logits"], ref["top_logits"]):
        assert abs(a - b) <= 1e-4 * max(1.0, abs(b)), (a, b)


def check_logits(c12, name, model, tmp_path, threads):
    """C12 follows llama.cpp's arithmetic: the top logits agree to float precision."""
    by_ids = {tuple(r["prompt_ids"]): r for r in golden_rows(name)}
    refs = [json.loads(l) for l in (golden_dir(name) / "logits.jsonl").open()]
    outs = run_batch(c12, model, [by_ids[tuple(r["prompt_ids"])] for r in refs], tmp_path, threads,
                     "--logits", "32")
    for ref, out in zip(refs, outs):
        assert_logits_close(out, ref)


def check_perplexity(c12, name, model, threads):
    """Within 1% of llama.cpp's, on the windows ppl.json names."""
    ref = json.loads((golden_dir(name) / "ppl.json").read_text())
    r = run([c12, "perplexity", "-m", model, "-f", str(ROOT / ref["file"]), "-c", str(ref["ctx"]),
             "--chunks", str(ref["chunks"]), "-t", threads], timeout=1200)
    assert r.returncode == 0, r.stderr
    m = re.fullmatch(r"perplexity: ([0-9.]+)", r.stdout.strip().splitlines()[-1])
    assert m, r.stdout
    assert f"chunks: {ref['chunks']}," in r.stdout
    ppl = float(m.group(1))
    assert abs(ppl - ref["perplexity"]) / ref["perplexity"] < 0.01, (ppl, ref["perplexity"])
