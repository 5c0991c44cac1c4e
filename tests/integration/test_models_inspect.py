"""`c12 models inspect` on the catalogue models and on llama.cpp's
vocabulary-only files (test_tokenize_vocab.py fetches them), and a models
entry's `chat_template:` naming a family instead of the file's template."""
import json

import pytest

from conftest import c12_home, model_path, run
from server_helpers import Server

VOCAB = c12_home() / "vocab" / "llama-cpp-python-0.3.36"


def inspect(binary, target):
    p = run([binary, "models", "inspect", str(target), "--json"])
    return p.returncode, (json.loads(p.stdout) if p.stdout.strip() else None), p.stderr


def test_catalogue_models(c12_san):
    rc, r, err = inspect(c12_san, "qwen2.5-coder-1.5b")
    assert rc == 0, err
    assert r["architecture"] == "qwen2" and r["runnable"] and r["reason"] is None
    assert r["layers"] == 28 and r["kv_heads"] == 2 and r["context_length"] == 32768
    assert r["tokenizer"] == "gpt2" and r["pre_tokenizer"] == "qwen2" and r["vocab_size"] == 151936
    assert r["chat_template"] == {"family": "chatml", "supported": True, "tool_calls": True}
    assert 1.5e9 < r["parameters"] < 1.9e9
    types = {t["type"]: t for t in r["tensor_types"]}
    assert set(types) == {"F32", "Q4_K", "Q6_K"} and all(t["supported"] for t in types.values())
    assert sum(t["tensors"] for t in types.values()) == 339
    rc, r, _ = inspect(c12_san, model_path("gemma3-270m"))
    assert rc == 0 and r["architecture"] == "gemma3" and r["chat_template"] is None
    text = run([c12_san, "models", "inspect", "smollm2-135m"]).stdout
    assert "chat template: chatml (supported)" in text and "runs in C12:   yes" in text


def test_what_cannot_run_says_why(c12_san, tmp_path):
    path = VOCAB / "ggml-vocab-bert-bge.gguf"
    if not path.exists():
        pytest.skip(f"{path} is missing; run: bash scripts/vocab_fetch.sh")
    rc, r, _ = inspect(c12_san, path)
    assert rc == 1 and not r["runnable"]
    assert r["reason"] == "model: architecture 'bert' is not supported"
    rc, r, _ = inspect(c12_san, VOCAB / "ggml-vocab-phi-3.gguf")
    assert rc == 1 and r["chat_template"] == {"family": "phi3", "supported": True, "tool_calls": False}
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a gguf file at all")
    p = run([c12_san, "models", "inspect", str(junk)])
    assert p.returncode == 1 and "c12 models inspect:" in p.stderr and not p.stdout
    assert run([c12_san, "models", "inspect"]).returncode == 2


def test_chat_template_names_a_family(c12_san):
    srv = Server(c12_san, "server: {default_max_tokens: 2}\n"
                 "models:\n  - {id: s, source: smollm2-135m, chat_template: phi3}\n")
    try:
        st, body = srv.post("/v1/chat/completions", {"model": "s", "messages": [{"role": "user", "content": "Hi"}]})
        assert st == 200, body
        used = json.loads(body)["usage"]["prompt_tokens"]
        # phi3's markers are no tokens of SmolLM2's vocabulary: the prompt is their text
        st, t = srv.post("/tokenize", {"content": "<|user|>\nHi<|end|>\n<|assistant|>\n", "add_special": True,
                                        "model": "s"})
        assert used == len(json.loads(t)["tokens"])
    finally:
        srv.stop()
    bad = run([c12_san, "config", "check", "/dev/stdin"],
              input="models:\n  - {id: s, source: smollm2-135m, chat_template: chatglm4}\n")
    assert bad.returncode == 1 and "'chatglm4' is no chat template family C12 renders" in bad.stderr
