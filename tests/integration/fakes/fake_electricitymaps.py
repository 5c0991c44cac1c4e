#!/usr/bin/env python3
"""A fake Electricity Maps API v3 on 127.0.0.1: GET /v3/carbon-intensity/latest
and /v3/carbon-intensity/forecast?zone=Z, the key in the `auth-token` header
(anything else answers 401), values in gCO2eq/kWh with the real field names
(zone, carbonIntensity, datetime, updatedAt, createdAt, emissionFactorType,
isEstimated, estimationMethod, temporalGranularity)."""
import datetime as dt
import sys
import pathlib

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import fakebase  # noqa: E402
from fakebase import FakeHandler, FakeServer, floor_time, utcnow  # noqa: E402


def iso_ms(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class Handler(FakeHandler):
    def route(self, path, query):
        srv = self.server
        if path not in ("/v3/carbon-intensity/latest", "/v3/carbon-intensity/forecast"):
            return 404, {"message": "not found"}, {}
        if self.headers.get("auth-token") != srv.key:
            return 401, {"message": "Invalid or missing auth-token"}, {}
        zone = (query.get("zone") or [None])[0]
        if not zone:
            return 400, {"message": "zone is required"}, {}
        fault = self.common_fault()
        if fault:
            return fault
        if srv.fault == "malformed":
            return 200, b'{"zone": "' + zone.encode() + b'", "carbonIntensity": 3', {}
        now = utcnow()
        hour = floor_time(now, 60)
        if path.endswith("/latest"):
            body = {"zone": zone, "carbonIntensity": srv.value, "datetime": iso_ms(hour),
                    "updatedAt": iso_ms(now), "createdAt": iso_ms(hour - dt.timedelta(days=3)),
                    "emissionFactorType": "lifecycle", "isEstimated": False, "estimationMethod": None,
                    "temporalGranularity": "hourly"}
            if srv.fault == "missing":
                del body["carbonIntensity"]
            return 200, body, {}
        points = [{"carbonIntensity": srv.value + h, "datetime": iso_ms(hour + dt.timedelta(hours=h))}
                  for h in range(72)]
        if srv.fault == "missing":
            points = [{"datetime": p["datetime"]} for p in points]
        return 200, {"zone": zone, "forecast": points, "updatedAt": iso_ms(now)}, {}


def make_server(key="em-test-key", value=250.0):
    srv = FakeServer(Handler)
    srv.key = key
    srv.value = value
    return srv


if __name__ == "__main__":
    fakebase.main(make_server, __doc__)
