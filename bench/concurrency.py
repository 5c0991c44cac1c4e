"""Batched decoding through `c12 serve` (part of `make bench-serve`).

1. Aggregate decode tokens/s of 1, 2, 4 and 8 concurrent streamed chat
   completions (N tokens each, past end-of-turn, greedy, each its own prompt)
   on a model with 8 slots, the ratio to one stream, and the energy per output
   token as C12 meters it (usage.c12.energy_j over completion tokens). Best of
   REPS at each concurrency, the concurrencies in turns (1, 2, 4, 8, 1, ...).
2. Time to first token of short requests while 4 streams run whose long
   prompts keep arriving (each stream asks again when done, with a prompt
   that starts anew, so that the prefix cache cannot serve it), with chunked
   prefill on and off (two servers, one after the other), p50/p95, and the
   streams' p95 gap between tokens.
Everything on 127.0.0.1; the servers stop with the script.
usage: [TTFT=0] [KS=1,2,4,8] concurrency.py C12_BIN MODEL [N] [REPS]
(TTFT=0: the first part only; KS: the concurrencies, the first one the baseline)"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from serve_stream import stamped

C12, MODEL = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 128
REPS = int(sys.argv[4]) if len(sys.argv) > 4 else 2
KS = [int(k) for k in os.environ.get("KS", "1,2,4,8").split(",")]
TOPICS = ["a lighthouse keeper", "a desert caravan", "a clockmaker", "a mountain village", "a river pilot",
          "an orbiting station", "a night market", "a glacier survey"]
LONG = ("Here are the notes of a long meeting about the budget, the roads, the school and the harbour. " * 40)


class Serve:
    def __init__(self, extra):
        self.cfg = tempfile.NamedTemporaryFile("w", suffix=".yaml")
        self.cfg.write(f"cache: {{enabled: false}}\nmodels:\n  - {{id: {MODEL}, source: {MODEL}, slots: 8, "
                       f"context: 2048{extra}}}\n")
        self.cfg.flush()
        self.p = subprocess.Popen([C12, "serve", "--config", self.cfg.name, "--listen", "127.0.0.1:0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in self.p.stdout:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        else:
            raise SystemExit("concurrency.py: the server did not start")
        self.stream(TOPICS[0], 4)  # loads the model

    def stop(self):
        self.p.terminate()
        self.p.wait(60)

    def stream(self, text, n, ignore_eos=True):
        """One streamed chat: (time sent, stamps of content events, usage)."""
        req = {"model": MODEL, "messages": [{"role": "user", "content": text}], "max_tokens": n,
               "temperature": 0, "ignore_eos": ignore_eos, "stream": True,
               "stream_options": {"include_usage": True}}
        return stamped(self.port, req, timeout=900)


def together(fns):
    out = [None] * len(fns)

    def run(i):
        out[i] = fns[i]()

    ts = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def throughput(srv):
    print(f"batched decoding on {MODEL}: k concurrent streams of {N} tokens, greedy, best of {REPS}:")
    print("  streams   tokens/s   x one stream   J/token   x one stream")
    best = {}
    for _ in range(REPS):  # in turns (1, 2, 4, 8, 1, ...): a slow spell of the machine hits every k alike
        for k in KS:
            res = together([lambda i=i: srv.stream(f"Write a long story about {TOPICS[i]}.", N) for i in range(k)])
            toks = sum(u["completion_tokens"] - 1 for _, _, u in res)
            span = max(s[-1] for _, s, _ in res) - min(s[0] for _, s, _ in res)
            jpt = sum(u["c12"]["energy_j"] for _, _, u in res) / sum(u["completion_tokens"] for _, _, u in res)
            if k not in best or toks / span > best[k][0]:
                best[k] = (toks / span, jpt)
    base = best[KS[0]]
    for k, (tps, jpt) in best.items():
        print(f"  {k:7d} {tps:10.1f} {tps / base[0]:10.2f}x {jpt:12.3f} {base[1] / jpt:9.2f}x less")


def ttft(extra, label, short_n=30):
    srv = Serve(extra)
    stop, gaps, ttfts = threading.Event(), [], []

    def streams(i):
        j = 0
        while not stop.is_set():
            # a new start each time: the prefix cache must not read it for free
            _, s, _ = srv.stream(f"Meeting {i}-{j}. " + LONG + f"Summarise the notes about {TOPICS[i]}.", 48)
            gaps.extend(b - a for a, b in zip(s, s[1:]))
            j += 1

    ts = [threading.Thread(target=streams, args=(i,)) for i in range(4)]
    try:
        for t in ts:
            t.start()
        time.sleep(3)
        for i in range(short_n):
            t0, s, _ = srv.stream(f"Say hello to {TOPICS[i % 8]}.", 2, ignore_eos=False)
            ttfts.append(s[0] - t0)
            time.sleep(0.3)
    finally:
        stop.set()
        for t in ts:
            t.join()
        srv.stop()
    q = statistics.quantiles(ttfts, n=20)
    g = statistics.quantiles(gaps, n=20)
    print(f"  {label:22s} TTFT p50 {statistics.median(ttfts) * 1e3:7.0f} ms   p95 {q[18] * 1e3:7.0f} ms   "
          f"streams' gap p95 {g[18] * 1e3:6.0f} ms")


srv = Serve("")
try:
    throughput(srv)
finally:
    srv.stop()
if os.environ.get("TTFT", "1") != "0":
    print(f"short requests while 4 streams with {len(LONG.split())}-word prompts run, on {MODEL}:")
    ttft("", "chunked prefill on")
    ttft(", chunked_prefill: false", "chunked prefill off")
