#!/usr/bin/env python3
"""A fake WattTime API v3 on 127.0.0.1. GET /login with HTTP Basic answers
{"token": ...}, valid `token_ttl_s` (30 minutes by default) or until
revoke_tokens(); GET /v3/signal-index and /v3/forecast (region=, signal_type=)
need `Authorization: Bearer TOKEN` (else 401) and answer
{"data": [{"point_time", "value"}], "meta": {"region", "signal_type", "units",
"data_point_period_seconds", ...}}: the signal index in units "percentile",
the forecast (five-minute points, 24 h) in "lbs_co2_per_mwh"."""
import base64
import datetime as dt
import pathlib
import secrets
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import fakebase  # noqa: E402
from fakebase import FakeHandler, FakeServer, floor_time, utcnow  # noqa: E402


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")


class Handler(FakeHandler):
    def route(self, path, query):
        if path == "/login":
            return self.login()
        if path not in ("/v3/signal-index", "/v3/forecast"):
            return 404, {"error": "not found"}, {}
        srv = self.server
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        with srv.lock:
            valid = token in srv.tokens and srv.tokens[token] > time.monotonic()
        if not valid:
            return 401, {"error": "token expired or invalid"}, {}
        region = (query.get("region") or [None])[0]
        signal = (query.get("signal_type") or [None])[0]
        if not region or not signal:
            return 400, {"error": "region and signal_type are required"}, {}
        fault = self.common_fault()
        if fault:
            return fault
        if srv.fault == "malformed":
            return 200, b'{"data": [{"point_time": "2024-', {}
        return 200, self.signal(path, region, signal), {}

    def login(self):
        srv = self.server
        want = base64.b64encode(f"{srv.user}:{srv.password}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {want}":
            return 401, {"error": "bad credentials"}, {}
        token = secrets.token_urlsafe(24)
        with srv.lock:
            srv.tokens[token] = time.monotonic() + srv.token_ttl_s
            srv.logins += 1
        return 200, {"token": token}, {}

    def signal(self, path, region, signal):
        srv = self.server
        now = floor_time(utcnow(), 5)
        meta = {"data_point_period_seconds": 300, "region": region, "signal_type": signal,
                "warnings": [], "model": {"date": "2023-03-01", "type": "binned_regression"},
                "generated_at_period_seconds": 300, "generated_at": iso(now)}
        if path == "/v3/signal-index":
            meta["units"] = "percentile"
            data = [{"point_time": iso(now), "value": srv.percentile}]
        else:
            meta["units"] = "lbs_co2_per_mwh"
            data = [{"point_time": iso(now + dt.timedelta(minutes=5 * i)), "value": srv.moer_lbs + i % 7}
                    for i in range(288)]
        if srv.fault == "missing":
            data = [{"point_time": d["point_time"]} for d in data]
        return {"data": data, "meta": meta}


class WattTimeServer(FakeServer):
    def revoke_tokens(self):
        """Every token now answers 401, as an expired one would."""
        with self.lock:
            self.tokens.clear()


def make_server(user="c12user", password="wt-test-password", moer_lbs=1000.0, percentile=56.0):
    srv = WattTimeServer(Handler)
    srv.user, srv.password = user, password
    srv.moer_lbs, srv.percentile = moer_lbs, percentile
    srv.tokens, srv.logins, srv.token_ttl_s = {}, 0, 1800
    return srv


if __name__ == "__main__":
    fakebase.main(make_server, __doc__)
