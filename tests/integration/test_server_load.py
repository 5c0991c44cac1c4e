"""Concurrency, disconnects, SIGTERM and eviction against the real binary on
127.0.0.1, each bounded in requests and time: 16 clients against a queue of
4, a client that leaves mid-stream, SIGTERM mid-stream, and two real model
files under a budget that holds one."""
import concurrent.futures
import json
import pathlib
import signal
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import model_path
from server_helpers import sse_events, Server, error_of, open_stream, smollm

MSG = [{"role": "user", "content": "Write one sentence about rivers."}]


def stream_request(port, body, read_events=None, timeout=60):
    """POST a streamed chat by hand; return the raw bytes read (all of them,
    or stop after `read_events` data events and close the socket)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = json.dumps(dict(body, stream=True)).encode()
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(data) + data)
    got = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
        if read_events is not None and got.count(b"data: ") >= read_events:
            break
    s.close()
    return got


def test_sixteen_clients_queue_of_four(c12):
    # Two slots: two sessions generate at once on the shared weights, four wait.
    srv = Server(c12, "queue: {max_total: 4, max_per_model: 4}\nserver: {default_max_tokens: 8}\n"
                      "models:\n  - {id: smollm2-135m, source: smollm2-135m, slots: 2, context: 512}\n")
    try:
        def one(i):
            t0 = time.time()
            st, text = srv.post("/v1/chat/completions", {"model": "auto", "messages": MSG, "max_tokens": 8,
                                                         "stream": i % 2 == 1}, timeout=120)
            return st, text, time.time() - t0

        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            results = list(ex.map(one, range(16), timeout=180))
        codes = [r[0] for r in results]
        assert set(codes) <= {200, 429}, codes
        assert codes.count(200) >= 6  # two running and four queued at least
        assert codes.count(429) >= 1
        for st, text, _ in results:
            if st == 429:
                assert error_of(text)["type"] == "rate_limit_error"
            elif text.startswith("data: "):
                assert text.rstrip().endswith("data: [DONE]")
        assert srv.get("/healthz")[0] == 200
        st, _ = srv.post("/v1/chat/completions", {"model": "auto", "messages": MSG, "max_tokens": 2})
        assert st == 200
    finally:
        srv.stop()


def test_disconnect_mid_stream_frees_the_slot(c12_san):
    srv = Server(c12_san, "queue: {max_total: 0}\n")
    try:
        count = [{"role": "user", "content": "Count from 1 to 500, separated by commas."}]
        got = stream_request(srv.port, {"model": "auto", "messages": count, "max_tokens": 400,
                                        "temperature": 0, "ignore_eos": True}, read_events=2)
        assert b"data: " in got
        # The cancelled generation gives its slot back: with no queue, a new
        # request is served (200), not refused (429), within a few tokens' time.
        end = time.time() + 60
        while True:
            st, text = srv.post("/v1/chat/completions", {"model": "auto", "messages": MSG, "max_tokens": 1})
            if st == 200 or time.time() > end:
                break
            assert st == 429, text
            time.sleep(0.2)
        assert st == 200, text
        assert srv.get("/healthz")[0] == 200
        assert "the client went away; generation stopped after" in srv.stderr()
    finally:
        srv.stop()


def test_sigterm_mid_stream(c12_san):
    srv = Server(c12_san, "server: {grace_s: 60}\n")
    # ignore_eos: the stream runs its 120 tokens, seconds under ASan on any machine.
    s, got = open_stream(srv, {"model": "auto", "messages": MSG, "max_tokens": 120, "temperature": 0,
                               "ignore_eos": True, "stream": True})
    assert b"200 OK" in got
    # A second request waits in the queue behind the stream...
    queued = {}
    t = threading.Thread(target=lambda: queued.update(r=srv.post(
        "/v1/chat/completions", {"model": "auto", "messages": MSG, "max_tokens": 2}, timeout=120)))
    t.start()
    time.sleep(0.5)  # enough to reach the queue; the stream holds the one slot for seconds more
    srv.proc.send_signal(signal.SIGTERM)
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
    s.close()
    # The in-flight stream finished normally: its 120 tokens (ignore_eos), so
    # "length", then [DONE] as the last event of a complete chunked body.
    events, complete = sse_events(got)
    assert complete and events[-1] == "data: [DONE]", got[-300:]
    assert json.loads(events[-2][len("data: "):])["choices"][0]["finish_reason"] == "length", events[-2]
    # ...the queued request got 503...
    t.join(60)
    st, text = queued["r"]
    assert st == 503 and error_of(text)["code"] == "shutting_down", (st, text)
    # ...new connections are refused, and the process exits 0.
    assert srv.proc.wait(60) == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=2)
    err = srv.stop()
    assert "SIGTERM: stopping" in err and "stopped" in err


def test_eviction_with_two_model_files(c12, tmp_path):
    """Two real models (the default smollm2-135m and gemma3-270m), a budget
    that holds the larger one only: each request evicts the other, idle, one."""
    gemma = model_path("gemma3-270m")
    if not gemma.exists():
        pytest.skip(f"{gemma} is missing: `c12 models pull gemma3-270m` (make test pulls it)")
    size = max(pathlib.Path(smollm()).stat().st_size, gemma.stat().st_size)
    cfg = f"""
pool: {{memory_budget: {int(size * 1.2)}}}
models:
  - {{id: smollm2-135m, source: smollm2-135m, context: 128}}
  - {{id: gemma3-270m, source: gemma3-270m, context: 128}}
"""
    srv = Server(c12, cfg)
    try:
        for model in ["gemma3-270m", "smollm2-135m", "gemma3-270m"]:
            st, text = srv.post("/v1/completions", {"model": model, "prompt": "The sea is", "max_tokens": 2})
            assert st == 200, text
            assert json.loads(text)["model"] == model
        err = srv.stderr()
        assert err.count("evicting smollm2-135m") == 2 and err.count("evicting gemma3-270m") == 1, err
        assert srv.get("/readyz")[0] == 503  # the default model is out now
    finally:
        srv.stop()


def test_load_failure_leaves_pool_healthy(c12_san, tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF not really")
    cfg = f"""
models:
  - smollm2-135m
  - {{id: broken, path: {bad}}}
  - {{id: missing, path: {tmp_path / 'missing.gguf'}}}
  - {{id: wronghash, source: smollm2-135m, sha256: {'0' * 64}}}
"""
    srv = Server(c12_san, cfg)
    try:
        for model in ["broken", "missing", "wronghash"]:
            st, text = srv.post("/v1/chat/completions", {"model": model, "messages": MSG, "max_tokens": 1})
            assert st == 500 and error_of(text)["code"] == "model_load_failed", text
        st, text = srv.post("/v1/chat/completions", {"model": "auto", "messages": MSG, "max_tokens": 1})
        assert st == 200, text
    finally:
        srv.stop()


def test_queue_full_says_when_to_retry(c12_san):
    """The queue's 429 (plain and streamed) carries Retry-After: 1, from
    respond.c's table of errors (C12_ERR_BUSY's row)."""
    srv = Server(c12_san, "queue: {max_total: 0}\n")
    s, got = open_stream(srv, {"model": "auto", "messages": MSG, "max_tokens": 300, "temperature": 0,
                               "ignore_eos": True, "stream": True})  # holds the only slot
    try:
        assert b"200 OK" in got
        for stream in (False, True):
            req = urllib.request.Request(srv.url + "/v1/chat/completions",
                                         json.dumps({"model": "auto", "messages": MSG, "max_tokens": 1,
                                                     "stream": stream}).encode(),
                                         {"Content-Type": "application/json"})
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(req, timeout=60)
            assert e.value.code == 429 and e.value.headers["Retry-After"] == "1", dict(e.value.headers)
            assert json.loads(e.value.read())["error"]["code"] == "queue_full"
    finally:
        s.close()
        srv.stop()
