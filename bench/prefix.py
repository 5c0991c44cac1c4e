"""Second-turn time to first token of a long conversation, with the prefix
cache and without (`make bench-serve`, bench/serve.sh). Two `c12 serve`
processes on 127.0.0.1 serve MODEL, one with models[].prefix_cache off; a
conversation of about TOKENS prompt tokens (a long system prompt and a first
turn) is sent, then its second turn is streamed and timed to the first
content chunk. The servers take turns, best of 3 each; the machine should be
otherwise idle. Usage: python3 bench/prefix.py C12_BIN MODEL [TOKENS]"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

C12, MODEL = sys.argv[1], sys.argv[2]
TOKENS = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
# about 13 tokens a sentence on the catalogue's vocabularies
SYSTEM = " ".join(f"Rule {i}: answer the user's questions about the lighthouse logbook with care, citing the "
                  f"entry number when one applies." for i in range(TOKENS // 20))


def start(prefix_cache):
    tmp = tempfile.mkdtemp(prefix="c12bench-")
    cfg = os.path.join(tmp, "c12.yaml")
    with open(cfg, "w") as f:
        f.write(f"cache: {{enabled: false}}\nmodels:\n  - {{id: {MODEL}, source: {MODEL}, "
                f"prefix_cache: {'true' if prefix_cache else 'false'}, context: 4096}}\n")
    p = subprocess.Popen([C12, "serve", "--config", cfg, "--listen", "127.0.0.1:0", "--ledger",
                          os.path.join(tmp, "l.db"), "--batches", os.path.join(tmp, "b")],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    port = int(re.search(r"127\.0\.0\.1:(\d+)", line).group(1))
    return p, f"http://127.0.0.1:{port}"


def post(url, body, stream=False):
    req = urllib.request.Request(url + "/v1/chat/completions", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    return urllib.request.urlopen(req, timeout=600)


def second_turn_ttft(url):
    msgs = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "What is entry 12 about?"}]
    r = json.load(post(url, {"model": MODEL, "messages": msgs, "max_tokens": 16, "temperature": 0}))
    prompt1 = r["usage"]["prompt_tokens"]
    msgs += [{"role": "assistant", "content": r["choices"][0]["message"]["content"]},
             {"role": "user", "content": "And entry 13?"}]
    t0 = time.monotonic()
    with post(url, {"model": MODEL, "messages": msgs, "max_tokens": 16, "temperature": 0, "stream": True,
                    "stream_options": {"include_usage": True}}) as resp:
        ttft, cached = None, None
        for raw in resp:
            line = raw.decode().strip()
            if not line.startswith("data: {"):
                continue
            ev = json.loads(line[6:])
            if ttft is None and ev.get("choices") and ev["choices"][0]["delta"].get("content"):
                ttft = time.monotonic() - t0
            if ev.get("usage"):
                cached = ev["usage"]["prompt_tokens_details"]["cached_tokens"]
    return ttft, prompt1, cached


def main():
    servers = {True: start(True), False: start(False)}
    try:
        best = {True: None, False: None}
        for _ in range(3):
            for on in (True, False):
                ttft, prompt1, cached = second_turn_ttft(servers[on][1])
                if best[on] is None or ttft < best[on][0]:
                    best[on] = (ttft, prompt1, cached)
        print(f"second-turn time to first token, {MODEL}, first turn {best[True][1]} prompt tokens, best of 3:")
        print(f"  prefix cache on   {best[True][0] * 1000:8.0f} ms   ({best[True][2]} prompt tokens cached)")
        print(f"  prefix cache off  {best[False][0] * 1000:8.0f} ms   ({best[False][2]} cached)   "
              f"{best[False][0] / best[True][0]:.1f}x slower")
    finally:
        for p, _ in servers.values():
            p.terminate()
            p.wait(timeout=60)


if __name__ == "__main__":
    main()
