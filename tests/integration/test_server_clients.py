"""Slow and stuck clients cannot exhaust the server (issue 16), against the
sanitizer binary with small limits: a cap on open connections per client
address (429) and in all (503), each a JSON refusal with Retry-After,
counted in /metrics, while another address is still served; a connection
that sends a head and part of a body, then nothing, is closed after
server.idle_timeout_s and its thread is gone; a streamed reply whose client
stops reading is cut after server.write_timeout_s, its generation stopped,
its slot freed for the next request and its ledger row "timeout", while a
stream whose tokens come slower than that, to a client that reads, is not;
a server out of descriptors does not spin on its listening socket.

Every test client is on loopback: the other client addresses are
127.0.0.2 and up, which Linux routes on lo."""
import json
import os
import re
import resource
import select
import signal
import socket
import sqlite3
import time

from server_helpers import Server, error_of, recv_all, sse_events

MSG = [{"role": "user", "content": "Count from 1 to 1000, separated by commas."}]


def connect(srv, source="127.0.0.1", rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before connect: the window it offers
    s.settimeout(30)
    s.bind((source, 0))
    s.connect(("127.0.0.1", srv.port))
    return s


def get(srv, path, source="127.0.0.1"):
    """GET on a connection from `source`: (status, headers, body)."""
    s = connect(srv, source)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    got = recv_all(s)
    s.close()
    head, _, body = got.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
    return int(lines[0].split()[1]) if lines[0] else 0, headers, body.decode()


def partial_post(srv, source="127.0.0.1"):
    """A whole head (so libmicrohttpd serves it, on a thread) and 10 of the
    100 bytes of body it announces; then nothing."""
    s = connect(srv, source)
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Content-Length: 100\r\nConnection: close\r\n\r\n" + b'{"model": ')
    return s


def metric(srv, line_re):
    st, _, text = get(srv, "/metrics")
    assert st == 200
    m = re.search("^" + line_re + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def threads(srv):
    return int(re.search(r"Threads:\s+(\d+)", open(f"/proc/{srv.proc.pid}/status").read()).group(1))


def quiet_threads(srv, timeout=10):
    """The thread count once it holds still for half a second: the thread of
    a request just answered (settle's scrape) ends a little after it."""
    end, last = time.time() + timeout, threads(srv)
    while time.time() < end:
        time.sleep(0.5)
        now = threads(srv)
        if now == last:
            return now
        last = now
    return last


def wait_for(cond, timeout, step=0.05):
    end = time.time() + timeout
    while not cond() and time.time() < end:
        time.sleep(step)
    return cond()


def held(srv, make, source):
    """A connection the server let in: nothing to read (a refusal would be there at once)."""
    s = make(srv, source)
    assert not select.select([s], [], [], 0.3)[0], s.recv(4096)
    return s


def settle(srv):
    """Until only the scrape asking is open (the requests before it are over)."""
    assert wait_for(lambda: metric(srv, "c12_connections_open") == 1, 10)


def refused(srv, source, status):
    st, headers, body = get(srv, "/healthz", source)
    assert st == status, (st, body)
    assert headers["content-type"] == "application/json" and headers["retry-after"] == "1", headers
    e = error_of(body)
    assert e["code"] == "too_many_connections", e
    return e


def test_per_client_cap(c12_san):
    srv = Server(c12_san, "server: {max_connections_per_client: 3, max_connections: 100, header_timeout_s: 60}\n")
    try:
        # two wait in the gate for their heads, one is libmicrohttpd's (its body is awaited): all count
        hold = [held(srv, connect, "127.0.0.5"), held(srv, connect, "127.0.0.5"), held(srv, partial_post, "127.0.0.5")]
        e = refused(srv, "127.0.0.5", 429)
        assert e["type"] == "rate_limit_error" and "max_connections_per_client" in e["message"], e
        assert get(srv, "/healthz", "127.0.0.2")[0] == 200  # another client is served
        for s in hold:
            s.close()
        assert wait_for(lambda: get(srv, "/healthz", "127.0.0.5")[0] == 200, 10)
        assert metric(srv, r'c12_connections_refused_total\{reason="per_client"\}') >= 1
    finally:
        srv.stop()


def test_total_cap(c12_san):
    srv = Server(c12_san, "server: {max_connections_per_client: 3, max_connections: 4, header_timeout_s: 60}\n")
    try:
        settle(srv)
        hold = [held(srv, connect, "127.0.0.5"), held(srv, connect, "127.0.0.5"), held(srv, partial_post, "127.0.0.5"),
                held(srv, connect, "127.0.0.6")]
        e = refused(srv, "127.0.0.3", 503)
        assert e["type"] == "server_error" and "max_connections" in e["message"], e
        for s in hold:
            s.close()
        assert wait_for(lambda: get(srv, "/healthz", "127.0.0.3")[0] == 200, 10)
        assert metric(srv, r'c12_connections_refused_total\{reason="total"\}') >= 1
        # what is left open: the scrape itself
        assert wait_for(lambda: metric(srv, "c12_connections_open") == 1, 10)
    finally:
        srv.stop()


def test_idle_body_is_cut(c12_san):
    srv = Server(c12_san, "server: {idle_timeout_s: 1, header_timeout_s: 60}\n")
    try:
        settle(srv)
        before = quiet_threads(srv)
        s = partial_post(srv)
        assert wait_for(lambda: threads(srv) > before, 10)  # libmicrohttpd's thread for it
        t0 = time.time()
        got = recv_all(s)  # until the server closes it
        waited = time.time() - t0
        s.close()
        assert got == b"" and 0.5 < waited < 5, (got, waited)
        assert wait_for(lambda: threads(srv) <= before, 10), (threads(srv), before)
    finally:
        srv.stop()


def test_slow_tokens_are_not_a_stalled_reader(c12_san):
    """The write timeout is the client's: a stream whose next token is
    slower than write_timeout_s (here the server is stopped for 2.5 s
    mid-stream) goes on to its end for a client that reads."""
    srv = Server(c12_san, "server: {write_timeout_s: 1}\n")
    try:
        s = connect(srv)
        s.sendall(stream_request(16))
        got = b""
        while b"data: " not in got:
            got += s.recv(4096)
        srv.proc.send_signal(signal.SIGSTOP)
        time.sleep(2.5)
        srv.proc.send_signal(signal.SIGCONT)
        got += recv_all(s)
        s.close()
        events, complete = sse_events(got)
        assert complete and events[-1] == "data: [DONE]", got[-300:]
        assert json.loads(events[-2][len("data: "):])["choices"][0]["finish_reason"] == "length", events[-2]
    finally:
        srv.stop()


def stream_request(max_tokens):
    data = json.dumps({"model": "smollm2-135m", "messages": MSG, "max_tokens": max_tokens, "temperature": 0,
                       "ignore_eos": True, "stream": True}).encode()
    return (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(data) + data)


def cpu_s(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_out_of_descriptors_does_not_spin(c12_san):
    """Past the open-files limit the gate cannot accept: it rests instead of
    spinning on the listening socket, and takes the waiting connections
    once descriptors are free again."""
    srv = Server(c12_san, "server: {max_connections: 1000, max_connections_per_client: 1000, "
                          "header_timeout_s: 60}\n")
    try:
        settle(srv)
        pid = srv.proc.pid
        soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (len(os.listdir(f"/proc/{pid}/fd")) + 10, hard))
        hold = [connect(srv) for _ in range(40)]  # the kernel completes them all; the server takes 10
        time.sleep(0.5)
        c0, t0 = cpu_s(pid), time.time()
        time.sleep(2)
        busy = (cpu_s(pid) - c0) / (time.time() - t0)
        for s in hold:
            s.close()
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
        assert busy < 0.3, f"the server used {busy:.0%} of a CPU while out of descriptors"
        assert wait_for(lambda: get(srv, "/healthz")[0] == 200, 10)
    finally:
        srv.stop()


def ledger_row(srv, request_id):
    for _ in range(100):
        with sqlite3.connect(srv.ledger) as db:
            row = db.execute("SELECT status, completion_tokens FROM requests WHERE request_id = ?",
                             (request_id,)).fetchone()
        if row:
            return row
        time.sleep(0.1)
    raise AssertionError(f"{request_id} is not in the ledger")


def test_stalled_stream_reader_is_cut(c12_san):
    # one slot, no queue: while the stalled stream holds the slot, a request is refused (429)
    srv = Server(c12_san, "server: {write_timeout_s: 1, idle_timeout_s: 60}\nqueue: {max_total: 0}\n")
    try:
        max_tokens = 3000
        s = connect(srv, rcvbuf=4096)  # a small window: the server's writes block soon
        s.sendall(stream_request(max_tokens))
        got = b""
        while b"data: " not in got:
            got += s.recv(4096)
        request_id = re.search(rb'"id":"([^"]+)"', got).group(1).decode()
        t0 = time.time()
        # ... and now it reads no more. Its slot comes free: a request is served, not refused.
        while True:
            st, text = srv.post("/v1/chat/completions", {"model": "smollm2-135m", "messages": MSG, "max_tokens": 1})
            if st != 429 or time.time() - t0 > 120:
                break
            time.sleep(0.2)
        freed_s = time.time() - t0
        assert st == 200, (st, text)
        status, tokens = ledger_row(srv, request_id)
        print(f"slot free {freed_s:.1f} s after the client stopped reading; {tokens} tokens generated")
        assert status == "timeout" and tokens < max_tokens, (status, tokens)
        assert "the client stopped reading (server.write_timeout_s)" in srv.stderr()
        s.close()
    finally:
        srv.stop()
