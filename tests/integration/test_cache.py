"""The response cache against `c12 serve` (sanitizer binary, the default
model) with the openai SDK: a repeated temperature-0 request is a hit with
the same content, plain and streamed; its ledger row is marked cached with
the energy it saved; x-c12-cache: no and cache-control: no-cache bypass;
another API key misses unless the cache is shared; a sampled request
without a seed is never cached; /metrics counts it all."""
import json
import sqlite3
import time

import openai
import pytest

from conftest import run
from server_helpers import Server

KEYS = {"C12_TEST_K1": "sk-one", "C12_TEST_K2": "sk-two"}
CONFIG = """server: {{default_max_tokens: 8, api_keys: ["env:C12_TEST_K1", "env:C12_TEST_K2"]}}
ledger: {{flush_ms: 50}}
cache: {{enabled: true, shared: {shared}}}
"""


def start(c12_san, shared):
    return Server(c12_san, CONFIG.format(shared="true" if shared else "false"), env=KEYS)


@pytest.fixture(scope="module")
def srv(c12_san):
    s = start(c12_san, False)
    yield s
    s.stop()


def client(srv, key="sk-one"):
    return openai.OpenAI(base_url=srv.url + "/v1", api_key=key, max_retries=0, timeout=300)


def ask(c, content, headers=None, **kw):
    kw = {"temperature": 0, "max_tokens": 8, **kw}
    raw = c.chat.completions.with_raw_response.create(model="smollm2-135m", extra_headers=headers or {},
                                                      messages=[{"role": "user", "content": content}], **kw)
    return raw.headers.get("x-c12-cache"), raw.parse()


def rows(srv, request_ids):
    want = set(request_ids)
    for _ in range(100):
        with sqlite3.connect(srv.ledger) as db:
            got = db.execute("SELECT request_id, cached, energy_j, energy_method, saved_energy_j, saved_co2_g, "
                             "completion_tokens FROM requests").fetchall()
        found = {r[0]: r for r in got if r[0] in want}
        if len(found) == len(want):
            return found
        time.sleep(0.1)
    raise AssertionError(f"rows {want} not in the ledger")


def test_hit_plain(srv):
    c = client(srv)
    h1, a = ask(c, "Name a fruit.")
    h2, b = ask(c, "Name a fruit.")
    assert (h1, h2) == ("miss", "hit")
    assert a.choices[0].message.content == b.choices[0].message.content
    assert a.choices[0].finish_reason == b.choices[0].finish_reason
    assert a.usage.completion_tokens == b.usage.completion_tokens
    r = rows(srv, [a.id, b.id])
    assert r[a.id][1] == 0 and r[a.id][2] > 0 and r[a.id][4] == 0
    assert r[b.id][1] == 1 and r[b.id][2] == 0 and r[b.id][3] == "cache"
    assert r[b.id][4] == pytest.approx(r[a.id][2]) and r[b.id][5] > 0
    assert r[b.id][6] == r[a.id][6]


def test_hit_streamed(srv):
    c = client(srv)
    _, a = ask(c, "Name a river.")
    raw = c.chat.completions.with_raw_response.create(
        model="smollm2-135m", temperature=0, max_tokens=8, stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "Name a river."}])
    assert raw.headers.get("x-c12-cache") == "hit"
    chunks = list(raw.parse())
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text == a.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].usage.completion_tokens == a.usage.completion_tokens


def test_bypass(srv):
    c = client(srv)
    ask(c, "Name a bird.")
    assert ask(c, "Name a bird.", {"x-c12-cache": "no"})[0] == "bypass"
    assert ask(c, "Name a bird.", {"cache-control": "no-cache"})[0] == "bypass"
    assert ask(c, "Name a bird.")[0] == "hit"


def test_not_deterministic(srv):
    c = client(srv)
    assert ask(c, "Name a tree.", temperature=0.7)[0] is None
    assert ask(c, "Name a tree.", temperature=0.7)[0] is None
    assert ask(c, "Name a tree.", temperature=0.7, seed=5)[0] == "miss"
    assert ask(c, "Name a tree.", temperature=0.7, seed=5)[0] == "hit"
    assert ask(c, "Name a tree.", temperature=0.7, seed=6)[0] == "miss"


def test_parameters_and_keys(srv):
    one, two = client(srv), client(srv, "sk-two")
    ask(one, "Name a city.")
    assert ask(one, "Name a city.", max_tokens=7)[0] == "miss"
    assert ask(two, "Name a city.")[0] == "miss"
    assert ask(two, "Name a city.")[0] == "hit"


def test_shared(c12_san):
    s = start(c12_san, True)
    try:
        assert ask(client(s), "Name a sea.")[0] == "miss"
        assert ask(client(s, "sk-two"), "Name a sea.")[0] == "hit"
    finally:
        s.stop()


def test_metrics(srv):
    c = client(srv)
    ask(c, "Name a planet.")
    ask(c, "Name a planet.")
    ask(c, "Name a planet.", {"x-c12-cache": "no"})
    status, text = srv.request("GET", "/metrics", headers={"Authorization": "Bearer sk-one"})
    assert status == 200
    samples = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines() if line and line[0] != "#"}
    for result in ("hit", "miss", "bypass"):
        assert samples[f'c12_cache_requests_total{{result="{result}"}}'] >= 1
    assert samples["c12_cache_entries"] >= 1 and samples["c12_cache_bytes"] >= 1
    assert samples['c12_co2_avoided_by_cache_grams_total{model="smollm2-135m"}'] > 0


def test_report_counts_hits(srv, c12_san):
    c = client(srv)
    _, a = ask(c, "Name a planet.")
    _, b = ask(c, "Name a planet.")
    r = rows(srv, [a.id, b.id])
    with sqlite3.connect(srv.ledger) as db:
        cached, saved = db.execute("SELECT SUM(cached), SUM(saved_co2_g) FROM requests").fetchone()
    assert cached >= 1 and r[b.id][1] == 1
    out = run([c12_san, "report", "--db", srv.ledger, "--json"])
    assert out.returncode == 0, out.stderr
    t = json.loads(out.stdout)["totals"]
    assert t["cached"] == cached and t["cache_saved_co2_g"] == pytest.approx(saved)
    text = run([c12_san, "report", "--db", srv.ledger]).stdout
    assert f"{cached} answered from the response cache" in text, text
    csv = run([c12_san, "report", "--db", srv.ledger, "--csv"]).stdout.splitlines()
    head, total = csv[0].split(","), csv[1].split(",")
    assert head[-2:] == ["cached", "cache_saved_co2_g"] and int(total[-2]) == cached
    # the dashboard's summary is the same document
    status, body = srv.get("/dashboard/api/summary?since=all", headers={"Authorization": "Bearer sk-one"})
    assert status == 200 and json.loads(body)["totals"]["cached"] == cached
