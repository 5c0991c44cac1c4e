"""llama.cpp's side of `make bench-engine`: the same measurement as `c12 bench`
(a fixed pseudo-random prompt of P ids from an empty cache, then N single-token
decodes; best of R), through llama-cpp-python. Prints one JSON object."""
import argparse
import json
import time

import llama_cpp


def ids_for(n, n_vocab):
    x, out = 12345, []
    for _ in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) % 2**64
        out.append((x >> 33) % n_vocab)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("-p", type=int, default=256)
    ap.add_argument("-n", type=int, default=128)
    ap.add_argument("-t", type=int, default=2)
    ap.add_argument("-r", type=int, default=3)
    a = ap.parse_args()
    llm = llama_cpp.Llama(a.model, n_ctx=a.p + a.n + 8, n_batch=a.p, n_ubatch=a.p,
                          n_threads=a.t, n_threads_batch=a.t, verbose=False)
    ids = ids_for(a.p, llm.n_vocab())
    best_pp = best_tg = 0.0
    for _ in range(a.r):
        llm.reset()
        llm._ctx.memory_clear(True) if hasattr(llm._ctx, "memory_clear") else None
        t0 = time.perf_counter()
        llm.eval(ids)
        t1 = time.perf_counter()
        for i in range(a.n):
            llm.eval([ids[i % a.p]])
        t2 = time.perf_counter()
        best_pp = max(best_pp, a.p / (t1 - t0))
        best_tg = max(best_tg, a.n / (t2 - t1))
    print(json.dumps({"prefill_tps": round(best_pp, 2), "decode_tps": round(best_tg, 2),
                      "threads": a.t, "prefill_tokens": a.p, "decode_tokens": a.n}))


if __name__ == "__main__":
    main()
