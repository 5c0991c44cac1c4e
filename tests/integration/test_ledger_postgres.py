"""The PostgreSQL ledger against a real PostgreSQL server (pg_helpers.py:
a throw-away one per module, a fresh database per test): rows from real
requests through the openai SDK, read back by SELECT, by the dashboard's
JSON and by `c12 report --ledger postgresql`; two `c12 serve` processes
writing one database at once; PostgreSQL stopped and started during a
stream of requests with no row lost (rows counted against the requests
answered); a wrong DSN, a newer schema and a `dsn:` key in the file as
clear errors at start, without the password; `c12 ledger migrate` from an
SQLite ledger, and an older schema upgraded."""
import json
import os
import threading
import time

import openai
import pytest

from conftest import model_path, run
from pg_helpers import pg  # noqa: F401 (a fixture: the module's PostgreSQL server)
from server_helpers import Server

CONFIG = """
server:
  default_max_tokens: 2
models:
  - {id: smollm2-135m, source: smollm2-135m, threads: 1, context: 256}
carbon:
  chain: [static]
  providers:
    static: {value: 250}
ledger: {store: postgresql, flush_ms: 50}
"""
TOTALS = "SELECT count(*), coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0) FROM requests"


@pytest.fixture
def smollm():
    if not model_path("smollm2-135m").exists():
        pytest.skip("smollm2-135m is not in the model cache; run: c12 models pull smollm2-135m")


def serve(binary, dsn, config=CONFIG):
    return Server(binary, config, ledger=False, env={"C12_LEDGER_DSN": dsn})


def env(dsn):
    return dict(os.environ, C12_LEDGER_DSN=dsn)


def ask(srv, text="Name a color."):
    return srv.post("/v1/chat/completions", {"model": "auto", "max_tokens": 2,
                                             "messages": [{"role": "user", "content": text}]})


def status(srv):
    code, body = srv.get("/dashboard/api/status")
    assert code == 200, body
    return json.loads(body)["ledger"]


def wait_committed(srv, timeout=60):
    """Until the ledger committed every row it accepted."""
    end = time.time() + timeout
    while time.time() < end:
        st = status(srv)
        if st["committed"] >= st["accepted"] and st["queued"] == 0:
            return st
        time.sleep(0.1)
    raise AssertionError(f"ledger rows not committed: {status(srv)}")


def test_rows_report_and_dashboard(c12_san, pg, smollm):
    db, dsn = pg.createdb()
    s = serve(c12_san, dsn)
    try:
        client = openai.OpenAI(base_url=s.url + "/v1", api_key="unused", max_retries=0, timeout=120)
        usage, ids = [], []
        for user in ("alice", "bob", "alice", None):
            kw = {"user": user} if user else {}
            r = client.chat.completions.create(model="auto", max_tokens=2, temperature=0,
                                               messages=[{"role": "user", "content": "Name a color."}], **kw)
            usage.append((r.usage.prompt_tokens, r.usage.completion_tokens))
            ids.append(r.id)
        wait_committed(s)
        n, pt, ct = (int(x) for x in pg.sql(db, TOTALS)[0])
        assert (n, pt, ct) == (4, sum(p for p, _ in usage), sum(c for _, c in usage))
        rows = pg.sql(db, "SELECT request_id, \"user\", status, intensity FROM requests ORDER BY time_ms DESC, id DESC")
        assert {r[0] for r in rows} == set(ids) and all(r[2] == "ok" and float(r[3]) == 250 for r in rows)
        # the dashboard reads the same rows through the server's reader
        code, body = s.get("/dashboard/api/summary?since=all")
        tot = json.loads(body)["totals"]
        assert code == 200 and (tot["requests"], tot["prompt_tokens"], tot["completion_tokens"]) == (n, pt, ct)
        code, body = s.get("/dashboard/api/decisions")
        assert [d["request_id"] for d in json.loads(body)["data"]] == [r[0] for r in rows]
        code, body = s.get("/dashboard/api/series?since=1h&step=60")
        assert sum(r["requests"] for r in json.loads(body)["by_model"]) == n
    finally:
        s.stop()  # SIGTERM: drained into PostgreSQL
    r = run([c12_san, "report", "--ledger", "postgresql", "--json"], env=env(dsn))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    energy, grams = (float(x) for x in pg.sql(db, "SELECT sum(energy_j), sum(co2_g) FROM requests")[0])
    assert (doc["totals"]["requests"], doc["totals"]["prompt_tokens"], doc["totals"]["completion_tokens"]) == (n, pt, ct)
    assert doc["totals"]["energy_j"] == pytest.approx(energy, rel=1e-9) and energy > 0
    assert doc["totals"]["co2_g"] == pytest.approx(grams, rel=1e-9) and grams > 0
    r = run([c12_san, "report", "--ledger", "postgresql", "--by", "user", "--csv"], env=env(dsn))
    by = {x.split(",")[1].strip('"'): int(x.split(",")[3]) for x in r.stdout.splitlines() if x.startswith("user,")}
    assert by == {"": 1, "alice": 2, "bob": 1}, r.stdout
    assert dsn.split("password=")[1] not in r.stdout + r.stderr


def traffic(srv, stop, counts, lock):
    while not stop.is_set():
        code, _ = ask(srv)
        with lock:
            counts[code] = counts.get(code, 0) + 1


def run_traffic(servers, per_server=2):
    stop, lock, counts = threading.Event(), threading.Lock(), {}
    threads = [threading.Thread(target=traffic, args=(s, stop, counts, lock)) for s in servers for _ in range(per_server)]
    for t in threads:
        t.start()
    return stop, threads, counts


def end_traffic(stop, threads):
    stop.set()
    for t in threads:
        t.join(180)


def test_two_servers_write_at_once_and_drain_on_sigterm(c12, pg, smollm):
    """Two servers on one database; a flush_ms of a minute keeps their rows
    queued until SIGTERM, which drains them into PostgreSQL."""
    db, dsn = pg.createdb()
    slow = CONFIG.replace("flush_ms: 50", "flush_ms: 60000, batch_max: 60000")
    servers = [serve(c12, dsn, slow), serve(c12, dsn, slow)]
    try:
        stop, threads, counts = run_traffic(servers)
        time.sleep(6)
        end_traffic(stop, threads)
        held = [status(s)["queued"] for s in servers]
        apps = pg.sql(db, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'c12'")
        assert int(apps[0][0]) >= 2  # each server's writer
    finally:
        for s in servers:
            s.stop()
    answered = sum(counts.values())
    n, ok = (int(x) for x in pg.sql(db, "SELECT count(*), count(*) FILTER (WHERE status = 'ok') FROM requests")[0])
    print(f"two servers: {answered} requests answered ({counts}), {held} rows queued at SIGTERM, {n} rows after")
    assert counts.get(200, 0) > 10 and all(h > 0 for h in held) and sum(held) == answered
    assert n == answered and ok == counts[200]


def metric(srv, name):
    code, body = srv.get("/metrics")
    line = [x for x in body.splitlines() if x.startswith(name + " ")]
    return float(line[0].split()[1]) if line else None


def test_restart_during_traffic_loses_no_row(c12, pg, smollm):
    """pg_ctl stop -m fast, 4 s down, start, while two clients keep asking:
    every request is answered, its row waits in the queue and is committed
    when PostgreSQL is back."""
    db, dsn = pg.createdb()
    s = serve(c12, dsn)
    try:
        stop, threads, counts = run_traffic([s])
        time.sleep(2)
        pg.stop()
        before = sum(counts.values())
        time.sleep(4)
        during = sum(counts.values()) - before
        queued = status(s)["queued"]
        pg.start()
        time.sleep(3)
        end_traffic(stop, threads)
        st = wait_committed(s)
        errors = metric(s, "c12_ledger_commit_errors_total")
        dropped = metric(s, "c12_ledger_rows_dropped_total")
    finally:
        err = s.stop()
    answered = sum(counts.values())
    n, ok = (int(x) for x in pg.sql(db, "SELECT count(*), count(*) FILTER (WHERE status = 'ok') FROM requests")[0])
    print(f"restart: {answered} requests answered ({counts}), {during} while PostgreSQL was down "
          f"({queued} rows queued then), {n} rows committed, {errors:.0f} failed commits, {dropped:.0f} dropped")
    assert during > 0 and queued > 0, "no request while PostgreSQL was down"
    assert n == answered == st["accepted"] and ok == counts.get(200, 0) and dropped == 0
    assert errors >= 1
    assert "ledger: the store failed" in err and "ledger: the store is back" in err, err
    assert dsn.split("password=")[1] not in err


def start_fails(binary, config, environ, tmp_path):
    cfg = tmp_path / "c12.yaml"
    cfg.write_text(config)
    r = run([binary, "serve", "--config", str(cfg), "--listen", "127.0.0.1:0"], env=environ, timeout=120)
    assert r.returncode != 0 and "listening" not in r.stdout, (r.stdout, r.stderr)
    assert "AddressSanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr
    return r.stderr


def test_wrong_dsn_is_a_clear_error_at_start(c12_san, pg, tmp_path):
    db, dsn = pg.createdb()
    secret = dsn.split("password=")[1]
    wrong = dsn.replace(secret, "Wr0ng-s3cret")
    err = start_fails(c12_san, CONFIG, env(wrong), tmp_path)
    assert "ledger postgresql (host=127.0.0.1" in err and "password authentication failed" in err, err
    assert "Wr0ng-s3cret" not in err
    err = start_fails(c12_san, CONFIG, env(f"postgresql://c12:Wr0ng-s3cret@127.0.0.1:1/{db}"), tmp_path)
    assert "cannot connect" in err and "port=1" in err and "Wr0ng-s3cret" not in err, err
    err = start_fails(c12_san, CONFIG, env("host=127.0.0.1 password=Wr0ng-s3cret nonsense"), tmp_path)
    assert "not valid" in err and "Wr0ng-s3cret" not in err, err
    err = start_fails(c12_san, CONFIG, {k: v for k, v in os.environ.items() if k != "C12_LEDGER_DSN"}, tmp_path)
    assert "$C12_LEDGER_DSN is not set" in err, err
    err = start_fails(c12_san, CONFIG.replace("flush_ms: 50", f"dsn: '{dsn}'"), env(dsn), tmp_path)
    assert "ledger.dsn" in err and "environment" in err and secret not in err, err
    # a ledger a newer c12 wrote is refused, not altered
    assert run([c12_san, "ledger", "add-test-rows", "--ledger", "postgresql", "--n", "1"], env=env(dsn)).returncode == 0
    pg.sql(db, "INSERT INTO schema_version VALUES (99, 0)")
    err = start_fails(c12_san, CONFIG, env(dsn), tmp_path)
    assert "schema version 99 is newer than this c12 knows" in err, err


def test_migrate_from_sqlite(c12_san, pg, tmp_path):
    db, dsn = pg.createdb()
    lite = tmp_path / "ledger.db"
    r = run([c12_san, "report", "--ledger", "postgresql"], env=env(dsn))
    assert r.returncode == 1 and "no ledger in this database yet" in r.stderr, r.stderr
    assert run([c12_san, "ledger", "add-test-rows", "--db", str(lite), "--n", "300"]).returncode == 0
    r = run([c12_san, "ledger", "migrate", "--from", f"sqlite:{lite}", "--to", "postgresql"], env=env(dsn))
    assert r.returncode == 0 and "copied 300 requests" in r.stdout, r.stderr
    for by in ("model", "category", "key", "user", "day", "hour"):
        a = run([c12_san, "report", "--db", str(lite), "--by", by, "--csv"])
        b = run([c12_san, "report", "--ledger", "postgresql", "--by", by, "--csv"], env=env(dsn))
        assert a.returncode == b.returncode == 0 and a.stdout == b.stdout, (by, a.stdout, b.stdout)
    r = run([c12_san, "ledger", "migrate", "--from", f"sqlite:{lite}", "--to", "postgresql"], env=env(dsn))
    assert r.returncode == 1 and "already holds 300 requests" in r.stderr, r.stderr
    # an older schema (before the writer's batch ids, the cache columns, the Batch API's batch_id
    # the directive column and the site columns) is upgraded at the next start
    pg.sql(db, "DROP TABLE ledger_batches; ALTER TABLE requests DROP COLUMN cached, DROP COLUMN saved_energy_j,"
           " DROP COLUMN saved_co2_g, DROP COLUMN batch_id, DROP COLUMN directive, DROP COLUMN site,"
           " DROP COLUMN site_region; DELETE FROM schema_version WHERE version >= 3")
    r = run([c12_san, "ledger", "add-test-rows", "--ledger", "postgresql", "--n", "10"], env=env(dsn))
    assert r.returncode == 0, r.stderr
    assert pg.sql(db, "SELECT max(version), count(*) FROM schema_version") == [("7", "7")]
    r = run([c12_san, "ledger", "info", "--ledger", "postgresql"], env=env(dsn))
    assert r.returncode == 0 and "310 requests" in r.stdout, r.stdout
