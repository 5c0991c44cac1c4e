"""Reference data for the engine tests, made with llama.cpp (llama-cpp-python).

Run with the reference venv's python (see scripts/golden.sh):
    python scripts/golden/engine.py MODEL_NAME GGUF_PATH

Writes tests/golden/<MODEL_NAME>/:
  greedy.jsonl  50 prompts: the prompt text as llama.cpp renders it (the
                model's chat template through jinja2, or the raw text for a
                base model), its token ids, and 32 greedy next-token ids;
  ppl.json      perplexity of tests/golden/ppl.txt as llama.cpp's perplexity
                tool computes it (windows of CTX tokens, first token BOS when
                the model adds BOS, second half of each window scored);
  logits.jsonl  for 8 prompts, the top-32 logits of the last position;
  logits_long.jsonl  (sliding-window models) the same after a raw prompt
                longer than the window.
"""
import json
import math
import pathlib
import sys

import jinja2
import llama_cpp
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEV = ROOT / "data" / "router" / "dev.jsonl"
PPL_TEXT = ROOT / "tests" / "golden" / "ppl.txt"
N_GREEDY = 32
PPL_CTX = 512
# Larger models score only the first windows of ppl.txt, so that their test
# (c12 perplexity --chunks N, N from ppl.json) stays within make test's budget.
PPL_MAX_CHUNKS = {"qwen2.5-coder-1.5b": 2}


def prompts():
    rows = [json.loads(l) for l in DEV.open()]
    return [rows[i]["text"] for i in range(0, len(rows), 50)][:50]


def render(llm, text):
    tmpl = llm.metadata.get("tokenizer.chat_template")
    if not tmpl:
        return text, False
    env = jinja2.Environment(loader=jinja2.BaseLoader())
    out = env.from_string(tmpl).render(
        messages=[{"role": "user", "content": text}], add_generation_prompt=True,
        bos_token="", eos_token="")
    return out, True


def greedy(llm, ids, n):
    llm.reset()
    llm.eval(ids)
    out = []
    for _ in range(n):
        tok = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        out.append(tok)
        llm.eval([tok])
    return out


def perplexity(llm, add_bos, max_chunks):
    text = PPL_TEXT.read_text()
    toks = llm.tokenize(text.encode(), add_bos=add_bos, special=False)
    n_chunks = min(len(toks) // PPL_CTX, max_chunks)
    bos = llm.token_bos()
    nll, count = 0.0, 0
    for c in range(n_chunks):
        win = list(toks[c * PPL_CTX:(c + 1) * PPL_CTX])
        if add_bos:
            win[0] = bos
        llm.reset()
        llm.eval(win)
        logits = np.array(llm.scores[:PPL_CTX], dtype=np.float64)
        for j in range(PPL_CTX // 2, PPL_CTX - 1):
            row = logits[j]
            m = row.max()
            lse = m + math.log(np.exp(row - m).sum())
            nll += lse - row[win[j + 1]]
            count += 1
    return math.exp(nll / count), n_chunks, len(toks)


def main():
    name, path = sys.argv[1], sys.argv[2]
    out = ROOT / "tests" / "golden" / name
    out.mkdir(parents=True, exist_ok=True)
    llm = llama_cpp.Llama(path, n_ctx=PPL_CTX * 2, n_batch=512, n_threads=2, logits_all=True,
                          verbose=False)
    # Greedy runs and logits go one token at a time: llama.cpp's decode path,
    # whose arithmetic C12 reproduces (its batched prompt path sums attention
    # in another order, through its tiled matrix kernels).
    step = llama_cpp.Llama(path, n_ctx=PPL_CTX * 2, n_batch=1, n_ubatch=1, n_threads=2,
                           logits_all=True, verbose=False)
    add_bos = llm._model.add_bos_token() if hasattr(llm._model, "add_bos_token") else True
    ppl, n_chunks, n_tok = perplexity(llm, add_bos, PPL_MAX_CHUNKS.get(name, 1 << 30))
    (out / "ppl.json").write_text(json.dumps(
        {"file": "tests/golden/ppl.txt", "ctx": PPL_CTX, "chunks": n_chunks, "tokens": n_tok,
         "perplexity": ppl}, indent=1) + "\n")
    print(f"{name}: perplexity {ppl:.4f} over {n_chunks} chunks", flush=True)
    with (out / "greedy.jsonl").open("w") as g, (out / "logits.jsonl").open("w") as lf:
        for i, text in enumerate(prompts()):
            prompt, chat = render(llm, text)
            ids = llm.tokenize(prompt.encode(), add_bos=add_bos, special=chat)
            cont = greedy(step, ids, N_GREEDY)
            g.write(json.dumps({"text": text, "chat": chat, "prompt": prompt, "prompt_ids": ids,
                                "ids": cont}) + "\n")
            if i < 8:
                step.reset()
                step.eval(ids)
                row = np.array(step.scores[len(ids) - 1])
                top = np.argsort(-row)[:32]
                lf.write(json.dumps({"prompt_ids": ids, "top_ids": [int(t) for t in top],
                                     "top_logits": [float(row[t]) for t in top]}) + "\n")
    long_context(llm, step, out)
    print(f"{name}: wrote {out}", flush=True)


def long_context(llm, step, out):
    """A model with sliding-window layers: logits after a raw prompt longer
    than the window (a prefix of ppl.txt), so that those layers mask."""
    arch = llm.metadata.get("general.architecture", "")
    window = int(llm.metadata.get(f"{arch}.attention.sliding_window", 0) or 0)
    if window <= 0 or window + 64 > PPL_CTX * 2:
        return
    add_bos = llm._model.add_bos_token()
    words = PPL_TEXT.read_text().split(" ")
    for n in range(1, len(words) + 1):
        text = " ".join(words[:n])
        ids = llm.tokenize(text.encode(), add_bos=add_bos, special=False)
        if len(ids) > window + 64:
            break
    step.reset()
    step.eval(ids)
    row = np.array(step.scores[len(ids) - 1])
    top = np.argsort(-row)[:32]
    (out / "logits_long.jsonl").write_text(json.dumps(
        {"text": text, "window": window, "prompt_ids": ids, "top_ids": [int(t) for t in top],
         "top_logits": [float(row[t]) for t in top]}) + "\n")


if __name__ == "__main__":
    main()
