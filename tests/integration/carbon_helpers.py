"""Helpers for the carbon integration tests: the three provider fakes on
free 127.0.0.1 ports, configs that point C12 at them, and a reader for
`c12 carbon watch --json`, whose lines show the live chain. Every process
and wait here is bounded in time."""
import json
import os
import pathlib
import queue
import secrets
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent / "fakes"))
import fake_electricitymaps  # noqa: E402
import fake_ukgrid  # noqa: E402
import fake_watttime  # noqa: E402

# Random per run, so a leak cannot hide behind a well-known string.
EM_KEY = "emkey-" + secrets.token_hex(12)
WT_USER = "c12test"
WT_PASSWORD = "wtpass-" + secrets.token_hex(12)
LBS_TO_G = 0.45359237


@pytest.fixture
def fakes():
    em = fake_electricitymaps.make_server(key=EM_KEY).start()
    wt = fake_watttime.make_server(user=WT_USER, password=WT_PASSWORD).start()
    uk = fake_ukgrid.make_server().start()
    yield SimpleNamespace(em=em, wt=wt, uk=uk)
    for s in (em, wt, uk):
        s.stop()


def env():
    e = dict(os.environ)
    e.update({"C12_TEST_EM_KEY": EM_KEY, "C12_TEST_WT_USER": WT_USER, "C12_TEST_WT_PASSWORD": WT_PASSWORD})
    e.pop("C12_DATA_DIR", None)
    return e


def write_config(path, fakes, chain, ttl=60.0, staleness=3600, timeout_ms=1000, backoff=(0.2, 0.5),
                 uk_region=None, extra=""):
    uk_region_line = f"      region: {uk_region}\n" if uk_region else ""
    text = f"""carbon:
  chain: [{", ".join(chain)}]
  max_staleness_s: {staleness}
  backoff_base_s: {backoff[0]}
  backoff_max_s: {backoff[1]}
  jitter: 0
  providers:
    em:
      type: electricitymaps
      base_url: {fakes.em.url}
      zone: GB
      api_key_env: C12_TEST_EM_KEY
      ttl_s: {ttl}
      timeout_ms: {timeout_ms}
      connect_timeout_ms: 500
    wt:
      type: watttime
      base_url: {fakes.wt.url}
      region: CAISO_NORTH
      username_env: C12_TEST_WT_USER
      password_env: C12_TEST_WT_PASSWORD
      ttl_s: {ttl}
      timeout_ms: {timeout_ms}
      connect_timeout_ms: 500
    uk:
      type: ukgrid
      base_url: {fakes.uk.url}
{uk_region_line}      ttl_s: {ttl}
      timeout_ms: {timeout_ms}
      connect_timeout_ms: 500
    trace: {{type: trace, ttl_s: {ttl}}}
    static: {{type: static, value: 123, ttl_s: {ttl}}}
{extra}"""
    path.write_text(text)
    return str(path)


def run_c12(binary, *args, timeout=60):
    r = subprocess.run([binary, "carbon", *args], capture_output=True, text=True, timeout=timeout, env=env())
    return r


def now_json(binary, config, *args):
    r = run_c12(binary, "now", "--config", config, "--json", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), r


class Watch:
    """`c12 carbon watch --json` in the background; lines arrive on a queue."""

    def __init__(self, binary, config, seconds=20, interval_ms=100):
        self.proc = subprocess.Popen(
            [binary, "carbon", "watch", "--config", config, "--json", "--seconds", str(seconds),
             "--interval-ms", str(interval_ms)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env())
        self.lines = []
        self.raw = []
        self.q = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.raw.append(line)
            self.q.put(json.loads(line))
        self.q.put(None)

    def next(self, timeout=5.0):
        item = self.q.get(timeout=timeout)
        if item is None:
            raise EOFError("watch ended")
        self.lines.append(item)
        return item

    def until(self, pred, timeout):
        """Read lines until pred(line) holds; fails after `timeout` seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            line = self.next(timeout=max(0.1, end - time.monotonic()))
            if pred(line):
                return line
        raise AssertionError(f"condition not met in {timeout}s; last line: {self.lines[-1] if self.lines else None}")

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        self.reader.join(timeout=5)
        return "".join(self.raw), err or ""


def answered_by(name):
    return lambda line: line["ok"] and line["provider"] == name
