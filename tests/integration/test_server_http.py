"""HTTP edges and slow clients (issue 16), on raw sockets against the
sanitizer binary: what libmicrohttpd answered with HTML of its own (a bad
Content-Length, 414, 431, 505) is OpenAI's JSON error; two different
Content-Lengths are refused; 405 names what is allowed; HEAD works on GET
routes; %00 does not cut a model id; a model id over 255 bytes is a 404;
a request head must arrive whole within server.header_timeout_s
(slowloris), and held connections cost the server no threads."""
import json
import os
import select
import socket
import threading
import time

import pytest

from server_helpers import Server, error_of, recv_all

HEADER_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def srv(c12_san):
    # these tests hold hundreds of connections from 127.0.0.1: the cap per client
    # (test_server_clients.py) would refuse most, and the gate's waiting is the point here
    s = Server(c12_san, f"server: {{default_max_tokens: 2, header_timeout_s: {HEADER_TIMEOUT}, "
                        f"max_connections_per_client: 1000}}\n")
    yield s
    s.stop()


def exchange(srv, data, timeout=20):
    """Send raw bytes, read until the server closes; (status, headers, body)."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    s.sendall(data)
    got = recv_all(s)
    s.close()
    head, _, body = got.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
    return int(lines[0].split()[1]), headers, body.decode()


def req(method, target, headers="", body=b"", version="HTTP/1.1"):
    return (f"{method} {target} {version}\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n").encode() + body


def json_error(status, headers, body, want_status, want_code=None):
    assert status == want_status, body
    assert headers["content-type"] == "application/json"
    e = error_of(body)
    if want_code:
        assert e["code"] == want_code, e
    return e


@pytest.mark.parametrize("value", ["abc", "-1", "1 2", "99999999999999999999999", "0x10"])
def test_bad_content_length_is_json(srv, value):
    json_error(*exchange(srv, req("POST", "/v1/chat/completions", f"Content-Length: {value}\r\n")), 400,
               "invalid_request")


def test_conflicting_content_lengths_refused(srv):
    body = b'{"model": "smollm2-135m", "messages": []}POST /v1/chat/completions HTTP/1.1\r\n\r\n'
    e = json_error(*exchange(srv, req("POST", "/v1/chat/completions", "Content-Type: application/json\r\n"
                                      "Content-Length: 41\r\nContent-Length: 80\r\n", body)), 400)
    assert "Content-Length" in e["message"]
    json_error(*exchange(srv, req("POST", "/v1/chat/completions", "Content-Length: 3\r\n"
                                  "Transfer-Encoding: chunked\r\n", b"0\r\n\r\n")), 400)
    json_error(*exchange(srv, req("POST", "/v1/chat/completions", "Transfer-Encoding: gzip\r\n")), 501,
               "not_implemented")


def test_long_target_and_headers_are_json(srv):
    json_error(*exchange(srv, req("GET", "/" + "a" * 40000)), 414, "uri_too_long")
    json_error(*exchange(srv, req("GET", "/healthz", "X-Big: " + "a" * 40000 + "\r\n")), 431, "headers_too_large")


@pytest.mark.parametrize("version", ["HTTP/2.0", "HTTP/0.9", "HTTP/3"])
def test_other_http_versions_are_json(srv, version):
    json_error(*exchange(srv, req("GET", "/healthz", version=version)), 505, "http_version_not_supported")


def test_malformed_heads_are_json(srv):
    for data in (b"GET\r\n\r\n", b"GET /healthz HTTP/1.1\r\nNo colon here\r\n\r\n",
                 b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n", b"GET /healthz HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
                 b"GET /healthz HTTP/1.1\r\nX: a\x00b\r\n\r\n"):
        json_error(*exchange(srv, data), 400, "invalid_request")


def test_405_names_allowed_methods(srv):
    st, h, body = exchange(srv, req("DELETE", "/v1/models"))
    json_error(st, h, body, 405, "method_not_allowed")
    assert h["allow"] == "GET, HEAD"
    st, h, body = exchange(srv, req("GET", "/v1/chat/completions"))
    json_error(st, h, body, 405, "method_not_allowed")
    assert h["allow"] == "POST"


@pytest.mark.parametrize("path", ["/healthz", "/v1/models", "/v1/models/smollm2-135m", "/metrics", "/"])
def test_head_on_get_routes(srv, path):
    st, h, body = exchange(srv, req("HEAD", path))
    g_st, g_h, g_body = exchange(srv, req("GET", path))
    assert st == g_st == 200 and body == "" and g_body
    assert h["content-type"] == g_h["content-type"]


def test_nul_in_model_id_does_not_cut_it(srv):
    st, _, body = exchange(srv, req("GET", "/v1/models/smollm2-135m"))
    assert st == 200
    e = json_error(*exchange(srv, req("GET", "/v1/models/smollm2-135m%00anything")), 404, "model_not_found")
    assert "smollm2-135m%00anything" in e["message"]
    json_error(*exchange(srv, req("GET", "/healthz%00")), 404)
    # in a body, a NUL is not JSON C12 takes (jansson refuses \u0000): never the model before it
    st, body = srv.post("/v1/chat/completions", {"model": "smollm2-135m\u0000x", "messages": [{"role": "user",
                                                                                              "content": "hi"}]})
    assert st == 400 and error_of(body)["code"] == "invalid_json"


def test_long_model_id_is_not_found(srv):
    for n in (255, 256, 300, 5000):
        st, body = srv.post("/v1/chat/completions", {"model": "m" * n, "messages": [{"role": "user", "content": "hi"}]})
        assert st == 404 and error_of(body)["code"] == "model_not_found", (n, body)
        json_error(*exchange(srv, req("GET", "/v1/models/" + "m" * n)), 404, "model_not_found")


def dribble(port, out, i):
    """Send a head one byte every 0.2 s until the server answers; note when and what."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    t0 = time.time()
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000
    for b in head:
        try:
            s.sendall(bytes([b]))
        except OSError:
            break
        if select.select([s], [], [], 0.2)[0]:
            break
    took = time.time() - t0
    out[i] = (took, recv_all(s))
    s.close()


def test_slowloris_heads_are_cut(srv):
    n = 40
    out = [None] * n
    threads = [threading.Thread(target=dribble, args=(srv.port, out, i)) for i in range(n)]
    idle = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(40)]  # send nothing at all
    for t in threads:
        t.start()
    time.sleep(0.3)
    t0 = time.time()
    st, _ = srv.get("/healthz")  # served meanwhile
    assert st == 200 and time.time() - t0 < 5
    for t in threads:
        t.join(30)
    for took, got in out:
        assert took < HEADER_TIMEOUT + 2, took
        assert got.startswith(b"HTTP/1.1 408 "), got
        assert error_of(got.partition(b"\r\n\r\n")[2].decode())["code"] == "request_timeout"
    for s in idle:
        s.settimeout(HEADER_TIMEOUT + 2)
        assert s.recv(1) == b""  # closed without a word: nothing was asked
        s.close()


def test_held_connections_take_no_threads(srv):
    """Waiting heads cost the server no threads: 300 of them leave its thread count as it was."""
    def threads():
        return len(os.listdir(f"/proc/{srv.proc.pid}/task"))
    before = threads()
    held = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(300)]
    for s in held:
        s.sendall(b"GET /healthz HTTP/1.1\r\n")
    time.sleep(0.3)
    during = threads()
    for s in held:
        s.close()
    assert during <= before + 2, (before, during)


def test_still_serving(srv):
    st, body = srv.post("/v1/chat/completions", {"model": "smollm2-135m", "max_tokens": 2,
                                                 "messages": [{"role": "user", "content": "hi"}]})
    assert st == 200, body
