"""Decode tokens/s of one streamed chat completion through `c12 serve`, the
way `c12 run --stats` counts it: tokens after the first over the time from
the first to the last content event (prefill excluded), one run.
With a fifth argument, a response_format (JSON text) for constrained decoding.
usage: serve_stream.py PORT MODEL PROMPT N [RESPONSE_FORMAT]  -> JSON {"tps", "tokens"}"""
import http.client
import json
import sys
import time


def stamped(port, req, timeout=600):
    """POST one streamed chat completion: (time sent, the time of each
    content event, the final usage). bench/concurrency.py uses it too."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    t0 = time.perf_counter()
    # x-c12-cache: no: greedy requests are cached, and a replay is no measure of decoding
    c.request("POST", "/v1/chat/completions", json.dumps(req),
              {"Content-Type": "application/json", "x-c12-cache": "no"})
    r = c.getresponse()
    assert r.status == 200, r.read()
    stamps, usage = [], None
    for line in r:
        if not line.startswith(b"data: ") or line.startswith(b"data: [DONE]"):
            continue
        ev = json.loads(line[6:])
        usage = ev.get("usage") or usage
        if ev["choices"] and ev["choices"][0]["delta"].get("content"):
            stamps.append(time.perf_counter())
    c.close()
    return t0, stamps, usage


def once(port, model, prompt, n, rf):
    req = {"model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": n,
           "temperature": 0, "ignore_eos": True, "stream": True, "stream_options": {"include_usage": True}}
    if rf:
        req["response_format"] = json.loads(rf)
    _, stamps, usage = stamped(port, req)
    tokens = usage["completion_tokens"]
    return (tokens - 1) / (stamps[-1] - stamps[0]), tokens


if __name__ == "__main__":
    port, model, prompt, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    tps, tokens = once(port, model, prompt, n, sys.argv[5] if len(sys.argv) > 5 else None)
    print(json.dumps({"tps": tps, "tokens": tokens}))
