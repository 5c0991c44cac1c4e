"""Reference token ids for the tokenizer tests, made with llama.cpp.

Run with the reference venv's python (see scripts/golden.sh):
    python scripts/golden/tokens.py MODEL_NAME GGUF_PATH
    python scripts/golden/tokens.py --texts FILE.jsonl --out OUT.jsonl GGUF_PATH

Writes tests/golden/<MODEL_NAME>/:
  tokens.jsonl        one JSON array per line: the ids of each "text" of
                      data/router/dev.jsonl;
  tokens_extra.jsonl  the same for tests/golden/extra_texts.jsonl (held-out
                      style cases: scripts, emoji, whitespace, numbers, code);
  tokens_raw.jsonl    the same for the byte strings (hex) of
                      tests/golden/raw_texts.jsonl: malformed UTF-8. (Byte
                      sequences that decode above U+10FFFF are left out: the
                      reference aborts on them.)
Ids are llama_tokenize(text, add_special=true, parse_special=false): the
vocabulary itself decides whether that adds BOS/EOS. Only the vocabulary is
loaded (vocab_only), not the weights.
"""
import json
import pathlib
import sys

import llama_cpp

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEV = ROOT / "data" / "router" / "dev.jsonl"
EXTRA = ROOT / "tests" / "golden" / "extra_texts.jsonl"
RAW = ROOT / "tests" / "golden" / "raw_texts.jsonl"


def texts(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def raw_texts(path):
    with open(path, encoding="utf-8") as f:
        return [bytes.fromhex(json.loads(line)["hex"]) for line in f if line.strip()]


def write_ids(llm, rows, out):
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        for text in rows:
            data = text if isinstance(text, bytes) else text.encode("utf-8")
            # add_bos=True is llama_tokenize's add_special=true; special=False
            # is parse_special=false
            ids = llm.tokenize(data, add_bos=True, special=False)
            f.write(json.dumps(ids, separators=(",", ":")) + "\n")
    print(f"wrote {out} ({len(rows)} rows)")


def main(argv):
    if len(argv) == 5 and argv[0] == "--texts" and argv[2] == "--out":
        llm = llama_cpp.Llama(model_path=argv[4], vocab_only=True, verbose=False)
        write_ids(llm, texts(argv[1]), pathlib.Path(argv[3]))
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    name, path = argv
    llm = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)
    out = ROOT / "tests" / "golden" / name
    write_ids(llm, texts(DEV), out / "tokens.jsonl")
    if EXTRA.exists():
        write_ids(llm, texts(EXTRA), out / "tokens_extra.jsonl")
    if RAW.exists():
        write_ids(llm, raw_texts(RAW), out / "tokens_raw.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
