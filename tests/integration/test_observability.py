"""C12's deployment files for Prometheus and Grafana (deploy/): promtool
accepts the config and the alert rules and passes their unit tests (each
alert fires on the series meant to fire it, and not on a healthy instance);
the Grafana dashboard is what its generator writes and has the structure
Grafana imports (uid, variables, panels with targets). Then a real
Prometheus loads the rules and scrapes a C12 that served requests: every
rule evaluates healthily with nothing firing, each alert's expression less
its threshold returns at least one series, and so does every query of the
dashboard (no empty panel, no typo in a metric name). Grafana itself is not
packaged for Debian 12; docs/observability.md says how to import the
dashboard."""
import importlib.util
import json
import re
import subprocess
import tempfile
import time
import urllib.request

import yaml

from conftest import ROOT
from test_metrics import prometheus_running, prometheus_tool, query, served  # noqa: F401 (served: a fixture)

DEPLOY = ROOT / "deploy" / "prometheus"
GRAFANA = ROOT / "deploy" / "grafana"
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


def dashboard():
    return json.loads((GRAFANA / "dashboards" / "c12.json").read_text())


def test_dashboard_is_generated_and_well_formed(tmp_path):
    # the generator's text, compared without writing into the working tree
    spec = importlib.util.spec_from_file_location("make_dashboard", GRAFANA / "make_dashboard.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    committed = (GRAFANA / "dashboards" / "c12.json").read_text()
    assert gen.text() == committed, "deploy/grafana/dashboards/c12.json is stale: run deploy/grafana/make_dashboard.py"
    d = json.loads(committed)
    assert d["uid"] == "c12-overview" and d["title"] and d["schemaVersion"] >= 36
    names = [v["name"] for v in d["templating"]["list"]]
    assert names == ["datasource", "instance", "model"]
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids)) >= 12
    for p in d["panels"]:
        assert p["title"] and p["type"] == "timeseries" and set(p["gridPos"]) == {"h", "w", "x", "y"}, p
        assert p["datasource"]["uid"] == "${datasource}" and p["targets"], p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs)) and all(t["expr"] for t in p["targets"]), p["title"]


def dashboard_queries():
    """(where, PromQL) of every panel target and variable, with Grafana's
    variables as a query through the API would have them."""
    subst = {"$__rate_interval": "1m", "$__range": "5m", "$instance": ".*", "$model": ".*"}
    out = []
    for p in dashboard()["panels"]:
        for t in p["targets"]:
            q = t["expr"]
            for k, v in subst.items():
                q = q.replace(k, v)
            out.append((f'{p["title"]} {t["refId"]}', q))
    for v in dashboard()["templating"]["list"][1:]:
        sel = v["query"]["query"][len("label_values("):].rsplit(",", 1)[0]
        out.append((f'variable {v["name"]}', sel.replace("$instance", ".*")))
    return out


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


def test_rules_and_dashboard_against_a_real_prometheus(served):  # noqa: F811
    srv = served[0]
    cfg = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    cfg["global"] = {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"}
    cfg["rule_files"] = [str(DEPLOY / "c12-alerts.yml")]
    cfg["scrape_configs"][0]["static_configs"] = [{"targets": [f"127.0.0.1:{srv.port}"]}]
    with tempfile.TemporaryDirectory(prefix="c12alerts-") as tmp, \
            prometheus_running(yaml.safe_dump(cfg), tmp) as (port, log):
        assert wait_for(lambda: query(port, 'c12_requests_total{job="c12"}')), "no scrape: " + log.read_text()[-2000:]
        time.sleep(3)  # a few samples, so rate() and increase() have two points
        for name, expr in alert_exprs().items():
            lhs = THRESHOLD.sub("", expr)
            assert lhs != expr, (name, "no threshold to strip", expr)
            assert query(port, lhs), (name, lhs, "returned no series")
        for where, q in dashboard_queries():
            assert query(port, q), (where, q, "returned no series")
        rules = wait_for(lambda: [r for g in api(port, "rules")["groups"] for r in g["rules"]
                                  if r.get("lastEvaluation", "").startswith("2")])
        assert rules and len(rules) == len(alert_exprs()), rules
        assert all(r["health"] == "ok" for r in rules), [(r["name"], r.get("lastError")) for r in rules]
        assert api(port, "alerts")["alerts"] == [], "a healthy C12 fired an alert"
