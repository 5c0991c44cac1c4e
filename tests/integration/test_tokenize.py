"""`c12 tokenize` against llama.cpp's token ids (tests/golden/<model>/tokens*.jsonl,
made by scripts/golden/tokens.py with llama-cpp-python 0.3.36).

For each catalogue model in the cache: every text of
data/router/dev.jsonl, the held-out style texts of tests/golden/extra_texts.jsonl
and the malformed byte strings of tests/golden/raw_texts.jsonl must give
exactly the reference ids. The bulk runs use the optimized binary; the
sanitizer binary covers options, errors and malformed input."""
import json
import os
import time

import pytest

from conftest import ROOT, model_path, run

DEV = ROOT / "data" / "router" / "dev.jsonl"
GOLDEN = ROOT / "tests" / "golden"
EXTRA = GOLDEN / "extra_texts.jsonl"
RAW = GOLDEN / "raw_texts.jsonl"
MODELS = ["smollm2-135m", "qwen2.5-coder-1.5b", "gemma3-270m"]


def need_model(name):
    path = model_path(name)
    if path.exists():
        return path
    # `make test` pulls smollm2-135m first: in CI its absence is a failure
    if name == "smollm2-135m" and os.environ.get("CI"):
        pytest.fail(f"{path} is missing (make models pulls it)")
    pytest.skip(f"{name} is not in the model cache ({path}); run: c12 models pull {name}")


def golden(name, kind):
    with open(GOLDEN / name / f"tokens{kind}.jsonl") as f:
        return [json.loads(line) for line in f if line.strip()]


def compare(got_lines, want, label):
    got = [json.loads(line) for line in got_lines]
    assert len(got) == len(want), f"{label}: {len(got)} rows, expected {len(want)}"
    bad = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
    if bad:
        i = bad[0]
        pytest.fail(f"{label}: {len(bad)}/{len(want)} rows differ; row {i}: got {got[i][:40]} "
                    f"want {want[i][:40]}")


@pytest.mark.parametrize("name", MODELS)
def test_dev_set_matches_llama_cpp(c12, name):
    path = need_model(name)
    t0 = time.monotonic()
    r = run([c12, "tokenize", "-m", str(path), "--jsonl", str(DEV)])
    elapsed = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    compare(r.stdout.splitlines(), golden(name, ""), f"{name} dev.jsonl")
    assert elapsed < 10, f"tokenizing dev.jsonl took {elapsed:.1f} s"


@pytest.mark.parametrize("name", MODELS)
def test_extra_texts_match_llama_cpp(c12, name):
    path = need_model(name)
    r = run([c12, "tokenize", "-m", str(path), "--jsonl", str(EXTRA)])
    assert r.returncode == 0, r.stderr
    compare(r.stdout.splitlines(), golden(name, "_extra"), f"{name} extra_texts.jsonl")


@pytest.mark.parametrize("name", MODELS)
def test_malformed_utf8_matches_llama_cpp(c12_san, name):
    path = need_model(name)
    want = golden(name, "_raw")
    with open(RAW) as f:
        rows = [bytes.fromhex(json.loads(line)["hex"]) for line in f if line.strip()]
    assert len(rows) == len(want)
    for data, ids in zip(rows, want):
        r = run([c12_san, "tokenize", "-m", str(path)], input=data, text=False)
        assert r.returncode == 0, r.stderr.decode()
        assert json.loads(r.stdout) == ids, f"{name}: {data!r}"


def test_sanitizer_build_on_extra_texts(c12_san):
    for name in ("smollm2-135m", "gemma3-270m"):
        path = model_path(name)
        if not path.exists():
            continue
        r = run([c12_san, "tokenize", "-m", str(path), "--jsonl", str(EXTRA)])
        assert r.returncode == 0, r.stderr
        compare(r.stdout.splitlines(), golden(name, "_extra"), f"{name} (sanitizer build)")


def test_stdin_name_and_flags(c12_san):
    need_model("smollm2-135m")
    # a catalogue name works like a path; stdin is one text, one array
    r = run([c12_san, "tokenize", "-m", "smollm2-135m"], input="Hello world")
    assert r.returncode == 0, r.stderr
    ids = json.loads(r.stdout)
    assert r.stdout.count("\n") == 1 and ids and all(isinstance(i, int) for i in ids)
    row = run([c12_san, "tokenize", "-m", "smollm2-135m", "--jsonl", "-"],
              input=json.dumps({"text": "Hello world"}) + "\n")
    assert json.loads(row.stdout) == ids
    # control tokens stay text unless --parse-special
    plain = json.loads(run([c12_san, "tokenize", "-m", "smollm2-135m"], input="<|im_start|>").stdout)
    parsed = json.loads(run([c12_san, "tokenize", "-m", "smollm2-135m", "--parse-special"],
                            input="<|im_start|>").stdout)
    assert parsed == [1] and len(plain) > 1
    # an empty text is an empty array (smollm2 adds no BOS)
    assert run([c12_san, "tokenize", "-m", "smollm2-135m"], input="").stdout == "[]\n"


def test_bos_follows_the_vocabulary(c12_san):
    path = need_model("gemma3-270m")
    with_bos = json.loads(run([c12_san, "tokenize", "-m", str(path)], input="hi").stdout)
    without = json.loads(run([c12_san, "tokenize", "-m", str(path), "--no-special"],
                             input="hi").stdout)
    assert with_bos[0] == 2 and with_bos[1:] == without


def test_usage_and_errors(c12_san, tmp_path):
    r = run([c12_san, "tokenize"])
    assert r.returncode == 2 and "-m MODEL is required" in r.stderr
    r = run([c12_san, "tokenize", "-m", "x", "--bogus"])
    assert r.returncode == 2 and "--bogus" in r.stderr
    r = run([c12_san, "tokenize", "--help"])
    assert r.returncode == 0 and "--jsonl" in r.stdout
    r = run([c12_san, "tokenize", "-m", "no-such-model"], input="x")
    assert r.returncode == 1 and "no-such-model" in r.stderr
    r = run([c12_san, "tokenize", "-m", str(tmp_path / "missing.gguf")], input="x")
    assert r.returncode == 1 and r.stderr.startswith("c12 tokenize: ")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"GGUF" + b"\x00" * 60)
    r = run([c12_san, "tokenize", "-m", str(junk)], input="x")
    assert r.returncode == 1 and r.stderr.startswith("c12 tokenize: ")
    if model_path("smollm2-135m").exists():
        bad = tmp_path / "bad.jsonl"
        bad.write_text('{"text": "ok"}\n{"id": 1}\n')
        r = run([c12_san, "tokenize", "-m", "smollm2-135m", "--jsonl", str(bad)])
        assert r.returncode == 1 and "bad.jsonl:2" in r.stderr
        assert r.stdout.count("\n") == 1  # the good row was printed first
