"""Start `c12 serve` on a free loopback port for a test and stop it with
SIGTERM afterwards (checking that it exits 0 and the sanitizers stayed
quiet). Every wait here is bounded."""
import json
import os
import pathlib
import re
import ctypes
import select
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from conftest import model_path


# What a test server serves when its config lists no models. The built-in
# default is the whole catalogue, with which `auto` sends code to the 1.5B
# model: far too slow under ASan for tests about something else.
# catalogue=True keeps the built-in default.
TEST_MODELS = "models:\n  - {id: smollm2-135m, source: smollm2-135m}\n"


class Server:
    """ledger: the ledger database (default: one in the server's temporary
    folder, so tests never write to $C12_HOME/ledger.db); False: the
    configuration's ledger: (a PostgreSQL one)."""

    def __init__(self, binary, config_text=None, env=None, ready=True, ledger=None, catalogue=False, batches=None,
                 listen="127.0.0.1:0"):
        if not catalogue and not re.search(r"^models:", config_text or "", re.M):
            config_text = (config_text or "") + TEST_MODELS
        self.tmp = tempfile.TemporaryDirectory(prefix="c12srv-")
        self.ledger = None if ledger is False else str(ledger or pathlib.Path(self.tmp.name) / "ledger.db")
        args = [binary, "serve", "--listen", listen] + (["--ledger", self.ledger] if self.ledger else [])
        # files and batches in the test's folder, never $C12_HOME's
        self.batches = str(batches or pathlib.Path(self.tmp.name) / "batches")
        args += ["--batches", self.batches]
        self.config_path = None
        if config_text is not None:
            cfg = pathlib.Path(self.tmp.name) / "c12.yaml"
            cfg.write_text(config_text)
            self.config_path = cfg
            args += ["--config", str(cfg)]
        self.stderr_path = pathlib.Path(self.tmp.name) / "stderr.txt"
        self.stderr_file = open(self.stderr_path, "w")
        full_env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0", **(env or {}))
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.stderr_file, text=True, env=full_env,
                                     preexec_fn=_die_with_parent)
        line = self._readline(30)
        assert "listening on http://127.0.0.1:" in line, (line, self.stderr())
        self.port = int(line.split("127.0.0.1:")[1].split()[0])
        self.url = f"http://127.0.0.1:{self.port}"
        if ready:
            self.wait_ready()

    def _readline(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline() if r else ""

    def stderr(self):
        self.stderr_file.flush()
        return self.stderr_path.read_text()

    def wait_ready(self, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            status, _ = self.get("/readyz")
            if status == 200:
                return
            time.sleep(0.1)
        raise AssertionError("not ready: " + self.stderr())

    def request(self, method, path, body=None, headers=None, raw=None, timeout=120):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def get(self, path, **kw):
        try:
            return self.request("GET", path, **kw)
        except (ConnectionError, urllib.error.URLError):
            return 0, ""

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def reload(self, config_text):
        """Rewrite the configuration file and send SIGHUP (the policy reloads)."""
        self.config_path.write_text(config_text)
        self.proc.send_signal(signal.SIGHUP)

    def stop(self, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("c12 serve did not stop after SIGTERM: " + self.stderr())
        err = self.stderr()
        self.stderr_file.close()
        self.proc.stdout.close()
        self.tmp.cleanup()
        assert rc == 0, (rc, err)
        assert "ERROR: AddressSanitizer" not in err and "runtime error" not in err, err
        assert "WARNING: ThreadSanitizer" not in err, err  # make test-tsan
        return err


def _die_with_parent():
    """A server whose pytest was killed must not outlive it (PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def open_stream(srv, body, headers=None, timeout=120):
    """POST a streaming request on a raw socket and read until the first
    data chunk: from then on the request holds a generation slot. Returns
    the socket (the caller closes it) and the bytes read so far."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    data = json.dumps(body).encode()
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items()).encode()
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n"
              b"Connection: close\r\n%s\r\n" % (len(data), extra) + data)
    got = b""
    while b"data: " not in got:
        d = s.recv(65536)
        if not d:
            break
        got += d
    return s, got


def recv_all(s):
    """Everything a socket receives until the server closes it (or resets it)."""
    got = b""
    while True:
        try:
            d = s.recv(65536)
        except OSError:
            return got
        if not d:
            return got
        got += d


def sse_events(raw):
    """The SSE events of a raw HTTP/1.1 response read off a socket (headers,
    then a chunked body), and whether its last chunk (size 0) arrived."""
    body, i, text = raw.split(b"\r\n\r\n", 1)[1], 0, b""
    while True:
        j = body.find(b"\r\n", i)
        if j < 0:
            return [e for e in text.decode().split("\n\n") if e], False
        n = int(body[i:j].split(b";")[0], 16)
        if n == 0:
            return [e for e in text.decode().split("\n\n") if e], True
        text += body[j + 2:j + 2 + n]
        i = j + 2 + n + 2


def error_of(body):
    e = json.loads(body)["error"]
    assert set(e) == {"message", "type", "param", "code"}, e
    return e


def smollm():
    return str(model_path("smollm2-135m"))


def need_models(*names):
    """Skip the test unless every named catalogue model is in the cache."""
    import pytest
    for n in names:
        if not model_path(n).exists():
            pytest.skip(f"{n} is not in the model cache; run: c12 models pull {n}")


def sdk_client(srv):
    """The official openai SDK against a test server (no retries)."""
    import openai
    return openai.OpenAI(base_url=srv.url + "/v1", api_key="unused", max_retries=0, timeout=300)
