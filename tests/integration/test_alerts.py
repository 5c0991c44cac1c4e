"""C12's Prometheus deployment files (deploy/prometheus): promtool accepts the
config and the alert rules and passes their unit tests (each alert fires on
the series meant to fire it, and not on a healthy instance); a real
Prometheus loads the rules, scrapes a C12 that served requests, evaluates
every rule healthily with nothing firing, and each alert's expression, less
its threshold, returns at least one series (no typo in a metric name)."""
import json
import pathlib
import re
import signal
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import yaml

from conftest import ROOT
from test_metrics import free_port, prometheus_tool, query, served  # noqa: F401 (served: a fixture)

DEPLOY = ROOT / "deploy" / "prometheus"
THRESHOLD = re.compile(r"\s(>=|<=|==|!=|>|<)\s*[0-9.e+-]+\s*$")


def promtool(*args):
    return subprocess.run([prometheus_tool("promtool"), *args], cwd=DEPLOY, capture_output=True, text=True,
                          timeout=120)


def test_promtool_checks_and_unit_tests():
    for args in (["check", "config", "prometheus.yml"], ["check", "rules", "c12-alerts.yml"],
                 ["test", "rules", "c12-alerts.test.yml"]):
        r = promtool(*args)
        assert r.returncode == 0, (args, r.stdout + r.stderr)
    tested = {t["alertname"] for case in yaml.safe_load((DEPLOY / "c12-alerts.test.yml").read_text())["tests"]
              for t in case["alert_rule_test"]}
    assert tested == set(alert_exprs()), "every alert needs a unit test"


def alert_exprs():
    rules = yaml.safe_load((DEPLOY / "c12-alerts.yml").read_text())
    return {r["alert"]: " ".join(r["expr"].split()) for g in rules["groups"] for r in g["rules"]}


def api(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/{path}", timeout=5) as r:
        return json.loads(r.read())["data"]


def wait_for(fn, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        got = fn()
        if got:
            return got
        time.sleep(0.5)
    return None


def test_rules_against_a_real_prometheus(served):  # noqa: F811
    srv = served[0]
    with tempfile.TemporaryDirectory(prefix="c12alerts-") as tmp:
        cfg = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
        cfg["global"] = {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"}
        cfg["rule_files"] = [str(DEPLOY / "c12-alerts.yml")]
        cfg["scrape_configs"][0]["static_configs"] = [{"targets": [f"127.0.0.1:{srv.port}"]}]
        path = pathlib.Path(tmp) / "prometheus.yml"
        path.write_text(yaml.safe_dump(cfg))
        port, log = free_port(), open(pathlib.Path(tmp) / "log.txt", "w")
        proc = subprocess.Popen([prometheus_tool("prometheus"), f"--config.file={path}",
                                 f"--storage.tsdb.path={tmp}/data", f"--web.listen-address=127.0.0.1:{port}"],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            assert wait_for(lambda: query(port, 'c12_requests_total{job="c12"}')), "no scrape"
            time.sleep(3)  # a few samples, so rate() and increase() have two points
            for name, expr in alert_exprs().items():
                lhs = THRESHOLD.sub("", expr)
                assert lhs != expr, (name, "no threshold to strip", expr)
                assert query(port, lhs), (name, lhs, "returned no series")
            rules = wait_for(lambda: [r for g in api(port, "rules")["groups"] for r in g["rules"]
                                      if r.get("lastEvaluation", "").startswith("2")])
            assert rules and len(rules) == len(alert_exprs()), rules
            assert all(r["health"] == "ok" for r in rules), [(r["name"], r.get("lastError")) for r in rules]
            assert api(port, "alerts")["alerts"] == [], "a healthy C12 fired an alert"
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
