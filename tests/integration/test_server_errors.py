"""Every bad input gets an OpenAI-shaped error and the server keeps serving
(sanitizer binary): malformed JSON, wrong types, unknown model, prompt over
the context, body over the limit, API keys, unknown paths, queue headers,
deadlines in the queue."""
import json
import socket
import sqlite3
import time

import pytest

from server_helpers import Server, error_of, open_stream

KEY = "sk-test-123"
# sha256("sk-test-123")
KEY_HASH = __import__("hashlib").sha256(KEY.encode()).hexdigest()

CONFIG = f"""
server:
  api_keys: ["sha256:{KEY_HASH}"]
  max_body_bytes: 4096
  default_max_tokens: 4
models:
  - id: smollm2-135m
    source: smollm2-135m
    context: 64
"""
AUTH = {"Authorization": "Bearer " + KEY}
MSG = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def srv(c12_san):
    s = Server(c12_san, CONFIG)
    yield s
    s.stop()


def post(srv, body, path="/v1/chat/completions", headers=None, raw=None):
    return srv.post(path, body, headers=dict(AUTH, **(headers or {})), raw=raw)


def test_api_keys(srv):
    st, body = srv.post("/v1/chat/completions", {"model": "auto", "messages": MSG})
    assert st == 401 and error_of(body)["code"] == "invalid_api_key"
    st, _ = srv.request("GET", "/v1/models", headers={"Authorization": "Bearer wrong"})
    assert st == 401
    st, body = srv.request("GET", "/v1/models", headers=AUTH)
    assert st == 200 and json.loads(body)["data"][0]["id"] == "smollm2-135m"
    assert srv.get("/healthz")[0] == 200  # probes need no key
    assert KEY not in srv.stderr()


def test_malformed_json(srv):
    st, body = post(srv, None, raw=b'{"model": "auto", "messages": [')
    e = error_of(body)
    assert st == 400 and e["type"] == "invalid_request_error" and e["code"] == "invalid_json"


@pytest.mark.parametrize("field,value", [
    ("model", 5), ("messages", "hi"), ("max_tokens", "8"), ("max_completion_tokens", 2.5),
    ("temperature", "hot"), ("top_p", 3), ("stop", 7), ("seed", "x"), ("presence_penalty", "a"),
    ("frequency_penalty", []), ("user", 1), ("n", 17), ("stream", "yes"), ("stream_options", 3)])
def test_wrong_type_names_field(srv, field, value):
    body = {"model": "auto", "messages": MSG, field: value}
    st, text = post(srv, body)
    assert st == 400 and error_of(text)["param"] == field


def test_wrong_message_shapes(srv):
    for msgs, param in [([{"role": "robot", "content": "x"}], "messages[0].role"),
                        ([{"role": "user", "content": 3}], "messages[0].content"),
                        ([], "messages")]:
        st, text = post(srv, {"model": "auto", "messages": msgs})
        assert st == 400 and error_of(text)["param"] == param
    st, text = post(srv, {"model": "auto", "prompt": 5}, path="/v1/completions")
    assert st == 400 and error_of(text)["param"] == "prompt"


def test_unknown_fields_ignored(srv):
    st, text = post(srv, {"model": "auto", "messages": MSG, "max_tokens": 1, "logit_bias": {}, "foo": [1]})
    assert st == 200, text
    assert json.loads(text)["usage"]["completion_tokens"] <= 1


def test_unknown_model(srv):
    st, text = post(srv, {"model": "gpt-17", "messages": MSG})
    e = error_of(text)
    assert st == 404 and e["code"] == "model_not_found" and e["param"] == "model"
    st, text = srv.request("GET", "/v1/models/gpt-17", headers=AUTH)
    assert st == 404 and error_of(text)["code"] == "model_not_found"
    # A long multibyte id is cut inside a character in the message: still valid JSON.
    st, text = post(srv, {"model": "\u20ac" * 80, "messages": MSG})
    assert st == 404 and error_of(text)["message"].startswith("The model '\u20ac")
    st, text = srv.request("GET", "/v1/models/" + "%E2%82%AC" * 100, headers=AUTH)
    assert st == 404 and error_of(text)["code"] == "model_not_found"


def test_context_length_exceeded(srv):
    long = "word " * 200  # well over the 64-token context
    for stream in (False, True):
        st, text = post(srv, {"model": "auto", "messages": [{"role": "user", "content": long}], "stream": stream})
        assert st == 400 and error_of(text)["code"] == "context_length_exceeded", text
    st, text = post(srv, {"model": "auto", "prompt": long}, path="/v1/completions")
    assert st == 400 and error_of(text)["param"] == "prompt"


def test_body_over_limit(srv):
    st, text = post(srv, {"model": "auto", "messages": [{"role": "user", "content": "x" * 5000}]})
    assert st == 413 and error_of(text)["code"] == "request_too_large"
    # Without a Content-Length (chunked upload) the cap still holds.
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    chunk = b"x" * 3000
    req = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY.encode() +
           b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
           (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 2 + b"0\r\n\r\n")
    s.sendall(req)
    resp = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        resp += d
    s.close()
    assert resp.startswith(b"HTTP/1.1 413"), resp[:100]


def test_paths_and_methods(srv):
    st, text = srv.request("GET", "/v2/nothing", headers=AUTH)
    assert st == 404 and error_of(text)["code"] == "not_found"
    st, text = srv.request("DELETE", "/v1/models", headers=AUTH)
    assert st == 405
    st, text = srv.request("GET", "/v1/chat/completions", headers=AUTH)
    assert st == 405


def test_queue_headers(srv):
    st, text = post(srv, {"model": "auto", "messages": MSG}, headers={"x-c12-priority": "urgent"})
    assert st == 400 and "x-c12-priority" in error_of(text)["message"]
    st, text = post(srv, {"model": "auto", "messages": MSG}, headers={"x-c12-deadline-ms": "soon"})
    assert st == 400
    st, text = post(srv, {"model": "auto", "messages": MSG, "max_tokens": 1},
                    headers={"x-c12-priority": "high", "x-c12-deadline-ms": "60000"})
    assert st == 200, text


def test_deadline_passes_in_queue(srv):
    """While a long stream holds the one slot, a request with a short
    deadline times out in the queue with a 504."""
    s, first = open_stream(srv, {"model": "auto", "messages": MSG, "max_tokens": 1000, "temperature": 0,
                                 "ignore_eos": True, "stream": True}, headers=AUTH)
    try:
        assert b"200 OK" in first
        t0 = time.time()
        st, text = post(srv, {"model": "auto", "messages": MSG, "max_tokens": 1},
                        headers={"x-c12-deadline-ms": "300"})
        assert st == 504 and error_of(text)["code"] == "deadline_exceeded", text
        assert time.time() - t0 < 10
    finally:
        s.close()  # the server cancels the stream when the client goes


def test_still_healthy(srv):
    assert srv.get("/healthz")[0] == 200 and srv.get("/readyz")[0] == 200
    st, text = post(srv, {"model": "auto", "messages": MSG, "max_tokens": 2})
    assert st == 200, text


def test_ledger_names_the_key_not_the_key_itself(c12_san, tmp_path):
    """The ledger's api_key is the presented key's label (the first 8 hex of
    its hash, as the key was checked once at the door); its user is the
    request's `user` field."""
    db = tmp_path / "ledger.db"
    s = Server(c12_san, CONFIG, ledger=db)
    try:
        st, text = s.post("/v1/chat/completions", {"model": "auto", "messages": MSG, "max_tokens": 1,
                                                   "user": "bob"}, headers=AUTH)
        assert st == 200, text
    finally:
        s.stop()
    con = sqlite3.connect(db)
    callers = list(con.execute("SELECT api_key, user FROM requests"))
    con.close()
    assert callers == [(f"key:{KEY_HASH[:8]}", "bob")]
    assert KEY not in db.read_bytes().decode("latin-1")
