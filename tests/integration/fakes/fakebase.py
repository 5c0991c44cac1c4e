"""Shared machinery of the carbon-provider fakes: a real HTTP server on
127.0.0.1 (standard library only), a request log, and fault switches.

Faults (set `server.fault`, or GET /__fake/fault?mode=M&retry_after=S when run
as a program): None, "401", "403", "429" (with Retry-After), "500", "slow"
(answers after `slow_s`, past any sane client timeout), "malformed" (broken
JSON), "missing" (the value field left out), "null_actual" (UK only: the
current half-hour's `actual` is null), "garbage" (200 with a body that is
not JSON at all: an HTML error page from a proxy, then binary junk). Each
fake decides what a fault means for its own wire format.
"""
import argparse
import datetime as dt
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = (None, "401", "403", "429", "500", "slow", "malformed", "missing", "null_actual", "garbage")
GARBAGE = (b"<html><head><title>502 Bad Gateway</title></head><body>upstream went away</body></html>\n"
           + bytes(range(256)) * 8)


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


def floor_time(t, minutes):
    t = t.replace(second=0, microsecond=0)
    return t - dt.timedelta(minutes=t.minute % minutes)


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler):
        super().__init__(("127.0.0.1", 0), handler)
        self.fault = None
        self.retry_after = 2
        self.slow_s = 3.0
        self.log = []  # dicts: t, method, path, query, headers, status
        self.lock = threading.Lock()
        self._thread = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()

    def requests(self, prefix=""):
        with self.lock:
            return [r for r in self.log if r["path"].startswith(prefix)]


class FakeHandler(BaseHTTPRequestHandler):
    """Subclasses implement route(path, query) -> (status, body, headers)."""

    server_version = "fake/1.0"

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/__fake/fault":
            self.server.fault = (query.get("mode") or [None])[0]
            self.server.retry_after = int((query.get("retry_after") or ["2"])[0])
            return self.send(200, {"fault": self.server.fault})
        entry = {"t": time.monotonic(), "method": "GET", "path": url.path, "query": url.query,
                 "raw_path": self.path, "headers": dict(self.headers.items())}
        status, body, headers = self.route(url.path, query)
        entry["status"] = status
        with self.server.lock:
            self.server.log.append(entry)
        self.send(status, body, headers)

    def common_fault(self):
        """The faults every provider answers alike; None when there is none."""
        f = self.server.fault
        if f in ("401", "403", "500"):
            return int(f), {"message": f"fake fault {f}"}, {}
        if f == "429":
            return 429, {"message": "rate limited"}, {"Retry-After": str(self.server.retry_after)}
        if f == "slow":
            time.sleep(self.server.slow_s)
        if f == "garbage":
            return 200, GARBAGE, {}
        return None

    def send(self, status, body, headers=None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


def main(make_server, description):
    """Run one fake as a program: prints its URL, serves until killed."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--fault", choices=[f for f in FAULTS if f], default=None)
    args = ap.parse_args()
    srv = make_server()
    srv.fault = args.fault
    print(srv.url, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
