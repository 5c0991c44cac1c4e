#!/usr/bin/env python3
"""A fake UK Carbon Intensity API (NESO) on 127.0.0.1, no key: GET /intensity,
/intensity/{from}/fw48h, /regional/regionid/{id} and
/regional/intensity/{from}/fw48h/regionid/{id}, with the real shapes: items
{"from", "to", "intensity": {"forecast", "actual", "index"}} in half-hours,
times as "YYYY-MM-DDThh:mmZ"; regional items have no "actual" and carry a
generationmix; the regional forecast's "data" is one object, not a list."""
import datetime as dt
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import fakebase  # noqa: E402
from fakebase import FakeHandler, FakeServer, floor_time, utcnow  # noqa: E402

REGIONS = {1: ("Scottish Hydro Electric Power Distribution", "North Scotland"),
           13: ("UKPN London", "London"), 17: ("WPD South Wales", "Wales")}
FW48 = re.compile(r"^/intensity/([0-9T:\-]+Z)/fw48h$")
REG_FW48 = re.compile(r"^/regional/intensity/([0-9T:\-]+Z)/fw48h/regionid/(\d+)$")
REG_NOW = re.compile(r"^/regional/regionid/(\d+)$")


def hm(t):
    return t.strftime("%Y-%m-%dT%H:%MZ")


def band(v):
    for limit, name in ((40, "very low"), (120, "low"), (200, "moderate"), (290, "high")):
        if v < limit:
            return name
    return "very high"


class Handler(FakeHandler):
    def item(self, start, regional=False, current=True):
        srv = self.server
        value = srv.regional_value if regional else srv.forecast
        intensity = {"forecast": value, "index": band(value)}
        if not regional:
            null = srv.fault == "null_actual" or not current
            intensity["actual"] = None if null else srv.actual
        if srv.fault == "missing":
            intensity = {"index": "moderate"}
        it = {"from": hm(start), "to": hm(start + dt.timedelta(minutes=30)), "intensity": intensity}
        if regional:
            it["generationmix"] = [{"fuel": "gas", "perc": 40.1}, {"fuel": "wind", "perc": 35.2},
                                   {"fuel": "nuclear", "perc": 24.7}]
        return it

    def region(self, rid, items):
        dno, short = REGIONS.get(rid, ("DNO", f"Region {rid}"))
        return {"regionid": rid, "dnoregion": dno, "shortname": short, "data": items}

    def route(self, path, query):
        fault = self.common_fault()
        if fault:
            return fault
        if self.server.fault == "malformed":
            return 200, b'{"data":[{"from": "2024-01-01T00:00Z", "to": ', {}
        now = floor_time(utcnow(), 30)
        if path == "/intensity":
            return 200, {"data": [self.item(now)]}, {}
        m = FW48.match(path)
        if m:
            start = floor_time(dt.datetime.strptime(m[1], "%Y-%m-%dT%H:%MZ").replace(tzinfo=dt.timezone.utc), 30)
            return 200, {"data": [self.item(start + dt.timedelta(minutes=30 * i), current=False)
                                  for i in range(96)]}, {}
        m = REG_NOW.match(path)
        if m:
            return 200, {"data": [self.region(int(m[1]), [self.item(now, regional=True)])]}, {}
        m = REG_FW48.match(path)
        if m:
            start = floor_time(dt.datetime.strptime(m[1], "%Y-%m-%dT%H:%MZ").replace(tzinfo=dt.timezone.utc), 30)
            items = [self.item(start + dt.timedelta(minutes=30 * i), regional=True) for i in range(96)]
            return 200, {"data": self.region(int(m[2]), items)}, {}
        return 400, {"error": {"code": "400 Bad Request", "message": "Please enter a valid request"}}, {}


def make_server(actual=190.0, forecast=200.0, regional_value=120.0):
    srv = FakeServer(Handler)
    srv.actual, srv.forecast, srv.regional_value = actual, forecast, regional_value
    return srv


if __name__ == "__main__":
    fakebase.main(make_server, __doc__)
