"""PostgreSQL restarted during traffic (issue 16, "Faults"): zero rows lost.
A real PostgreSQL 15 (pg_helpers.py), three clients asking without pause,
and in the middle `pg_ctl restart -m fast` twice (every session cut, the
server back at once) and the writer's own backend killed with
pg_terminate_backend. After the traffic: requests answered == rows in
PostgreSQL == rows the ledger accepted, each request's row exactly once,
nothing dropped. (test_ledger_postgres.py has the longer outage: stopped
4 s, then started.)"""
import collections
import json
import threading
import time

import pytest

from conftest import model_path
from pg_helpers import pg  # noqa: F401 (a fixture: the module's PostgreSQL server)
from server_helpers import Server

CONFIG = """
server: {default_max_tokens: 1}
models:
  - {id: smollm2-135m, source: smollm2-135m, threads: 1, context: 256}
carbon: {chain: [static], providers: {static: {value: 250}}}
cache: {enabled: false}
ledger: {store: postgresql, flush_ms: 50}
"""


def ask(srv, i):
    st, body = srv.post("/v1/chat/completions", {"model": "smollm2-135m", "max_tokens": 1,
                                                 "messages": [{"role": "user", "content": f"Say {i}."}]})
    return st, json.loads(body).get("id") if st == 200 else None


def client(srv, stop, ids, codes, lock, k):
    i = k
    while not stop.is_set():
        st, rid = ask(srv, i)
        with lock:
            codes[st] += 1
            if rid:
                ids.append(rid)
        i += 3


def ledger_status(srv):
    code, body = srv.get("/dashboard/api/status")
    assert code == 200, body
    return json.loads(body)["ledger"]


def metric(srv, name):
    code, body = srv.get("/metrics")
    return next(float(x.split()[1]) for x in body.splitlines() if x.startswith(name + " "))


def test_restarts_during_traffic_lose_no_row(c12, pg):
    if not model_path("smollm2-135m").exists():
        pytest.skip("smollm2-135m is not in the model cache; run: make models")
    db, dsn = pg.createdb()
    srv = Server(c12, CONFIG, ledger=False, env={"C12_LEDGER_DSN": dsn})
    stop, lock, ids, codes = threading.Event(), threading.Lock(), [], collections.Counter()
    threads = [threading.Thread(target=client, args=(srv, stop, ids, codes, lock, k)) for k in range(3)]
    try:
        for t in threads:
            t.start()
        time.sleep(1.5)
        pg.restart()
        time.sleep(1.5)
        pg.sql(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'c12'")
        time.sleep(1.5)
        pg.restart()
        time.sleep(1.5)
        stop.set()
        for t in threads:
            t.join(60)
        end = time.monotonic() + 60
        while time.monotonic() < end:
            st = ledger_status(srv)
            if st["queued"] == 0 and st["committed"] >= st["accepted"]:
                break
            time.sleep(0.1)
        dropped = metric(srv, "c12_ledger_rows_dropped_total")
        errors = metric(srv, "c12_ledger_commit_errors_total")
    finally:
        stop.set()
        err = srv.stop()
    rows = pg.sql(db, "SELECT request_id, count(*) FROM requests GROUP BY 1")
    per_id = {r[0]: int(r[1]) for r in rows}
    print(f"postgres restarts: {len(ids)} answered ({dict(codes)}), {len(per_id)} rows, accepted "
          f"{st['accepted']}, {errors:.0f} failed commits, {dropped:.0f} dropped")
    assert len(ids) > 10 and codes == {200: len(ids)}, codes  # every request answered
    assert set(per_id) == set(ids) and all(n == 1 for n in per_id.values())  # each row once, none lost
    assert len(ids) == st["accepted"] == st["committed"] and dropped == 0
    assert dsn.split("password=")[1] not in err
