"""GET /metrics on the real server (sanitizer build): after a routed chat and
an explicit completion, every family is there with HELP and TYPE and the
values the responses imply; Debian's `promtool check metrics` accepts the
text; a real Prometheus scrapes the server and answers a query with our
count; server.metrics_auth puts the page behind the API keys. The
"OpenTelemetry GenAI names" section of docs/metrics.md names only families
the scrape has (and all of them), with the labels and bucket bounds the
scrape shows, and Prometheus answers each of its queries.

promtool and prometheus come from Debian's `prometheus` package (scripts/deps.sh
installs it); the tests install it when missing and they run as root, and
skip only when it cannot be installed (saying why)."""
import contextlib
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import pytest

from server_helpers import Server

MODEL = "smollm2-135m"
CONFIG = f"""
server: {{default_max_tokens: 4}}
cache: {{enabled: true}}
models:
  - {{id: {MODEL}, source: {MODEL}, context: 256}}
"""
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
FAMILIES = {
    "c12_requests_total": "counter", "c12_prompt_tokens_total": "counter",
    "c12_completion_tokens_total": "counter", "c12_energy_joules_total": "counter",
    "c12_co2_grams_total": "counter", "c12_co2_counterfactual_grams_total": "counter",
    "c12_queue_wait_seconds": "histogram",
    "c12_time_to_first_token_seconds": "histogram", "c12_request_duration_seconds": "histogram",
    "c12_route_decisions_total": "counter", "c12_requests_by_carbon_provider_total": "counter",
    "c12_model_loaded": "gauge", "c12_model_memory_bytes": "gauge",
    "c12_model_slots_busy": "gauge", "c12_kv_cache_usage_ratio": "gauge", "c12_queue_depth": "gauge", "c12_memory_used_bytes": "gauge",
    "c12_memory_budget_bytes": "gauge", "c12_model_loads_total": "counter",
    "c12_model_load_failures_total": "counter", "c12_model_evictions_total": "counter",
    "c12_model_load_seconds_total": "counter", "c12_carbon_intensity_grams_per_kwh": "gauge",
    "c12_engine_steps_total": "counter", "c12_engine_step_sequences_total": "counter",
    "c12_engine_step_tokens_total": "counter", "c12_engine_step_cpu_seconds_total": "counter",
    "c12_carbon_reading_age_seconds": "gauge", "c12_carbon_provider_errors_total": "counter",
    "c12_carbon_provider_fetches_total": "counter", "c12_metrics_dropped_total": "counter",
    "c12_cache_requests_total": "counter", "c12_cache_entries": "gauge", "c12_cache_bytes": "gauge",
    "c12_co2_avoided_by_cache_grams_total": "counter",
    "c12_key_co2_grams_total": "counter", "c12_rate_limited_requests_total": "counter",
    "c12_connections_open": "gauge", "c12_connections_refused_total": "counter",
    "c12_ledger_rows_accepted_total": "counter", "c12_ledger_rows_committed_total": "counter",
    "c12_ledger_rows_dropped_total": "counter", "c12_ledger_commit_errors_total": "counter",
    "c12_ledger_queue_rows": "gauge",
    "c12_site_breaker_state": "gauge", "c12_site_in_flight": "gauge", "c12_site_max_concurrent": "gauge",
    "c12_site_carbon_intensity_grams_per_kwh": "gauge", "c12_site_ttft_seconds": "gauge",
    "c12_site_tokens_per_second": "gauge", "c12_site_requests_total": "counter", "c12_site_failures_total": "counter",
    "c12_site_retries_total": "counter", "c12_site_probe_failures_total": "counter",
    "c12_site_upstream_queue": "gauge",
    "c12_batches": "gauge", "c12_batch_lines_pending": "gauge", "c12_batch_deferred_seconds_total": "counter",
    "c12_batch_co2_avoided_grams": "gauge",
}

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def parse(text):
    """{name: {frozenset(labels): value}} and {family: (help, type)}."""
    samples, meta = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, help_text = line[7:].split(" ", 1)
            meta[name] = [help_text, None]
        elif line.startswith("# TYPE "):
            name, kind = line[7:].split(" ")
            assert meta[name][1] is None, line
            meta[name][1] = kind
        else:
            m = SAMPLE.match(line)
            assert m, line
            labels = frozenset(LABEL.findall(m.group(2) or ""))
            samples.setdefault(m.group(1), {})[labels] = float(m.group(3))
    return samples, {k: tuple(v) for k, v in meta.items()}


def value(samples, name, **labels):
    return samples[name][frozenset(labels.items())]


def get_metrics(srv, headers=None):
    req = urllib.request.Request(srv.url + "/metrics", headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.headers["Content-Type"], r.read().decode()


@pytest.fixture(scope="module")
def served(c12_san):
    """A server that answered a routed chat and an explicit completion."""
    srv = Server(c12_san, CONFIG)
    usages = []
    for path, body in [("/v1/chat/completions", {"model": "auto", "messages": [
                            {"role": "user", "content": "Write a Python function that reverses a list."}]}),
                       ("/v1/completions", {"model": MODEL, "prompt": "The capital of France is"})]:
        st, text = srv.post(path, body)
        assert st == 200, text
        usages.append(json.loads(text)["usage"])
    ctype, text = get_metrics(srv)
    yield srv, usages, ctype, text
    srv.stop()


def test_families_and_values(served):
    srv, usages, ctype, text = served
    assert ctype == CONTENT_TYPE
    samples, meta = parse(text)
    assert {k: v[1] for k, v in meta.items()} == FAMILIES
    assert all(h for h, _ in meta.values())
    ok = {"model": MODEL, "status": "ok"}
    assert value(samples, "c12_requests_total", **ok) == 2
    assert value(samples, "c12_prompt_tokens_total", **ok) == sum(u["prompt_tokens"] for u in usages)
    assert value(samples, "c12_completion_tokens_total", **ok) == sum(u["completion_tokens"] for u in usages)
    # two generations were metered (CPU time x W) and priced at the trace's intensity
    assert value(samples, "c12_energy_joules_total", model=MODEL) > 0
    assert value(samples, "c12_co2_grams_total", model=MODEL) > 0
    # ...and what they would have emitted on the strongest served policy model (here the one served)
    assert value(samples, "c12_co2_counterfactual_grams_total", model=MODEL) > 0
    for h in ("c12_queue_wait_seconds", "c12_time_to_first_token_seconds", "c12_request_duration_seconds"):
        buckets = sorted((float(dict(k)["le"]), v) for k, v in samples[h + "_bucket"].items())
        counts = [v for _, v in buckets]
        assert counts == sorted(counts) and buckets[-1][0] == float("inf"), (h, buckets)
        assert buckets[-1][1] == value(samples, h + "_count", model=MODEL) == 2
    # Only the "auto" request was routed; the analysis called it code.
    assert samples["c12_route_decisions_total"] == {frozenset({("model", MODEL), ("category", "code")}): 1}
    assert value(samples, "c12_model_loaded", model=MODEL) == 1
    assert value(samples, "c12_model_loads_total", model=MODEL) == 1
    assert value(samples, "c12_model_load_seconds_total", model=MODEL) > 0
    assert value(samples, "c12_queue_depth", model=MODEL) == 0
    used = value(samples, "c12_memory_used_bytes")
    assert 0 < used == value(samples, "c12_model_memory_bytes", model=MODEL) <= value(samples, "c12_memory_budget_bytes")
    # The built-in carbon chain: the bundled GB trace, then the static value.
    assert value(samples, "c12_carbon_intensity_grams_per_kwh", provider="trace", region="GB") > 0
    assert value(samples, "c12_carbon_provider_errors_total", provider="trace") == 0
    assert value(samples, "c12_carbon_reading_age_seconds", provider="trace") >= 0
    assert value(samples, "c12_metrics_dropped_total") == 0
    # The ledger took both rows (committed within its flush interval) and dropped none.
    assert value(samples, "c12_ledger_rows_accepted_total") == 2
    assert value(samples, "c12_ledger_rows_committed_total") + value(samples, "c12_ledger_queue_rows") == 2
    assert value(samples, "c12_ledger_rows_dropped_total") == value(samples, "c12_ledger_commit_errors_total") == 0


DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
TICKED = re.compile(r"`([a-zA-Z_][a-zA-Z0-9_.]*)`")


def otel_section():
    """The text of docs/metrics.md's "OpenTelemetry GenAI names" section."""
    text = DOC.read_text()
    start = text.index("\n## OpenTelemetry GenAI names\n")
    return text[start:text.index("\n## ", start + 1)]


def md_tables(text):
    """Each markdown table of text as a list of {header: cell} rows."""
    tables, rows = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif rows:
            tables.append([dict(zip(rows[0], r)) for r in rows[2:]])
            rows = []
    return tables


def otel_queries():
    """The PromQL of the section's query block: one query per paragraph,
    its comment lines (the OTel-named equivalents) left out."""
    block = otel_section().split("```promql\n", 1)[1].split("```", 1)[0]
    out = []
    for para in block.split("\n\n"):
        q = "\n".join(ln for ln in para.splitlines() if not ln.lstrip().startswith("#")).strip()
        assert q, ("a paragraph of comments only", para)
        out.append(q)
    return out


def family_of(name, meta):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[:-len(suffix)] in meta:
            return name[:-len(suffix)]
    return name


def test_otel_section_matches_the_scrape(served):
    """Every c12_* name of the section is a family of the scrape (or one of
    a histogram's series), every family of the scrape is named there, each
    table row's labels are on the families it names, the C12 bucket bounds
    are the scrape's, and each OTel name becomes the Prometheus name the
    exporter rules give it."""
    samples, meta = parse(served[3])
    section = otel_section()
    named = {family_of(n, meta) for n in re.findall(r"\bc12_[a-z0-9_]+", section)}
    assert named - set(meta) == set(), "named in docs/metrics.md but not in /metrics"
    assert set(meta) - named == set(), "in /metrics but not in the OpenTelemetry section"
    labels = {}
    for name, series in samples.items():
        labels.setdefault(family_of(name, meta), set()).update(k for ls in series for k, _ in ls if k != "le")
    tables = md_tables(section)
    assert len(tables) == 3, tables
    checked = 0
    for row in (r for t in tables for r in t):
        fams = [n for n in TICKED.findall(row.get("C12 family", row.get("on C12 families", ""))) if n.startswith("c12_")]
        labs = TICKED.findall(row.get("C12 labels", row.get("C12 label", "")))
        for f in fams:
            assert set(labs) <= labels[f], (row, f, labels[f])
            checked += bool(labs)
        if row.get("C12 boundaries"):
            got = sorted(float(dict(k)["le"]) for k in samples[fams[0] + "_bucket"])
            assert got[-1] == float("inf")
            assert [float(x) for x in row["C12 boundaries"].split(",")] == got[:-1], (row, got)
            checked += 1
        otel = row.get("OTel metric (instrument, unit)")
        if otel:  # dots to _, unit s appended as _seconds, {token} dropped
            name, unit = re.findall(r"`([^`]+)`", otel)[:2]
            want = name.replace(".", "_") + ("_seconds" if unit == "s" else "")
            assert unit in ("s", "{token}") and row["OTel's Prometheus name"] == f"`{want}`", row
    assert checked >= 10, checked


def prometheus_tool(name):
    """The path of promtool/prometheus, installing Debian's package when it
    is missing and we may; otherwise skip, saying why."""
    path = shutil.which(name)
    if path:
        return path
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip(f"{name} is missing and cannot be installed here (not root or no apt-get): "
                    "apt-get install prometheus")
    r = subprocess.run(["apt-get", "install", "-y", "-qq", "prometheus"], capture_output=True, text=True,
                       timeout=600, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    path = shutil.which(name)
    if not path:
        pytest.skip(f"apt-get install prometheus failed, so no {name}: {(r.stdout + r.stderr)[-500:]}")
    return path


def test_promtool_accepts(served):
    promtool = prometheus_tool("promtool")
    r = subprocess.run([promtool, "check", "metrics"], input=served[3], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), r.stdout + r.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query(port, q):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.loads(r.read())["data"]["result"]
    except (OSError, ValueError, KeyError):
        return []


@contextlib.contextmanager
def prometheus_running(config_text, tmp):
    """A real Prometheus with config_text (in the folder tmp) on a free
    loopback port; yields the port and the log's path; stopped after."""
    cfg, log_path = pathlib.Path(tmp) / "prometheus.yml", pathlib.Path(tmp) / "log.txt"
    cfg.write_text(config_text)
    port = free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen([prometheus_tool("prometheus"), f"--config.file={cfg}", f"--storage.tsdb.path={tmp}/data",
                                 f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
        try:
            yield port, log_path
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_prometheus_scrapes(served):
    """A real Prometheus, scraping every second, stores our counter."""
    srv = served[0]
    with tempfile.TemporaryDirectory(prefix="c12prom-") as tmp, prometheus_running(
            "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
            "scrape_configs:\n  - job_name: c12\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{srv.port}']}}]\n", tmp) as (port, log):
        result, end = [], time.time() + 60
        while not result and time.time() < end:
            time.sleep(0.5)
            result = query(port, 'c12_requests_total{status="ok"}')
        assert result, "Prometheus never stored c12_requests_total: " + log.read_text()[-3000:]
        assert result[0]["metric"]["model"] == MODEL and float(result[0]["value"][1]) == 2
        assert float(query(port, 'up{job="c12"}')[0]["value"][1]) == 1
        # docs/metrics.md's OpenTelemetry queries (rate() needs a second scrape)
        for q in otel_queries():
            got, end = query(port, q), time.time() + 30
            while not got and time.time() < end:
                time.sleep(0.5)
                got = query(port, q)
            assert got, (q, "returned no series")


KEYED = """
server:
  api_keys: ["sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]
  metrics_auth: {auth}
models:
  - {{id: smollm2-135m, source: smollm2-135m, context: 256}}
"""


@pytest.mark.parametrize("auth", ["false", "true"])
def test_metrics_auth(c12_san, auth):
    """Open by default even with API keys (as exporters); behind them with
    metrics_auth. /metrics needs no model, so the server is not waited for."""
    srv = Server(c12_san, KEYED.format(auth=auth), ready=False)
    try:
        st, body = srv.get("/metrics")
        if auth == "true":
            assert st == 401 and json.loads(body)["error"]["code"] == "invalid_api_key"
            assert srv.get("/metrics", headers={"Authorization": "Bearer wrong"})[0] == 401
            st, body = srv.get("/metrics", headers={"Authorization": "Bearer test"})  # sha256("test")
        assert st == 200 and "# TYPE c12_requests_total counter" in body
        assert srv.get("/v1/models")[0] == 401  # the keys still guard /v1
    finally:
        srv.stop()
