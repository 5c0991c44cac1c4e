"""`c12 simulate` on the bundled GB 2023 trace and the router's dev prompts:
the carbon-aware policy emits less CO2 than always-strongest and keeps more
requests on an adequate model than always-smallest; runs are deterministic."""
import json
import time

import pytest

from conftest import ROOT, run

DEV = ROOT / "data" / "router" / "dev.jsonl"
TRACE = ROOT / "data" / "carbon" / "gb_2023-01-01_2023-12-31.csv"


def simulate(c12_san, *extra):
    r = run([c12_san, "simulate", "--trace", str(TRACE), "--workload", str(DEV), "--rate", "60", "--days", "7",
             "--json", *extra], timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), r.stderr


def test_carbon_aware_beats_strongest_and_smallest(c12_san, tmp_path):
    t0 = time.monotonic()
    out, _ = simulate(c12_san, "--calibration", str(tmp_path / "none.json"), "--seed", "1")
    assert time.monotonic() - t0 < 60
    p = {x["name"]: x for x in out["policies"]}
    assert set(p) == {"always-strongest", "always-smallest", "code-only", "carbon-aware", "- grounded category",
                      "+ response cache", "+ directives", "+ cache, directives"}
    n = p["carbon-aware"]["requests"]
    assert 9000 < n < 11000  # 60/h for 7 days
    assert all(x["requests"] == n for x in p.values())
    assert p["carbon-aware"]["gco2_per_1000"] < p["always-strongest"]["gco2_per_1000"]
    assert p["carbon-aware"]["adequate"] > p["always-smallest"]["adequate"]
    # measured: qwen2.5 reaches 0.5 on every category and tier, smollm2 only on
    # questions about a given passage (grounded: 211 of dev's 2,474 prompts)
    assert p["always-strongest"]["adequate"] == 1.0
    small = p["always-smallest"]
    assert small["adequate_grounded"] == 1.0 and small["adequate_code"] == 0.0 and small["adequate_general"] == 0.0
    assert 0.05 < small["adequate"] < 0.12
    # the carbon-aware policy gives grounded prompts to smollm2 at any intensity
    assert p["carbon-aware"]["adequate_grounded"] == 1.0
    assert p["always-smallest"]["by_model"]["smollm2-135m"] == n
    # base models never answer chats
    assert all(x["by_model"]["gemma3-270m"] == 0 for x in p.values())
    # the levers (90 days, dirtier than the first week): only their rows use them, and each saves
    out, _ = simulate(c12_san, "--calibration", str(tmp_path / "none.json"), "--days", "90", "--rate", "10")
    p = {x["name"]: x for x in out["policies"]}
    assert all(p[k]["cache_hits"] == 0 and p[k]["directed"] == 0 for k in ("carbon-aware", "always-strongest"))
    cache, direct, both = p["+ response cache"], p["+ directives"], p["+ cache, directives"]
    assert cache["cache_hits"] > 0 and cache["gco2_per_1000"] < p["carbon-aware"]["gco2_per_1000"]
    assert direct["directed"] > 0 and direct["out_tokens_per_request"] < p["carbon-aware"]["out_tokens_per_request"]
    assert direct["gco2_per_1000"] < p["carbon-aware"]["gco2_per_1000"]
    assert both["gco2_per_1000"] < min(cache["gco2_per_1000"], direct["gco2_per_1000"])
    # without the grounded category its prompts go to the coder as general ones: more CO2
    nog = p["- grounded category"]
    assert nog["gco2_per_1000"] > p["carbon-aware"]["gco2_per_1000"]
    assert nog["by_model"]["smollm2-135m"] < p["carbon-aware"]["by_model"]["smollm2-135m"]
    # nothing deterministic: no hits
    out, _ = simulate(c12_san, "--calibration", str(tmp_path / "none.json"), "--days", "1", "--cacheable", "0")
    assert all(x["cache_hits"] == 0 for x in out["policies"]) and out["cacheable"] == 0


def test_deterministic_and_says_what_is_not_calibrated(c12_san, tmp_path):
    a, err = simulate(c12_san, "--calibration", str(tmp_path / "none.json"), "--days", "2", "--seed", "5")
    b, _ = simulate(c12_san, "--calibration", str(tmp_path / "none.json"), "--days", "2", "--seed", "5")
    assert a == b
    # the catalogue models take the shipped reference rates, and say so
    assert "qwen2.5-coder-1.5b has no calibration" in err and "rates reference: " in err


def test_calibration_and_config_are_used(c12_san, tmp_path):
    cal = tmp_path / "cal.json"
    entry = {"method": "cputime-constant", "j_per_prompt_token": 0.1, "j_per_output_token": 0.2,
             "s_per_prompt_token": 0.01, "s_per_output_token": 0.02, "load_s": 0.1, "load_j": 1}
    cal.write_text(json.dumps({"version": 1, "models": {"smollm2-135m": entry}}))
    cfg = tmp_path / "c12.yaml"
    cfg.write_text("policy:\n  min_rating: 0.5\n  thresholds: []\n")
    out, err = simulate(c12_san, "--calibration", str(cal), "--config", str(cfg), "--days", "1")
    p = {x["name"]: x for x in out["policies"]}
    assert "smollm2-135m has no calibration" not in err
    assert "qwen2.5-coder-1.5b has no calibration" in err
    # 20 prompt-ish + 256 output tokens at 0.2 J: about 60 J a request
    assert 40 < p["always-smallest"]["j_per_request"] < 120
    # without thresholds the carbon-aware policy never gives up adequacy
    assert p["carbon-aware"]["adequate"] >= p["code-only"]["adequate"]


def test_bad_config_names_file_line_key(c12_san, tmp_path):
    cfg = tmp_path / "c12.yaml"
    cfg.write_text("policy:\n  min_rating: 0.5\n  treshold: 3\n")
    r = run([c12_san, "simulate", "--workload", str(DEV), "--config", str(cfg)], timeout=60)
    assert r.returncode == 1
    assert f"{cfg}:3: policy.treshold" in r.stderr


def test_deferral_year(c12_san):
    """`c12 simulate --deferral` over the bundled GB 2023 trace: one JSON object per window, the oracle
    at least as clean as C12's schedule and C12's at least as clean as running at arrival; a longer
    window saves more."""
    r = run([c12_san, "simulate", "--deferral", "--trace", str(TRACE), "--window", "4h,24h", "--json"], timeout=120)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["window_h"] for x in rows] == [4, 24]
    for x in rows:
        assert {"window_h", "arrival_g", "c12_g", "oracle_g", "saving_pct", "fraction_of_oracle"} <= set(x)
        assert x["oracle_g"] <= x["c12_g"] < x["arrival_g"]
        assert 0 < x["fraction_of_oracle"] <= 1 and x["jobs"] > 4000
        assert x["saving_pct"] == pytest.approx(100 * (x["arrival_g"] - x["c12_g"]) / x["arrival_g"], abs=0.01)
    assert rows[1]["saving_pct"] > rows[0]["saving_pct"]
    bad = run([c12_san, "simulate", "--deferral", "--window", "10m"], timeout=60)
    assert bad.returncode == 1 and "cannot hold" in bad.stderr
