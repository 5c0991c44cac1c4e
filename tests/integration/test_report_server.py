"""`c12 report` over a ledger a real server wrote: requests through the
openai SDK with two API keys and `user=` set, then the report by key, by
user, by hour as JSON, as CSV and with --since/--until, checked against the
SDK's usage and the ledger's own rows; the counterfactual with the shipped
reference rates (no calibration file) and with a calibration file.
The optimized binary serves smollm2-135m on one thread at a static
intensity, so its measured energy per token is far below the strongest
model's reference rates and the saving is positive."""
import csv
import hashlib
import io
import json
import re
import sqlite3
import time

import openai
import pytest

from conftest import c12_home, model_path, run
from server_helpers import Server

KEYS = ["sk-report-a", "sk-report-b"]
HASHES = [hashlib.sha256(k.encode()).hexdigest() for k in KEYS]
LABELS = [f"key:{h[:8]}" for h in HASHES]
INTENSITY = 250.0
CONFIG = f"""
server:
  api_keys: ["sha256:{HASHES[0]}", "sha256:{HASHES[1]}"]
  default_max_tokens: 4
models:
  - {{id: smollm2-135m, source: smollm2-135m, threads: 1, context: 256}}
carbon:
  chain: [static]
  providers:
    static: {{value: {INTENSITY}}}
cache: {{enabled: false}}  # the same call twice must generate twice: the rows' energy is checked
"""
# (key index, user or None), in order
CALLS = [(0, "alice"), (0, "alice"), (0, "bob"), (1, None)]


@pytest.fixture(scope="module")
def served(c12, tmp_path_factory):
    """The ledger after the calls, the SDK's usage of each, and when they ran."""
    if not model_path("smollm2-135m").exists():
        pytest.skip("smollm2-135m is not in the model cache; run: c12 models pull smollm2-135m")
    tmp = tmp_path_factory.mktemp("report")
    db = tmp / "ledger.db"
    home = tmp / "home"  # a fresh C12_HOME, no calibration.json, for the server and the report
    home.mkdir()
    (home / "models").symlink_to(c12_home() / "models")
    t0 = time.time()
    s = Server(c12, CONFIG, ledger=db, env={"C12_HOME": str(home)})
    usage = []
    try:
        for key, user in CALLS:
            client = openai.OpenAI(base_url=s.url + "/v1", api_key=KEYS[key], max_retries=0, timeout=120)
            kw = {"user": user} if user else {}
            r = client.chat.completions.create(model="auto", max_tokens=4, temperature=0,
                                               messages=[{"role": "user", "content": "Name a color."}], **kw)
            usage.append((r.usage.prompt_tokens, r.usage.completion_tokens))
        status, metrics = s.get("/metrics")
        assert status == 200
    finally:
        s.stop()  # SIGTERM: the ledger is drained and closed
    t1 = time.time()
    return {"db": db, "usage": usage, "t0": t0, "t1": t1, "env": {"C12_HOME": str(home), "PATH": "/usr/bin:/bin"},
            "tmp": tmp, "metrics": metrics}


def report(c12, served, *args):
    r = run([c12, "report", "--db", str(served["db"]), *args], env=served["env"])
    assert r.returncode == 0, r.stderr
    return r.stdout


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def ledger_rows(db):
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    rows = [dict(r) for r in con.execute("SELECT * FROM requests ORDER BY id")]
    con.close()
    return rows


def test_rows_carry_key_and_user(served):
    rows = ledger_rows(served["db"])
    assert [(r["api_key"], r["user"]) for r in rows] == [(LABELS[k], u or "") for k, u in CALLS]
    assert [(r["prompt_tokens"], r["completion_tokens"]) for r in rows] == served["usage"]
    assert all(r["status"] == "ok" and r["energy_j"] > 0 and r["intensity"] == INTENSITY for r in rows)


def test_by_key(c12, served):
    rows = csv_rows(report(c12, served, "--by", "key", "--csv"))
    by = {x["key"]: x for x in rows if x["group"] == "key"}
    assert sorted(by) == sorted(LABELS)
    for i, label in enumerate(LABELS):
        mine = [u for (k, _), u in zip(CALLS, served["usage"]) if k == i]
        assert int(by[label]["requests"]) == len(mine)
        assert int(by[label]["prompt_tokens"]) == sum(p for p, _ in mine)
        assert int(by[label]["completion_tokens"]) == sum(c for _, c in mine)
    total = [x for x in rows if x["group"] == "total"][0]
    assert int(total["requests"]) == len(CALLS)
    assert abs(sum(float(x["co2_g"]) for x in by.values()) - float(total["co2_g"])) < 1e-6
    for x in list(by.values()) + [total]:  # gCO2e per 1,000 tokens
        tokens = int(x["prompt_tokens"]) + int(x["completion_tokens"])
        assert float(x["gco2_per_1k_tokens"]) == pytest.approx(1000 * float(x["co2_g"]) / tokens, rel=1e-4, abs=1e-6)


def test_by_user(c12, served):
    rows = csv_rows(report(c12, served, "--by", "user", "--csv"))
    by = {x["key"]: int(x["requests"]) for x in rows if x["group"] == "user"}
    assert by == {"": 1, "alice": 2, "bob": 1}
    text = report(c12, served, "--by", "user")
    assert "by user:" in text and "alice" in text and "(none)" in text


def test_by_hour_json_and_saving(c12, served):
    doc = json.loads(report(c12, served, "--by", "hour", "--json"))
    # docs/ledger.md's example document (pytest -s -k by_hour shows it)
    print(json.dumps({"counterfactuals": doc["counterfactuals"], "totals": doc["totals"]}, indent=1))
    assert doc["filter"]["by"] == "hour" and doc["filter"]["since"] is None
    rows = doc["tables"][0]["rows"]
    assert doc["tables"][0]["by"] == "hour" and sum(r["requests"] for r in rows) == len(CALLS)
    hours = {time.strftime("%Y-%m-%dT%H:00Z", time.gmtime(t)) for t in (served["t0"], served["t1"])}
    assert {r["key"] for r in rows} <= hours
    for r in rows:
        assert r["bucket_ms"] % 3600000 == 0 and r["key"] == time.strftime("%Y-%m-%dT%H:00Z", time.gmtime(r["bucket_ms"] / 1000))
    # no calibration: the shipped reference rates, said as the basis
    cf = doc["counterfactuals"]["strongest"]
    assert cf["model"] == "qwen2.5-coder-1.5b" and cf["known"] and cf["rates"] == "reference"
    assert cf["basis"].startswith("reference: ") and "c12 calibrate" in cf["source"]
    assert doc["counterfactuals"]["default"]["model"] == "smollm2-135m"
    # the counterfactual from the ledger's own rows: each request's tokens at the
    # reference rates, at its intensity and PUE
    lrows = ledger_rows(served["db"])
    want = sum((r["prompt_tokens"] * cf["j_per_prompt_token"] + r["completion_tokens"] * cf["j_per_output_token"])
               / 3.6e6 * r["intensity"] * r["pue"] for r in lrows)
    tot = doc["totals"]
    s = tot["savings"]["strongest"]
    assert s["co2_g"] == pytest.approx(want, rel=1e-9)
    assert tot["co2_g"] == pytest.approx(sum(r["co2_g"] for r in lrows), rel=1e-9)
    assert s["saved_g"] == pytest.approx(s["co2_g"] - tot["co2_g"], rel=1e-9, abs=1e-12)
    assert s["saved_pct"] == pytest.approx(100 * s["saved_g"] / s["co2_g"], rel=1e-9)
    assert s["saved_g"] > 0  # smollm2 on one thread costs far less per token than the 1.5B model


def test_text_without_calibration(c12, served):
    text = report(c12, served)
    assert f"{len(CALLS)} requests, 0 errors" in text and "per 1,000 tokens" in text
    for part in ("by model:", "by category:", "by day:", "saved_vs_str"):
        assert part in text
    line = [x for x in text.splitlines() if x.startswith("counterfactual (every request on qwen2.5-coder-1.5b")][0]
    assert "the strongest model; rates reference: " in line and " g saved (" in line
    assert "unknown" not in text


def test_with_calibration(c12, served):
    cal = served["tmp"] / "cal.json"
    cal.write_text(json.dumps({"version": 1, "models": {
        "qwen2.5-coder-1.5b": {"j_per_prompt_token": 10.0, "j_per_output_token": 20.0},
        "smollm2-135m": {"j_per_prompt_token": 0.0, "j_per_output_token": 0.0}}}))
    doc = json.loads(report(c12, served, "--json", "--calibration", str(cal)))
    cf, df = doc["counterfactuals"]["strongest"], doc["counterfactuals"]["default"]
    assert cf["basis"] == "calibrated" and cf["j_per_output_token"] == 20.0
    tokens_p = sum(p for p, _ in served["usage"])
    tokens_c = sum(c for _, c in served["usage"])
    s = doc["totals"]["savings"]["strongest"]
    assert s["energy_j"] == pytest.approx(10.0 * tokens_p + 20.0 * tokens_c)
    assert s["co2_g"] == pytest.approx((10.0 * tokens_p + 20.0 * tokens_c) / 3.6e6 * INTENSITY, rel=1e-9)
    # a zero-cost default: the saving against it is minus what was emitted
    d = doc["totals"]["savings"]["default"]
    assert df["basis"] == "calibrated" and d["co2_g"] == 0 and d["saved_pct"] is None
    assert d["saved_g"] == pytest.approx(-doc["totals"]["co2_g"])
    # the same file as $C12_HOME/calibration.json is found without the option
    (served["tmp"] / "home" / "calibration.json").write_text(cal.read_text())
    try:
        assert "rates calibrated" in report(c12, served)
    finally:
        (served["tmp"] / "home" / "calibration.json").unlink()


def test_since_until(c12, served):
    def total(*args):
        rows = csv_rows(report(c12, served, "--csv", *args))
        return int([x for x in rows if x["group"] == "total"][0]["requests"])
    before, after = iso(served["t0"] - 2), iso(served["t1"] + 2)
    assert total("--until", before) == 0
    assert total("--since", before, "--until", after) == len(CALLS)
    assert total("--since", after) == 0
    assert total("--since", "1h") == len(CALLS) and total("--until", "1h") == 0
    # the first request's second: everything from it, nothing before it
    first = ledger_rows(served["db"])[0]["time_ms"]
    assert total("--until", iso(first / 1000)) == 0
    r = run([c12, "report", "--db", str(served["db"]), "--until", "soon"], env=served["env"])
    assert r.returncode == 2 and "--until" in r.stderr


def test_metrics_counterfactual_uses_the_same_rates(c12, served):
    """The server's counterfactual metric prices each request on its policy's
    strongest model with the same rates as the report: here the policy has
    only smollm2-135m, the report's default model, at the shipped reference
    rates (the server found no calibration either)."""
    m = re.search(r'^c12_co2_counterfactual_grams_total\{model="smollm2-135m"\} (\S+)$', served["metrics"], re.M)
    assert m, served["metrics"]
    doc = json.loads(report(c12, served, "--json"))
    df = doc["counterfactuals"]["default"]
    assert df["model"] == "smollm2-135m" and df["rates"] == "reference"
    assert float(m.group(1)) == pytest.approx(doc["totals"]["savings"]["default"]["co2_g"], rel=1e-6)
