#!/usr/bin/env python3
"""Record llama.cpp's logits on the tiny oracle models (`make golden-tiny`).

Runs in the reference venv (scripts/ref_venv.sh: llama-cpp-python 0.3.36,
native build, gguf 0.19.0 from the same sdist):

    goldens.py WORKDIR

 1. writes every architecture's F32, F16, Q8_0 and Q4_0 file into WORKDIR
    (scripts/oracle/tiny_models.py);
 2. makes Q4_K_M (and for qwen3 Q6_K) from each F32 file with llama.cpp's quantizer
    (llama_model_quantize) into tests/golden/tiny/models/ (committed: C12
    cannot make them; the others are written again at test time);
 3. runs each file through llama.cpp on the fixed prompts below, one token at
    a time (the decode path, as scripts/golden/engine.py) with llama.cpp's
    defaults (weight repacking on: docs/engine.md, "Q4_0"), and writes
    tests/golden/tiny/<arch>.jsonl: one line per (file, prompt) with the
    file's sha256, the prompt's ids and, for every position, the TOP highest
    logits [[id, logit], ...], best first.
A file llama.cpp refuses to load is recorded with "error" instead.
"""
import ctypes
import hashlib
import json
import os
import pathlib
import sys

import llama_cpp

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
import tiny_models  # noqa: E402

TOP = 8
# Fixed token-id prompts: the second is longer than gemma2's sliding window (8)
PROMPTS = [
    [1, 300, 261, 17, 290, 305, 3, 44, 299, 260, 318, 100, 280, 281, 7, 270],
    [1] + [(37 * i + 11) % 317 + 3 for i in range(39)],
]
KQUANTS = {"q4_k_m": 15, "q6_k": 18}  # llama_ftype: MOSTLY_Q4_K_M, MOSTLY_Q6_K
# Q4_K_M for every architecture (its mix has Q6_K tensors too: output, some
# attn_v and ffn_down); Q6_K only where its mix differs (qwen3: Wo's 384-wide
# rows fall back to Q8_0), to keep the committed files small (~6 MB)
KQUANT_ARCHS = {"q4_k_m": None, "q6_k": {"qwen3"}}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def quantize(src, dst, ftype):
    p = llama_cpp.llama_model_quantize_default_params()
    p.ftype = ftype
    p.nthread = 2
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(p))
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize({src} -> {dst}) failed: {rc}")


def run(path, prompt):
    llm = llama_cpp.Llama(str(path), n_ctx=128, n_batch=1, n_ubatch=1, n_threads=2, logits_all=True,
                          verbose=False)
    llm.reset()
    llm.eval(prompt)
    out = []
    for row in llm.scores[:len(prompt)]:
        idx = sorted(range(len(row)), key=lambda i: (-float(row[i]), i))[:TOP]
        out.append([[i, float(row[i])] for i in idx])
    llm.close()
    return out


def main():
    work = pathlib.Path(sys.argv[1])
    work.mkdir(parents=True, exist_ok=True)
    gold = ROOT / "tests" / "golden" / "tiny"
    committed = gold / "models"
    committed.mkdir(parents=True, exist_ok=True)
    for name in tiny_models.MODELS:
        files = []
        for typ in tiny_models.QTYPES:
            path = work / f"{name}-{typ}.gguf"
            tiny_models.write(str(path), name, typ)
            files.append((typ, path))
        for typ, ftype in KQUANTS.items():
            if KQUANT_ARCHS[typ] is not None and name not in KQUANT_ARCHS[typ]:
                continue
            path = committed / f"{name}-{typ}.gguf"
            quantize(work / f"{name}-f32.gguf", path, ftype)
            files.append((typ, path))
        lines = []
        for typ, path in files:
            for i, prompt in enumerate(PROMPTS):
                rec = {"arch_file": name, "type": typ, "file": path.name, "sha256": sha256(path),
                       "prompt": i, "ids": prompt}
                try:
                    rec["top"] = run(path, prompt)
                except Exception as e:  # llama.cpp refused the file
                    rec["error"] = str(e)
                lines.append(json.dumps(rec, separators=(",", ":")))
        (gold / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
        print(name, "done", flush=True)


if __name__ == "__main__":
    sys.exit(main())
