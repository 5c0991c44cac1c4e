"""Batches in PostgreSQL when the ledger is there (pg_helpers.py: a
throw-away server, a fresh database per test), through the official openai
SDK on real `c12 serve` processes (smollm2-135m): a batch submitted to one
gateway, that gateway stopped (SIGTERM) in the middle of it, then two
gateways on the same database: both see the same files and batches, the
batch resumes on exactly one of them, and its output file answers every
line exactly once, in the file's order; the database's rows agree, and
`c12 report --ledger postgresql` reads the batch's figures from there."""
import json
import os
import time

from pg_helpers import pg  # noqa: F401 (a fixture: the module's PostgreSQL server)
from server_helpers import Server
from test_batch import client, line, results, upload, wait_final
from conftest import run
from test_server_route import need

CONFIG = """
carbon: {chain: [static], providers: {static: {value: 200}}}
ledger: {store: postgresql, flush_ms: 50}
batch: {tick_s: 0.2}
"""
N = 8


def serve(binary, dsn):
    return Server(binary, CONFIG, ledger=False, env={"C12_LEDGER_DSN": dsn})


def test_restart_and_a_second_gateway_share_the_batch(c12_san, pg):
    need("smollm2-135m")
    db, dsn = pg.createdb()
    s = serve(c12_san, dsn)
    try:
        assert "batches in the ledger's PostgreSQL database" in s.stderr()
        c = client(s)
        f = upload(c, [line(i, max_tokens=8) for i in range(N)])
        b = c.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions", completion_window="24h")
        t0 = time.monotonic()
        while c.batches.retrieve(b.id).request_counts.completed < 1 and time.monotonic() - t0 < 60:
            time.sleep(0.1)
    finally:
        s.stop()
    answered = int(pg.sql(db, f"SELECT count(*) FROM batch_lines WHERE batch_id = '{b.id}' AND state <> 0")[0][0])
    rows = f"SELECT count(*) FROM requests WHERE batch_id = '{b.id}'"
    before = int(pg.sql(db, rows)[0][0])  # SIGTERM drained the ledger: a line cut by it ran, and counts here
    assert 1 <= answered < N, answered  # stopped in the middle
    a, other = serve(c12_san, dsn), serve(c12_san, dsn)
    try:
        ca, co = client(a), client(other)
        # the second gateway never saw the upload: its folder is its own, the database is shared
        assert co.files.retrieve(f.id).bytes == f.bytes
        assert co.files.content(f.id).text == ca.files.content(f.id).text
        assert b.id in [x.id for x in co.batches.list()]
        done = wait_final(ca, b.id)
        assert done.status == "completed" and done.request_counts.completed == N, done
        seen = co.batches.retrieve(b.id)
        assert seen.status == "completed" and seen.output_file_id == done.output_file_id
        out = results(co, done.output_file_id)
        assert [r["custom_id"] for r in out] == [f"req-{i}" for i in range(N)]  # each once, in order
        assert all(r["response"]["status_code"] == 200 for r in out)
        # one output file: the batch was finalized by one gateway only
        outputs = pg.sql(db, "SELECT count(*) FROM batch_files WHERE purpose = 'batch_output'")
        assert outputs == [("1",)]
        assert pg.sql(db, f"SELECT count(*) FROM batch_lines WHERE batch_id = '{b.id}' AND state = 1") == [(str(N),)]
    finally:
        a.stop()
        other.stop()
    # every line left ran once, on one of the two gateways (their ledgers drained by SIGTERM)
    assert int(pg.sql(db, rows)[0][0]) - before == N - answered
    r = run([c12_san, "report", "--ledger", "postgresql", "--json"], env=dict(os.environ, C12_LEDGER_DSN=dsn))
    assert r.returncode == 0, r.stderr
    batches = json.loads(r.stdout)["batches"]
    assert batches["by_status"] == {"completed": 1} and batches["lines_pending"] == 0, batches
