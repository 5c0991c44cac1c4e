"""llama.cpp's own server as a C12 site (issue 15): needs the reference venv
(scripts/ref_venv.sh, plus the server's extras: uvicorn, fastapi,
pydantic-settings, sse-starlette, starlette-context, PyYAML), so it is not
part of `make test`. Starts llama-cpp-python 0.3.36's OpenAI server on
smollm2-135m, and a `c12 serve` gateway whose model `smol` is served only by
that site; then, greedy, for a few chats:
  - the answer through C12 equals the answer straight from llama.cpp's server
    (C12 passes the messages on; the site renders its own template);
  - streamed through C12, the text comes in several chunks and equals it too;
  - the ledger row names the site, and usage is the site's (or counted).
Prints one line per check and exits 1 on a mismatch. Usage:
    python3 scripts/oracle/llama_server_site.py [C12_BIN]"""
import json
import os
import pathlib
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
C12 = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "build/c12")
HOME = pathlib.Path(os.environ.get("C12_HOME", pathlib.Path.home() / ".cache/c12"))
REF_PY = os.environ.get("C12_REF_PYTHON", str(HOME / "ref-venv/bin/python"))
MODEL = HOME / "models/smollm2-135m.gguf"
CHATS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "system", "content": "You answer in one sentence."},
     {"role": "user", "content": "Why is the sky blue?"}],
    [{"role": "user", "content": "Write a haiku about the sea."}],
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(url, proc, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            sys.exit(f"{url}: the process exited ({proc.returncode})")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"{url} did not answer in {timeout} s")


def post(base, body):
    req = urllib.request.Request(base + "/chat/completions", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    return urllib.request.urlopen(req, timeout=300)


def chat(base, msgs):
    r = json.load(post(base, {"model": "smol", "messages": msgs, "temperature": 0, "max_tokens": 40}))
    return r["choices"][0]["message"]["content"], r["usage"]


def stream(base, msgs):
    parts = []
    with post(base, {"model": "smol", "messages": msgs, "temperature": 0, "max_tokens": 40, "stream": True}) as r:
        for raw in r:
            line = raw.decode().strip()
            if line.startswith("data: {"):
                ev = json.loads(line[6:])
                for c in ev.get("choices", []):
                    if c["delta"].get("content"):
                        parts.append(c["delta"]["content"])
    return parts


def main():
    tmp = tempfile.mkdtemp(prefix="c12-llama-site-")
    lp, cp = free_port(), free_port()
    llama = subprocess.Popen([REF_PY, "-m", "llama_cpp.server", "--model", str(MODEL), "--model_alias", "smol",
                              "--host", "127.0.0.1", "--port", str(lp), "--n_ctx", "2048", "--n_threads", "2"],
                             stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "llama.log"), "w"))
    cfg = os.path.join(tmp, "c12.yaml")
    with open(cfg, "w") as f:
        f.write(f"cache: {{enabled: false}}\nsites:\n  llamacpp:\n    url: http://127.0.0.1:{lp}/v1\n"
                f"    carbon: {{chain: [static], providers: {{static: {{value: 100}}}}}}\n"
                f"models:\n  - {{id: smol, sites: [llamacpp], remote_model: smol}}\n")
    gw = None
    bad = 0
    try:
        wait(f"http://127.0.0.1:{lp}/v1/models", llama)
        ledger = os.path.join(tmp, "ledger.db")
        gw = subprocess.Popen([C12, "serve", "--config", cfg, "--listen", f"127.0.0.1:{cp}", "--ledger", ledger,
                               "--batches", os.path.join(tmp, "b")], stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(tmp, "c12.log"), "w"))
        wait(f"http://127.0.0.1:{cp}/readyz", gw)
        direct, via = f"http://127.0.0.1:{lp}/v1", f"http://127.0.0.1:{cp}/v1"
        for i, msgs in enumerate(CHATS):
            want, wu = chat(direct, msgs)
            got, gu = chat(via, msgs)
            parts = stream(via, msgs)
            ok = got == want and "".join(parts) == want and len(parts) > 1
            bad += not ok
            print(f"chat {i}: {'same' if ok else 'DIFFERENT'} answer through C12, plain and streamed in "
                  f"{len(parts)} chunks; usage direct {wu['prompt_tokens']}+{wu['completion_tokens']}, "
                  f"through C12 {gu['prompt_tokens']}+{gu['completion_tokens']}: {want[:60]!r}")
            if not ok:
                print(f"  direct: {want!r}\n  via c12: {got!r}\n  streamed: {''.join(parts)!r}")
        time.sleep(1.5)  # the ledger's writer commits in the background
        sites = sqlite3.connect(ledger).execute("SELECT DISTINCT site FROM requests").fetchall()
        print(f"ledger rows' sites: {sorted(s[0] for s in sites)}")
        bad += sites != [("llamacpp",)]
    finally:
        for p in (gw, llama):
            if p:
                p.terminate()
                p.wait(timeout=30)
    print("llama.cpp's server as a site:", "all checks passed" if not bad else f"{bad} checks FAILED")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
