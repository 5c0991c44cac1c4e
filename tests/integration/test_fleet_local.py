"""`local` beside other sites (issue 15): a gateway whose smollm2-135m is
served by `sites: [local, south]`, south a real `c12 serve` on 127.0.0.1.
The fleet ranks this process as one more site, priced at the gateway's own
carbon: requests stay here when this grid is the cleaner, go to south when
south's is, and come back here when south is down (a failure before the
first token moves on), loading the model here only then. The ledger names
the site. The gateway is the
sanitizer binary; south runs the optimized one."""
import sqlite3
import time

import pytest

from server_helpers import Server, need_models
from test_fleet import client, ledger_rows, site

SMOL = "smollm2-135m"
MSG = [{"role": "user", "content": "Say hello."}]
NO_CACHE = {"x-c12-cache": "no"}  # each request generated (a cached answer names no site)


def gateway(binary, here, south_url, south):
    return (f"carbon: {{chain: [static], providers: {{static: {{value: {here}}}}}}}\n"
            "ledger: {flush_ms: 50}\n"
            "sites:\n" + site("south", south_url, south) +
            f"models:\n  - id: {SMOL}\n    source: {SMOL}\n    sites: [local, south]\n")


@pytest.fixture
def south(c12):
    need_models(SMOL)
    s = Server(c12, "server: {default_max_tokens: 8}\nledger: {flush_ms: 50}\n")
    yield s
    if not s.stderr_file.closed:  # a test may have stopped it
        s.stop()


def ask(gw, n=2):
    out = []
    for _ in range(n):
        raw = client(gw).chat.completions.with_raw_response.create(model=SMOL, messages=MSG, max_tokens=4,
                                                                   extra_headers=NO_CACHE)
        out.append((raw.headers["x-c12-site"], raw.headers["x-c12-route"], raw.parse()))
    return out


def test_local_when_it_is_the_cleaner(c12_san, south):
    gw = Server(c12_san, gateway(c12_san, 40, south.url, 450))
    try:
        got = ask(gw)
        assert [g[0] for g in got] == ["local", "local"], got
        assert "site local: 40 g/kWh" in got[0][1] and "south: 450 g/kWh" in got[0][1], got[0][1]
        assert got[0][2].choices[0].message.content
        # streamed too
        with client(gw).chat.completions.with_streaming_response.create(
                model=SMOL, messages=MSG, max_tokens=4, stream=True, extra_headers=NO_CACHE) as r:
            assert r.headers["x-c12-site"] == "local"
            assert "data: [DONE]" in r.text()
        rows = ledger_rows(gw, 3)
        assert [r["site"] for r in rows] == ["local"] * 3 and all(r["status"] == "ok" for r in rows)
        assert all(r["intensity"] == 40 for r in rows)
        time.sleep(0.3)  # south's ledger flushes every 50 ms: it served nothing
        with sqlite3.connect(south.ledger) as db:
            assert db.execute("SELECT count(*) FROM requests").fetchone()[0] == 0
    finally:
        gw.stop()


def test_south_when_it_is_the_cleaner_and_local_when_it_is_down(c12_san, south):
    gw = Server(c12_san, gateway(c12_san, 450, south.url, 40))
    try:
        got = ask(gw)
        assert [g[0] for g in got] == ["south", "south"], got
        assert "site south: 40 g/kWh" in got[0][1] and "local: 450 g/kWh" in got[0][1], got[0][1]
        rows = ledger_rows(gw, 2)
        with sqlite3.connect(south.ledger) as db:  # south's own rows: the two it served
            assert db.execute("SELECT count(*) FROM requests").fetchone()[0] >= 1
        assert [r["site"] for r in rows] == ["south", "south"] and all(r["intensity"] == 40 for r in rows)
        # the model is loaded here only once a request goes local
        assert "c12 pool: loaded smollm2-135m" not in gw.stderr()
        south.stop()
        # south refuses connections now: each request moves on to local before its first token
        got = ask(gw, 3)
        assert [g[0] for g in got] == ["local"] * 3, got
        assert all(g[2].choices[0].message.content for g in got)
        assert any("failed first: south" in g[1] for g in got), [g[1] for g in got]
        rows = ledger_rows(gw, 5)
        assert [r["site"] for r in rows[2:]] == ["local"] * 3 and all(r["status"] == "ok" for r in rows)
        assert all(r["intensity"] == 450 for r in rows[2:])  # priced at this process's grid
        assert gw.stderr().count("c12 pool: loaded smollm2-135m") == 1  # once, by the first local request
        assert "with 1 slot)" in gw.stderr()  # the engine's slots are `slots` (1), not the pool's 17
        assert "ERROR: AddressSanitizer" not in gw.stderr()
    finally:
        gw.stop()
