"""`c12 tokenize --no-special` against llama.cpp's own tokenizer tests: every
case of every generative vocabulary in llama-cpp-python 0.3.36's
vendor/llama.cpp/models (ggml-vocab-NAME.gguf with NAME.gguf.inp, the texts
separated by __ggml_vocab_test__ lines, and NAME.gguf.out, one line of ids per
text, tokenized with no special tokens added or parsed). `make integration`
fetches them with scripts/vocab_fetch.sh into $C12_HOME/vocab. The cases run
through the sanitizer build: they are short, and they cover every
pre-tokenizer pass (scanners, collapsed and code-point regexes)."""
import json
import os

import pytest

from conftest import c12_home, run

VOCAB = c12_home() / "vocab" / "llama-cpp-python-0.3.36"
SEP = "\n__ggml_vocab_test__\n"
# Every generative vocabulary with test cases (bert-bge is an embedding
# model's WordPiece vocabulary: refused below).
GENERATIVE = ["command-r", "deepseek-coder", "deepseek-llm", "falcon", "gemma-4", "gpt-2",
              "llama-bpe", "llama-spm", "mpt", "phi-3", "qwen2", "qwen35", "refact",
              "starcoder"]
REFUSED = {"bert-bge": "tokenizer: model 'bert' is not supported",
           "nomic-bert-moe": "tokenizer: model 't5' is not supported"}


def vocab_file(name):
    path = VOCAB / f"ggml-vocab-{name}.gguf"
    if not (VOCAB / ".complete").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{VOCAB} is missing (make integration runs scripts/vocab_fetch.sh)")
        pytest.skip(f"{VOCAB} is missing; run: bash scripts/vocab_fetch.sh")
    return path


def cases(name):
    path = vocab_file(name)
    texts = path.with_name(path.name + ".inp").read_text(encoding="utf-8").split(SEP)
    if texts and texts[-1] == "":  # the file ends with a separator
        texts.pop()
    ids = path.with_name(path.name + ".out").read_text(encoding="utf-8").split("\n")
    return path, texts, [[int(x) for x in line.split()] for line in ids[: len(texts)]]


@pytest.mark.parametrize("name", GENERATIVE)
def test_every_case_matches_llama_cpp(c12_san, name):
    path, texts, want = cases(name)
    assert len(texts) >= 40, f"{name}: only {len(texts)} cases read"
    lines = "".join(json.dumps({"text": t}) + "\n" for t in texts)
    p = run([c12_san, "tokenize", "-m", str(path), "--jsonl", "-", "--no-special"], input=lines)
    assert p.returncode == 0, p.stderr
    got = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(got) == len(texts)
    bad = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
    assert not bad, (f"{name}: {len(bad)}/{len(texts)} cases differ; case {bad[0]} "
                     f"{texts[bad[0]]!r}: got {got[bad[0]]} want {want[bad[0]]}")


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_other_vocabularies_are_refused_by_name(c12_san, name):
    p = run([c12_san, "tokenize", "-m", str(vocab_file(name)), "--no-special"], input="hello")
    assert p.returncode != 0
    assert REFUSED[name] in p.stderr
