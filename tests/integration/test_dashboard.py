"""The built-in dashboard (sanitizer binary): its page and files, its JSON
under /dashboard/api/ (keys, arguments, empty state), and the page itself
in Debian's Chromium driven by npm playwright-core (tests/browser): no
console errors, its numbers equal the ledger's after real requests made with
the openai SDK, the decision list shows their routes and sites, screenshots written. A
gateway in front of two fake OpenAI sites (fakes/fake_openai.py, one of them
down) shows each site's state, load, latency, grid and today's figures in
the status JSON and in the page's sites panel.

C12_SCREENSHOTS=docs/img copies the screenshots there (how the README's
picture is made)."""
import hashlib
import json
import os
import pathlib
import shutil
import sqlite3
import subprocess
import sys
import time

import openai
import pytest

from server_helpers import Server, error_of
from test_server_openapi import validate

sys.path.insert(0, str(pathlib.Path(__file__).parent / "fakes"))
import fake_openai  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
BROWSER = ROOT / "tests" / "browser"
KEY = "sk-dash-1"
CONFIG = f"""
server:
  api_keys: ["sha256:{hashlib.sha256(KEY.encode()).hexdigest()}"]
  default_max_tokens: 8
"""
AUTH = {"Authorization": "Bearer " + KEY}


@pytest.fixture(scope="module")
def srv(c12_san):
    s = Server(c12_san, CONFIG)
    yield s
    s.stop()


def get_json(srv, path, headers=AUTH):
    status, body = srv.get(path, headers=headers)
    return status, json.loads(body) if body else None


def test_page_and_files(srv):
    for path in ("/", "/dashboard", "/dashboard/"):
        status, body = srv.get(path)  # no key: the page holds no data
        assert status == 200 and "<title>C12 dashboard</title>" in body, (path, status)
    status, js = srv.get("/dashboard/app.js")
    assert status == 200 and "/dashboard/api/summary" in js
    status, lic = srv.get("/dashboard/vendor/uPlot.LICENSE")
    assert status == 200 and "MIT License" in lic
    status, body = srv.get("/dashboard/nosuch.js")
    assert status == 404 and error_of(body)["code"] == "not_found"
    status, body = srv.post("/dashboard", {})
    assert status == 405


def test_page_headers_and_etag(srv):
    import urllib.request
    with urllib.request.urlopen(srv.url + "/dashboard/vendor/uPlot.iife.min.js", timeout=30) as r:
        assert r.headers["Content-Type"].startswith("text/javascript")
        etag = r.headers["ETag"]
        size = len(r.read())
    assert size > 40000 and etag.startswith('"')
    req = urllib.request.Request(srv.url + "/", headers={"If-None-Match": "\"0\""})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"
    req = urllib.request.Request(srv.url + "/dashboard/vendor/uPlot.iife.min.js", headers={"If-None-Match": etag})
    try:
        urllib.request.urlopen(req, timeout=30)
        raise AssertionError("expected 304")
    except urllib.error.HTTPError as e:
        assert e.code == 304


def test_json_needs_the_key(srv):
    for path in ("grid", "status", "summary", "series", "decisions"):
        status, body = get_json(srv, "/dashboard/api/" + path, headers={})
        assert status == 401 and body["error"]["code"] == "invalid_api_key", path
        status, body = get_json(srv, "/dashboard/api/" + path)
        assert status == 200, (path, body)


def test_json_open_without_dashboard_auth(c12_san):
    s = Server(c12_san, CONFIG.replace("default_max_tokens", "dashboard_auth: false\n  default_max_tokens"))
    try:
        status, body = get_json(s, "/dashboard/api/status", headers={})
        assert status == 200 and body["object"] == "c12.status"
        status, _ = s.get("/v1/models")
        assert status == 401  # /v1 stays behind the key
    finally:
        s.stop()


@pytest.mark.parametrize("path", [
    "/dashboard/api/grid?hours_back=0", "/dashboard/api/grid?hours_ahead=49", "/dashboard/api/grid?window_h=x",
    "/dashboard/api/summary?since=yesterday", "/dashboard/api/series?step=5",
    "/dashboard/api/series?since=1h&until=2h", "/dashboard/api/decisions?limit=0",
    "/dashboard/api/decisions?limit=1001"])
def test_json_bad_arguments(srv, path):
    status, body = get_json(srv, path)
    assert status == 400, (path, body)
    assert body["error"]["type"] == "invalid_request_error" and body["error"]["message"], body


def test_grid_now_past_and_forecast(srv):
    status, g = get_json(srv, "/dashboard/api/grid")
    assert status == 200 and g["object"] == "c12.grid"
    now = time.time()
    assert g["now"]["provider"] == "trace" and g["now"]["value"] > 0 and g["now"]["unit"] == "gCO2eq/kWh"
    # the bundled trace is half-hourly: a day back and two ahead from the first minute
    hist, fc = g["history"]["points"], g["forecast"]["points"]
    assert len(hist) >= 46 and hist[0][0] >= now - 25 * 3600 and hist[-1][1] <= now + 1800, hist[:2]
    assert len(fc) >= 90 and fc[0][1] > now and fc[-1][0] <= now + 48 * 3600
    c = g["cleanest"]
    assert c["to"] - c["from"] == 3600 and fc[0][0] <= c["from"]
    assert min(p[2] for p in fc) <= c["mean"] <= max(p[2] for p in fc)
    assert [p["name"] for p in g["providers"]] == ["trace", "static"]
    status, g2 = get_json(srv, "/dashboard/api/grid?hours_back=2&hours_ahead=3&window_h=3")
    assert len(g2["history"]["points"]) <= 5 and len(g2["forecast"]["points"]) <= 7
    assert g2["cleanest"]["to"] - g2["cleanest"]["from"] == 3 * 3600


def test_status(srv):
    status, st = get_json(srv, "/dashboard/api/status")
    assert status == 200
    p = st["pool"]
    assert p["budget_bytes"] > 0 and p["used_bytes"] > 0
    (m,) = p["models"]
    assert m["id"] == "smollm2-135m" and m["state"] == "loaded" and m["default"] and m["slots"] >= 1
    # this server answers no chat: an empty ledger, nothing in flight but this call
    assert st["ledger"]["accepted"] == st["ledger"]["committed"] == st["ledger"]["queued"] == 0
    assert st["in_flight"] == 0 and st["started"] <= st["now"]
    assert st["sites"] == []  # no sites: every model runs here


# ---- in the browser ----

def _node_ready():
    return shutil.which("node") and (BROWSER / "node_modules" / "playwright-core").is_dir() \
        and pathlib.Path("/usr/bin/chromium").exists()


def _browse(srv, tmp, expect, key=KEY, sites=0, down=()):
    assert _node_ready(), "make deps installs chromium, node and tests/browser's playwright-core"
    env = dict(os.environ, C12_URL=srv.url, EXPECT_DECISIONS=str(expect), SHOT_DIR=str(tmp),
               EXPECT_SITES=str(sites), EXPECT_DOWN=",".join(down))
    if key:
        env["C12_KEY"] = key
    r = subprocess.run(["node", str(BROWSER / "dashboard.mjs")], env=env, capture_output=True, text=True,
                       timeout=180)
    out = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {}
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert out["console_errors"] == [] and out["page_errors"] == [] and out["failed_requests"] == [], out
    assert all(v in (200, 304) for v in out["statuses"].values()), out["statuses"]
    return out


def _ledger(srv):
    db = sqlite3.connect(srv.ledger)
    try:
        tot = db.execute("SELECT COUNT(*), SUM(status <> 'ok'), SUM(prompt_tokens), SUM(completion_tokens),"
                         " SUM(energy_j), SUM(co2_g) FROM requests").fetchone()
        rows = db.execute("SELECT request_id, model, route_reason, status, site FROM requests"
                          " ORDER BY time_ms DESC").fetchall()
    finally:
        db.close()
    return tot, rows


def _committed(srv, n, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        _, st = get_json(srv, "/dashboard/api/status")
        if st["ledger"]["committed"] >= n:
            return
        time.sleep(0.1)
    raise AssertionError("ledger rows not committed")


def test_page_against_the_ledger_in_chromium(c12, tmp_path):
    """The optimized binary with the whole catalogue, as `make run` serves:
    `auto` may route to any model, and the saving is against the real
    strongest one (the sanitizer binary runs the JSON tests above)."""
    s = Server(c12, CONFIG, catalogue=True)
    try:
        empty = _browse(s, tmp_path, 0)  # no traffic: an explained empty state, no errors
        assert empty["asked_for_key"] and empty["text"]["key_form_hidden"]
        # before the key: the one call that found out it was needed, as Chromium logs a 401
        assert len(empty["errors_before_key"]) == 1 and "401" in empty["errors_before_key"][0], empty
        assert empty["text"]["empty_hidden"] is False and empty["totals"]["total-requests"] == "0"
        assert empty["totals"]["grid-now"] and float(empty["totals"]["grid-now"]) > 0
        assert empty["sites"] == {"empty_hidden": False, "rows": []}  # no sites: said so

        client = openai.OpenAI(base_url=s.url + "/v1", api_key=KEY, max_retries=0, timeout=120)
        prompts = ["Say hello.", "def add(a, b):\n    return", "Name a colour."]
        ids = [client.chat.completions.create(model="auto", messages=[{"role": "user", "content": p}],
                                              max_tokens=6, user="dash-test").id for p in prompts]
        _committed(s, len(ids))
        out = _browse(s, tmp_path, len(ids))
        (n, errors, pt, ct, joules, grams), rows = _ledger(s)
        t = {k: float(v) for k, v in out["totals"].items() if v not in ("", None)}
        # the figures docs/dashboard.md and the closing notes quote (pytest -s shows them)
        print(f"dashboard: {n} requests, {pt} + {ct} tokens, {joules:.1f} J, {grams:.4f} g CO2e, "
              f"{t['g-per-1k']:.4f} g/1k tokens, saved {t.get('saved-g', float('nan')):.4f} g "
              f"({out['text']['saved_note']})")
        assert t["total-requests"] == n == len(ids) and t["total-errors"] == errors
        assert t["total-prompt"] == pt and t["total-output"] == ct and t["total-tokens"] == pt + ct
        assert abs(t["total-j"] - joules) <= 1e-6 * max(joules, 1) and joules > 0
        assert abs(t["total-g"] - grams) <= 1e-9 + 1e-6 * grams and grams > 0
        assert abs(t["g-per-1k"] - 1000 * grams / (pt + ct)) <= 1e-6 * t["g-per-1k"]
        assert "saved-g" in t and "vs always" in out["text"]["saved_note"], out["text"]
        assert out["text"]["empty_hidden"] is True
        # the decision list: newest first, the ledger's ids, models and routes
        assert [d["request_id"] for d in out["decisions"]] == [r[0] for r in rows] and set(ids) == {r[0] for r in rows}
        for d, (_, model, route, status, site) in zip(out["decisions"], rows):
            assert d["cells"][1] == model and d["cells"][3] == route and d["cells"][7] == status and route
            assert d["cells"][2] == site == "local"
        assert sum(int(r[1]) for r in out["by_model"]) == n and {r[0] for r in out["by_model"]} == {r[1] for r in rows}
        assert "loaded" in [p[1] for p in out["pool"]] and out["charts"] >= 3
        # with rows in them, the JSON the page read is what docs/openapi.yaml says
        for path, schema in [("grid", "DashGrid"), ("status", "DashStatus"), ("summary?since=all", "DashSummary"),
                             ("series?step=60", "DashSeries"), ("decisions", "DashDecisions")]:
            status, body = get_json(s, "/dashboard/api/" + path)
            assert status == 200
            validate(body, schema)
        _, series = get_json(s, "/dashboard/api/series?since=1h&step=60")
        assert sum(r["requests"] for r in series["by_model"]) == n == sum(r["requests"] for r in series["by_category"])
        assert out["phone_overflow"] <= 0, "the page is wider than a phone"
        for name in ("dashboard-light.png", "dashboard-dark.png", "dashboard-phone.png"):
            png = tmp_path / name
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20000, name
            if os.environ.get("C12_SCREENSHOTS"):
                shutil.copy(png, pathlib.Path(os.environ["C12_SCREENSHOTS"]) / name)
    finally:
        s.stop()


# ---- a gateway's sites ----

def _site(name, url, value, **kw):
    extra = "".join(f"    {k}: {v}\n" for k, v in kw.items())
    return (f"  {name}:\n    url: {url}/v1\n"
            f"    carbon: {{chain: [static], providers: {{static: {{value: {value}}}}}}}\n{extra}")


def _wait(cond, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


@pytest.fixture
def fleet_gateway(c12_san):
    """A gateway (no API keys) in front of two fake OpenAI sites: north
    (40 g/kWh, region FR, its queue exported) and south (450 g/kWh, down:
    its /v1/models fails, so it is marked optional)."""
    north, south = fake_openai.make_server(), fake_openai.make_server()
    north.queue, south.fault = 3, "down"
    north.start(), south.start()
    probe = dict(probe_interval_s=0.2, breaker_failures=1, breaker_backoff_s=30)
    cfg = ("server: {default_max_tokens: 8}\nsites:\n"
           + _site("north", north.url, 40, region="FR", max_concurrent=5, **probe)
           + _site("south", south.url, 450, optional="true", **probe)  # down at start: allowed
           + "models:\n  - id: tiny\n    sites: [north, south]\n    remote_model: fake-model\n")
    gw = Server(c12_san, cfg)
    try:
        yield gw, north, south
    finally:
        gw.stop()
        north.stop()
        south.stop()


def _sites(gw):
    status, st = get_json(gw, "/dashboard/api/status", headers={})
    assert status == 200, st
    return {s["name"]: s for s in st["sites"]}, st


def test_sites_in_the_status(fleet_gateway):
    gw, north, south = fleet_gateway
    client = openai.OpenAI(base_url=gw.url + "/v1", api_key="unused", max_retries=0, timeout=60)
    for _ in range(3):
        raw = client.chat.completions.with_raw_response.create(
            model="tiny", messages=[{"role": "user", "content": "Hi."}], max_tokens=3)
        assert raw.headers["x-c12-site"] == "north"
    # south's probe fails (its breaker opens); north's scrape finds its queue
    sites, st = _wait(lambda: (lambda s: s if s[0]["south"]["state"] == "open" and s[0]["north"]["queue"] == 3
                               else None)(_sites(gw)), 15, "south's breaker to open and north's queue")
    validate(st, "DashStatus")
    assert [s["name"] for s in st["sites"]] == ["north", "south"]  # the configuration's order
    n, s = sites["north"], sites["south"]
    assert n["host"] == north.url.split("//")[1] and n["region"] == "FR" and isinstance(s["region"], str)
    assert n["state"] == "closed" and n["reachable"] is True and n["up"] is True and n["cleanest"] is True
    assert s["reachable"] is False and s["up"] is False and s["cleanest"] is False
    assert n["in_flight"] == 0 and n["max_concurrent"] == 5 and n["requests"] == 3 and s["requests"] == 0
    assert n["intensity"] == 40 and n["intensity_provider"] == "static" and s["intensity"] == 450
    assert n["ttft_s"] > 0 and n["tokens_per_s"] > 0 and s["ttft_s"] is None and s["queue"] is None
    # today's figures are the ledger's, by site
    with sqlite3.connect(gw.ledger) as db:
        cnt, grams = db.execute("SELECT COUNT(*), SUM(co2_g) FROM requests WHERE site = 'north'").fetchone()
    assert n["requests_today"] == cnt == 3 and abs(n["co2_g_today"] - grams) <= 1e-9 + 1e-6 * grams and grams > 0
    assert s["requests_today"] == 0 and s["co2_g_today"] == 0
    # north goes down too: nothing is marked cleanest
    north.fault = "down"
    sites, _ = _wait(lambda: (lambda s: s if not s[0]["north"]["up"] else None)(_sites(gw)), 15, "north down")
    assert not any(x["cleanest"] for x in sites.values())


def test_sites_panel_in_chromium(fleet_gateway, tmp_path):
    gw, north, south = fleet_gateway
    client = openai.OpenAI(base_url=gw.url + "/v1", api_key="unused", max_retries=0, timeout=60)
    ids = [client.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "Hi."}],
                                          max_tokens=3).id for _ in range(2)]
    _committed(gw, len(ids))
    out = _browse(gw, tmp_path, len(ids), key=None, sites=2, down=["south"])
    rows = {r["site"]: r for r in out["sites"]["rows"]}
    assert out["sites"]["empty_hidden"] is True and list(rows) == ["north", "south"]
    n, s = rows["north"], rows["south"]
    assert n["up"] == "true" and n["cleanest"] == "true" and "★ cleanest" in n["cells"][0]
    assert s["up"] == "false" and s["cleanest"] == "false" and s["cells"][3].startswith("down"), s
    assert n["cells"][1] == "FR" and n["cells"][2] == north.url.split("//")[1] and n["cells"][3] == "up"
    assert n["cells"][4] == "0 / 5" and n["cells"][8] == "40 (static)" and n["cells"][9] == "2"
    assert s["cells"][8] == "450 (static)" and s["cells"][9] == "0"
    # the decision list names each request's site and its region
    assert {d["request_id"] for d in out["decisions"]} == set(ids)
    assert all(d["cells"][2] == "north (FR)" for d in out["decisions"]), out["decisions"]
    assert out["phone_overflow"] <= 0
