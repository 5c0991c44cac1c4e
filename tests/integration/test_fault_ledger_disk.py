"""The SQLite ledger's disk full, or its folder read-only, while C12 serves
(issue 16, "Faults"): requests are still answered, their rows wait in the
bounded queue (`c12_ledger_queue_rows`) while the writer retries, and are
written when the store recovers; beyond the queue each row is counted as
dropped (`c12_ledger_rows_dropped_total`) and logged, never lost silently.
Every case counts: requests answered == rows in the ledger + rows dropped.

A 1 MiB tmpfs holds the ledger (full once a filler file takes the rest).
Read-only is the ledger's files made immutable (chattr +i), which fails the
writes of descriptors already open; a read-only bind mount does not (Linux
checks it at open), which the last test shows. All need root (mount,
chattr); without it the tests skip, saying so."""
import os
import pathlib
import sqlite3
import subprocess
import time

import pytest

from conftest import model_path
from server_helpers import Server

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounts a tmpfs and a read-only bind: needs root")

CONFIG = """server: {{default_max_tokens: 1}}
cache: {{enabled: false}}
carbon: {{chain: [static], providers: {{static: {{value: 200}}}}}}
ledger: {{flush_ms: 50, queue_cap: {cap}, batch_max: 16, block_ms: {block}}}
"""


def need_smollm():
    if not model_path("smollm2-135m").exists():
        pytest.skip("smollm2-135m is not in the model cache; run: make models")


def sh(*args):
    r = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, (args, r.stderr)


@pytest.fixture
def tmpfs(tmp_path):
    """A 1 MiB tmpfs, unmounted at the end whatever happened."""
    d = tmp_path / "mnt"
    d.mkdir()
    sh("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(d))
    try:
        yield d
    finally:
        subprocess.run(["umount", "-l", str(d)], timeout=30)


def fill(d):
    """Take every free byte of the file system: a filler file written until ENOSPC."""
    fd = os.open(d / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)


def metrics(srv):
    code, body = srv.get("/metrics")
    assert code == 200
    out = {}
    for line in body.splitlines():
        if line.startswith("c12_ledger_"):
            name, value = line.split()
            out[name] = float(value)
    return out


def ask(srv, i):
    st, body = srv.post("/v1/chat/completions", {"model": "smollm2-135m", "max_tokens": 1,
                                                 "messages": [{"role": "user", "content": f"Say {i}."}]})
    return st


def rows(db):
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return con.execute("SELECT count(*) FROM requests").fetchone()[0]
    finally:
        con.close()


def wait_until(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"{what}: not in {timeout} s")


def run_outage(c12, db, break_store, heal_store, n, cap=4096, block=100):
    """Serve n requests while the store is broken, heal it, wait for the
    writer; returns (answered, metrics while broken, metrics after, stderr)."""
    srv = Server(c12, CONFIG.format(cap=cap, block=block), ledger=db)
    try:
        assert ask(srv, 0) == 200  # the ledger works first: one row committed
        wait_until(lambda: metrics(srv).get("c12_ledger_rows_committed_total") == 1, 10, "first row")
        break_store()
        answered = 1 + sum(ask(srv, i) == 200 for i in range(1, n + 1))
        wait_until(lambda: metrics(srv)["c12_ledger_commit_errors_total"] >= 1, 20, "a failed commit")
        time.sleep(0.3)  # more retries fail meanwhile: nothing moves
        during = metrics(srv)
        heal_store()
        after = wait_until(lambda: (m := metrics(srv))["c12_ledger_queue_rows"] == 0 and m, 30,
                           "the held rows committed")
    finally:
        err = srv.stop()
    return answered, during, after, err


def test_disk_full_rows_wait_and_are_written_after(c12, tmpfs):
    need_smollm()
    db = tmpfs / "ledger.db"
    n = 12
    answered, during, after, err = run_outage(c12, db, lambda: fill(tmpfs), lambda: (tmpfs / "filler").unlink(), n)
    got = rows(db)
    print(f"disk full: {answered} answered; while full: {during}; after: {after}; {got} rows")
    assert answered == n + 1  # every request answered while the disk was full
    # every row of the outage held (in the queue or the writer's batch), none committed
    assert during["c12_ledger_queue_rows"] == answered - 1 and during["c12_ledger_rows_committed_total"] == 1
    assert after["c12_ledger_rows_dropped_total"] == 0
    assert got == answered == after["c12_ledger_rows_committed_total"]
    assert "ledger: the store failed" in err and "full" in err and "ledger: the store is back" in err, err


def chattr(flag, db):
    for f in (db, pathlib.Path(str(db) + "-wal")):
        sh("chattr", flag, str(f))


def test_read_only_rows_wait_and_are_written_after(c12, tmp_path):
    """The ledger's files made immutable (chattr +i: writes through the
    server's open descriptors fail with EPERM, as on a file system the
    kernel remounted read-only), then writable again."""
    need_smollm()
    db = tmp_path / "ledger.db"
    n = 12
    try:
        answered, during, after, err = run_outage(c12, db, lambda: chattr("+i", db), lambda: chattr("-i", db), n)
    finally:
        subprocess.run(["chattr", "-i", str(db), str(db) + "-wal"], capture_output=True, timeout=30)
    got = rows(db)
    print(f"read-only: {answered} answered; while read-only: {during}; after: {after}; {got} rows")
    assert answered == n + 1
    # every row of the outage held (in the queue or the writer's batch), none committed
    assert during["c12_ledger_queue_rows"] == answered - 1 and during["c12_ledger_rows_committed_total"] == 1
    assert got == answered == after["c12_ledger_rows_committed_total"]
    assert "ledger: the store failed" in err and "ledger: the store is back" in err, err


def test_read_only_bind_after_open_changes_nothing(c12, tmp_path):
    """A read-only bind mount over the ledger's folder once the server has
    the file open: Linux checks read-only at open, so the open ledger keeps
    committing (docs/ledger.md says so); every row is written."""
    need_smollm()
    d = tmp_path / "ro"
    d.mkdir()
    db = d / "ledger.db"
    srv = Server(c12, CONFIG.format(cap=4096, block=100), ledger=db)
    bound = False
    try:
        assert ask(srv, 0) == 200
        sh("mount", "--bind", str(d), str(d))
        bound = True
        sh("mount", "-o", "remount,ro,bind", str(d))
        with pytest.raises(OSError):
            (d / "probe").write_text("x")  # read-only indeed, for new files
        answered = 1 + sum(ask(srv, i) == 200 for i in range(1, 9))
        m = wait_until(lambda: (m := metrics(srv))["c12_ledger_rows_committed_total"] == answered and m, 20,
                       "rows committed")
        assert m["c12_ledger_commit_errors_total"] == 0
    finally:
        srv.stop()
        if bound:
            subprocess.run(["umount", "-l", str(d)], timeout=30)
    assert rows(db) == answered == 9


def test_beyond_the_queue_rows_are_counted_as_dropped(c12, tmpfs):
    """A queue of 4 rows (block_ms 20) and a full disk: the first rows wait,
    the rest are refused, each one counted and logged; accepted == written +
    dropped exactly."""
    need_smollm()
    db = tmpfs / "ledger.db"
    n = 16
    answered, during, after, err = run_outage(c12, db, lambda: fill(tmpfs), lambda: (tmpfs / "filler").unlink(),
                                              n, cap=4, block=20)
    got = rows(db)
    dropped = after["c12_ledger_rows_dropped_total"]
    print(f"beyond the queue: {answered} answered, {got} rows, {dropped:.0f} dropped; while full: {during}")
    assert answered == n + 1
    # the writer holds one batch (up to 4 rows) and the queue 4 more: the rest are dropped
    assert dropped >= n - 8 and during["c12_ledger_queue_rows"] <= 8
    assert during["c12_ledger_rows_accepted_total"] == 1 + during["c12_ledger_queue_rows"]
    assert got + dropped == answered
    assert err.count("ledger row not written") == dropped, err
