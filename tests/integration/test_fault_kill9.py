"""kill -9 during traffic, then a restart on the same ledger (optimized
binary, SQLite): the database passes PRAGMA integrity_check, the restart
succeeds and appends, and the only rows missing are of requests answered in
the last flush interval before the kill (docs/ledger.md, "Crash": at most
`flush_ms` worth, plus the batch being committed at that moment)."""
import json
import signal
import sqlite3
import threading
import time
import urllib.request

from server_helpers import Server

FLUSH_MS = 200
# What the bound allows past flush_ms: the commit in flight (an fsync) and
# the scheduling of a loaded 2-core machine.
SLACK_MS = 800
CONFIG = f"""
server: {{default_max_tokens: 2}}
ledger: {{flush_ms: {FLUSH_MS}}}
cache: {{enabled: false}}
"""


def ask(url, i):
    body = json.dumps({"model": "smollm2-135m", "max_tokens": 2,
                       "messages": [{"role": "user", "content": f"Say {i}."}]}).encode()
    req = urllib.request.Request(url + "/v1/chat/completions", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())["id"]


def traffic(url, answered, stop, n0):
    i = n0
    while not stop.is_set():
        try:
            rid = ask(url, i)
        except OSError:
            return  # the server is gone
        answered.append((rid, time.monotonic()))
        i += 2


def ledger_ids(db):
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {r[0] for r in con.execute("SELECT request_id FROM requests")}
    finally:
        con.close()


def test_kill9_then_restart(c12, tmp_path):
    db = tmp_path / "ledger.db"
    srv = Server(c12, CONFIG, ledger=db)
    answered, stop = [], threading.Event()
    clients = [threading.Thread(target=traffic, args=(srv.url, answered, stop, k)) for k in range(2)]
    for t in clients:
        t.start()
    time.sleep(3)
    srv.proc.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    srv.proc.wait(10)
    stop.set()
    for t in clients:
        t.join(40)
    srv.stderr_file.close()
    srv.proc.stdout.close()
    assert len(answered) >= 10, "too little traffic to mean anything"

    rows = ledger_ids(db)
    missing = [(rid, killed - at) for rid, at in answered if rid not in rows]
    print(f"kill -9: {len(answered)} answered, {len(rows)} rows, {len(missing)} missing, "
          f"answered within {max((a for _, a in missing), default=0) * 1000:.0f} ms of the kill")
    assert all(age * 1000 <= FLUSH_MS + SLACK_MS for _, age in missing), missing
    # a row may be of a request whose answer the kill cut off: one per client at most
    assert len(rows - {rid for rid, _ in answered}) <= len(clients)

    again = Server(c12, CONFIG, ledger=db)  # the same ledger: opens, migrates nothing, appends
    try:
        rid = ask(again.url, 99)
    finally:
        again.stop()
    after = ledger_ids(db)
    assert after == rows | {rid}
    srv.tmp.cleanup()
