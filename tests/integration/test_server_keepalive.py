"""HTTP keep-alive (issue 15's gateway overhead): several requests, plain and
streamed, ride one connection; a kept-alive connection closes after
server.keepalive_s of silence and after server.keepalive_requests; clients
that send Connection: close or speak HTTP/1.0 get their connection closed;
the gate's checks hold for every request on a kept-alive connection (a bad
head is refused in JSON, a slow head is cut with 408, the per-client cap
counts kept-alive connections); SIGTERM closes idle kept-alive connections
at once. Raw sockets and http.client against the sanitizer binary."""
import http.client
import json
import signal
import socket
import time

import pytest

from server_helpers import Server, error_of, open_stream, recv_all

KEEPALIVE = 1.0
HEADER_TIMEOUT = 1.0
CHAT = {"model": "smollm2-135m", "max_tokens": 2, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def srv(c12_san):
    s = Server(c12_san, f"server: {{keepalive_s: {KEEPALIVE}, keepalive_requests: 5, "
                        f"header_timeout_s: {HEADER_TIMEOUT}, max_connections_per_client: 3}}\n")
    yield s
    s.stop()


def get(path=b"/healthz", extra=b"", version=b"HTTP/1.1"):
    return b"GET " + path + b" " + version + b"\r\nHost: 127.0.0.1\r\n" + extra + b"\r\n"


def read_response(s):
    """One response with a Content-Length body off a socket: (status, headers, body)."""
    got = b""
    while b"\r\n\r\n" not in got:
        d = s.recv(65536)
        assert d, got
        got += d
    head, _, body = got.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
    n = int(headers.get("content-length", "0"))
    while len(body) < n:
        d = s.recv(65536)
        assert d, body
        body += d
    assert len(body) == n, "bytes after the response: nothing was asked for them"
    return int(lines[0].split()[1]), headers, body.decode()


def closed_within(s, seconds):
    """The time until the server closes s (recv gives b""), or None if it stays open that long."""
    s.settimeout(seconds)
    t0 = time.time()
    try:
        d = s.recv(1)
    except socket.timeout:
        return None
    except ConnectionResetError:
        d = b""
    assert d == b"", d
    return time.time() - t0


def test_requests_share_one_connection(srv):
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    c.request("GET", "/healthz")
    r = c.getresponse()
    assert r.status == 200 and r.getheader("Connection") is None
    r.read()
    sock = c.sock
    port = sock.getsockname()[1]
    c.request("POST", "/v1/chat/completions", json.dumps(CHAT), {"Content-Type": "application/json"})
    r = c.getresponse()
    assert r.status == 200 and json.loads(r.read())["choices"]
    c.request("POST", "/v1/chat/completions", json.dumps(dict(CHAT, stream=True)),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    assert r.status == 200 and r.getheader("Transfer-Encoding") == "chunked"
    text = r.read().decode()
    assert text.rstrip().endswith("data: [DONE]"), text
    c.request("GET", "/v1/models")
    r = c.getresponse()
    assert r.status == 200 and json.loads(r.read())["data"]
    assert c.sock is sock and sock.getsockname()[1] == port  # one connection for all four
    c.close()


def test_idle_connection_closes_after_keepalive_s(srv):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(get())
    assert read_response(s)[0] == 200
    took = closed_within(s, KEEPALIVE + 3)
    assert took is not None and KEEPALIVE - 0.3 < took < KEEPALIVE + 2, took
    s.close()


def test_request_cap_closes_the_last_response(srv):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    for i in range(5):
        s.sendall(get())
        status, headers, _ = read_response(s)
        assert status == 200
        assert (headers.get("connection") == "close") == (i == 4), (i, headers)
    assert closed_within(s, 3) is not None
    s.close()


@pytest.mark.parametrize("extra,version", [(b"Connection: close\r\n", b"HTTP/1.1"),
                                           (b"Connection: keep-alive, Close\r\n", b"HTTP/1.1"),
                                           (b"", b"HTTP/1.0")])
def test_clients_that_ask_get_closed(srv, extra, version):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(get(extra=extra, version=version))
    assert read_response(s)[0] == 200
    assert closed_within(s, 2) is not None  # at once, not after keepalive_s
    s.close()


def test_bad_head_on_kept_alive_connection_is_json(srv):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(get())
    assert read_response(s)[0] == 200
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
              b"Content-Length: 6\r\n\r\nhello")
    status, headers, body = read_response(s)
    assert status == 400 and headers["connection"] == "close"
    assert error_of(body)["code"] == "invalid_request"
    assert recv_all(s) == b""
    s.close()


def test_slow_head_on_kept_alive_connection_is_cut(srv):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(get())
    assert read_response(s)[0] == 200
    t0 = time.time()
    got = b""
    for b in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100:
        try:
            s.sendall(bytes([b]))
        except OSError:
            break
        s.settimeout(0.2)  # one byte every 0.2 s: each resets no timer
        try:
            got = s.recv(65536)
        except socket.timeout:
            continue
        break
    took = time.time() - t0
    assert HEADER_TIMEOUT - 0.3 < took < HEADER_TIMEOUT + 2, took
    s.settimeout(5)
    got += recv_all(s)
    assert got.startswith(b"HTTP/1.1 408 "), got
    assert error_of(got.partition(b"\r\n\r\n")[2].decode())["code"] == "request_timeout"
    s.close()


def test_kept_alive_connections_count_against_the_client_cap(srv):
    held = []
    for _ in range(3):  # max_connections_per_client: 3, each kept alive after one request
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(get())
        assert read_response(s)[0] == 200
        held.append(s)
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(get(extra=b"Connection: close\r\n"))
    status, _, body = read_response(s)
    assert status == 429 and error_of(body)["code"] == "too_many_connections"
    s.close()
    held.pop().close()
    time.sleep(0.3)  # the server sees the close
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(get(extra=b"Connection: close\r\n"))
    assert read_response(s)[0] == 200
    s.close()
    for h in held:
        h.close()
    time.sleep(0.3)


def test_keepalive_off_closes_every_response(c12_san):
    s = Server(c12_san, "server: {keepalive_s: 0}\n")
    try:
        c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        c.sendall(get())
        status, headers, _ = read_response(c)
        assert status == 200 and headers["connection"] == "close"
        assert closed_within(c, 2) is not None
        c.close()
    finally:
        s.stop()


def test_sigterm_closes_idle_kept_alive_connections(c12_san):
    """While a stream in flight holds the server up (grace_s), an idle kept-alive connection closes at once."""
    s = Server(c12_san, "server: {keepalive_s: 60, grace_s: 60}\n")
    c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    c.sendall(get())
    assert read_response(c)[0] == 200
    stream, _ = open_stream(s, dict(CHAT, stream=True, max_tokens=400), {"x-c12-cache": "no"})
    s.proc.send_signal(signal.SIGTERM)
    took = closed_within(c, 10)
    c.close()
    assert took is not None and took < 3, took  # not keepalive_s
    assert s.proc.poll() is None  # the stream still goes on: the idle connection did not wait for it
    rest = recv_all(stream)
    stream.close()
    assert b"data: [DONE]" in rest, rest[-300:]
    s.stop()
