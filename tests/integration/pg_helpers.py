"""A throw-away PostgreSQL server for the integration tests, through
scripts/pg_scratch.sh (Debian's `postgresql`: initdb as an unprivileged
user, a free port on 127.0.0.1, password authentication): a fresh database
per test, SQL as the superuser, stop and start (a restart), and at the end
stopped and removed. Every wait is bounded."""
import shutil
import subprocess
import tempfile

import pytest

from conftest import ROOT

SCRIPT = str(ROOT / "scripts" / "pg_scratch.sh")


class Postgres:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="c12-pg-", dir="/tmp")  # nobody can reach /tmp/...
        self.n_dbs = 0
        self.running = False
        self.start()

    def _run(self, cmd, *args, timeout=90):
        r = subprocess.run([SCRIPT, cmd, self.dir, *args], capture_output=True, text=True, timeout=timeout)
        assert r.returncode == 0, (cmd, r.stdout, r.stderr)
        return r.stdout

    def start(self):
        self._run("start")
        self.running = True

    def stop(self):
        """pg_ctl stop -m fast: every session is cut, as by a restart."""
        self._run("stop")
        self.running = False

    def restart(self):
        """pg_ctl restart -m fast: every session cut, the server back at once."""
        self._run("restart")
        self.running = True

    def createdb(self):
        """A new database: its name and its DSN (with the password)."""
        self.n_dbs += 1
        name = f"t{self.n_dbs}"
        return name, self._run("createdb", name).strip()

    def sql(self, db, sql):
        """The rows of sql as tuples of text."""
        out = self._run("psql", db, sql)
        return [tuple(line.split("|")) for line in out.splitlines() if line]

    def close(self):
        try:
            if self.running:
                self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def pg():
    """A scratch PostgreSQL server for a test module (imported there as a fixture)."""
    p = Postgres()
    try:
        yield p
    finally:
        p.close()
