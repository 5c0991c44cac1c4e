"""Every carbon provider down, slow past its timeout, or answering garbage
while `c12 serve` answers requests (issue 16, "Faults"), on the sanitized
binary, against the fakes of the three APIs on 127.0.0.1: requests keep
being answered, priced by the next provider of the chain and at last by the
documented default (152 gCO2e/kWh, provider `default`); /metrics shows the
failures (`c12_carbon_provider_errors_total`) and who priced the requests
(`c12_requests_by_carbon_provider_total`); the first provider that recovers
prices again. Counted: requests answered == ledger rows, per provider."""
import json
import socket
import sqlite3
import time

from carbon_helpers import EM_KEY, WT_PASSWORD, WT_USER, fakes, write_config  # noqa: F401
from conftest import model_path
from server_helpers import Server

import pytest

DEFAULT_G = 152.0


def dead_url():
    """A 127.0.0.1 port nobody listens on: connection refused."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


def ask(srv, i):
    st, body = srv.post("/v1/chat/completions", {"model": "smollm2-135m", "max_tokens": 1,
                                                 "messages": [{"role": "user", "content": f"Say {i}."}]})
    assert st == 200, body
    c = json.loads(body)["usage"]["c12"]
    return c["carbon_provider"], c["carbon_intensity"]


def scrape(srv):
    code, body = srv.get("/metrics")
    assert code == 200
    out = {}
    for line in body.splitlines():
        for fam in ("c12_carbon_provider_errors_total", "c12_requests_by_carbon_provider_total"):
            if line.startswith(fam + '{provider="'):
                out[(fam, line.split('"')[1])] = float(line.split()[1])
    return out


def until_priced_by(srv, provider, asked, timeout=15):
    """Ask until a request is priced by `provider` (the chain moves as
    readings go stale); every answer on the way is counted in `asked`."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = ask(srv, len(asked))
        asked.append(got)
        if got[0] == provider:
            return got
        time.sleep(0.2)
    raise AssertionError(f"never priced by {provider}: {asked[-5:]}")


def test_providers_fail_one_by_one_requests_keep_their_price(c12_san, fakes, tmp_path):  # noqa: F811
    if not model_path("smollm2-135m").exists():
        pytest.skip("smollm2-135m is not in the model cache; run: make models")
    fakes.wt.slow_s = fakes.uk.slow_s = 2.0
    carbon = write_config(tmp_path / "carbon.yaml", fakes, ["em", "wt", "uk"], ttl=0.3, staleness=1,
                          timeout_ms=300, backoff=(0.1, 0.2))
    text = open(carbon).read().replace(fakes.em.url, dead_url())  # em: connection refused from the start
    text += "server: {default_max_tokens: 1}\ncache: {enabled: false}\n"
    db = tmp_path / "ledger.db"
    srv = Server(c12_san, text, ledger=db,
                 env={"C12_TEST_EM_KEY": EM_KEY, "C12_TEST_WT_USER": WT_USER, "C12_TEST_WT_PASSWORD": WT_PASSWORD})
    asked = []
    try:
        prov, g = until_priced_by(srv, "wt", asked)  # em refused: the next one
        fakes.wt.fault = "slow"  # past its 300 ms timeout
        until_priced_by(srv, "uk", asked)
        fakes.uk.fault = "garbage"  # 200 with an HTML page and binary junk
        prov, g = until_priced_by(srv, "default", asked)
        assert g == DEFAULT_G
        for _ in range(3):
            asked.append(ask(srv, len(asked)))
        assert asked[-1] == ("default", DEFAULT_G)
        m = scrape(srv)
        for p in ("em", "wt", "uk"):
            assert m[("c12_carbon_provider_errors_total", p)] >= 1, m
        fakes.uk.fault = None  # the first to recover prices again
        until_priced_by(srv, "uk", asked)
        m = scrape(srv)
    finally:
        err = srv.stop()
    by = {}
    for p, _ in asked:
        by[p] = by.get(p, 0) + 1
    print(f"carbon faults: {len(asked)} answered, by provider {by}; metrics {m}")
    assert {p: m[("c12_requests_by_carbon_provider_total", p)] for p in by} == by
    assert ("c12_requests_by_carbon_provider_total", "em") not in m  # refused all along: never priced one
    con = sqlite3.connect(db)
    rows = dict(con.execute("SELECT intensity_provider, count(*) FROM requests GROUP BY 1").fetchall())
    defaults = con.execute("SELECT count(*) FROM requests WHERE intensity_provider = 'default' "
                           "AND intensity = ?", (DEFAULT_G,)).fetchone()[0]
    con.close()
    assert rows == by and defaults == by["default"], rows
    for secret in (EM_KEY, WT_PASSWORD):
        assert secret not in err
