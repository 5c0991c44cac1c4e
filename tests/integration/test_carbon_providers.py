"""Each provider against its fake: real-shaped answers become the same
reading, units converted; WattTime's token is reused and renewed on 401;
Electricity Maps' key travels only in its header."""
import json

import pytest

from carbon_helpers import (EM_KEY, LBS_TO_G, WT_PASSWORD, Watch, answered_by, fakes, now_json,  # noqa: F401
                            run_c12, write_config)


def test_same_intensity_in_three_wire_formats_is_the_same_reading(c12_san, fakes, tmp_path):  # noqa: F811
    fakes.em.value = 200
    fakes.wt.moer_lbs = 200 / LBS_TO_G
    fakes.uk.actual = 200
    cfg = write_config(tmp_path / "c.yaml", fakes, ["em", "wt", "uk"])
    got = {p: now_json(c12_san, cfg, "--provider", p)[0] for p in ("em", "wt", "uk")}
    for p, r in got.items():
        assert r["intensity"] == pytest.approx(200, abs=1e-6), p
        assert r["unit"] == "gCO2eq/kWh" and r["provider"] == p
    assert got["em"]["kind"] == "average" and got["uk"]["kind"] == "average"
    assert got["wt"]["kind"] == "marginal"  # a MOER, not an average
    assert got["em"]["source_unit"] == "gCO2eq/kWh"
    assert got["wt"]["source_unit"] == "lbs_co2_per_mwh"


def test_electricitymaps(c12_san, fakes, tmp_path):  # noqa: F811
    cfg = write_config(tmp_path / "c.yaml", fakes, ["em"])
    r, _ = now_json(c12_san, cfg)
    assert r["intensity"] == 250 and r["region"] == "GB" and r["type"] == "electricitymaps"
    reqs = fakes.em.requests("/v3/carbon-intensity/latest")
    assert len(reqs) == 1
    req = reqs[0]
    assert req["headers"].get("auth-token") == EM_KEY
    assert req["query"] == "zone=GB"
    # the key travels in its header and nowhere else
    for k, v in req["headers"].items():
        assert k.lower() == "auth-token" or EM_KEY not in v, k
    assert EM_KEY not in req["raw_path"]
    fc = run_c12(c12_san, "forecast", "--config", cfg, "--hours", "5", "--json")
    assert fc.returncode == 0, fc.stderr
    pts = json.loads(fc.stdout)
    assert 5 <= len(pts) <= 6 and pts[0]["intensity"] in (250, 251)


def test_electricitymaps_wrong_key(c12_san, fakes, tmp_path):  # noqa: F811
    fakes.em.key = "another-key"
    cfg = write_config(tmp_path / "c.yaml", fakes, ["em"])
    r = run_c12(c12_san, "now", "--config", cfg)
    assert r.returncode == 1 and "HTTP 401" in r.stderr and EM_KEY not in r.stderr + r.stdout


def test_watttime(c12_san, fakes, tmp_path):  # noqa: F811
    cfg = write_config(tmp_path / "c.yaml", fakes, ["wt"])
    r, _ = now_json(c12_san, cfg)
    assert r["intensity"] == pytest.approx(1000 * LBS_TO_G)
    assert r["kind"] == "marginal" and r["percentile"] == 56 and r["region"] == "CAISO_NORTH"
    assert fakes.wt.logins == 1
    logins = fakes.wt.requests("/login")
    assert logins[0]["headers"]["Authorization"].startswith("Basic ")
    data = fakes.wt.requests("/v3/")
    assert {d["path"] for d in data} == {"/v3/signal-index", "/v3/forecast"}
    assert all(d["headers"]["Authorization"].startswith("Bearer ") for d in data)
    assert all("region=CAISO_NORTH" in d["query"] and "signal_type=co2_moer" in d["query"] for d in data)


def test_watttime_token_reused_then_renewed_on_401(c12_san, fakes, tmp_path):  # noqa: F811
    cfg = write_config(tmp_path / "c.yaml", fakes, ["wt"], ttl=0.2)
    w = Watch(c12_san, cfg, seconds=20, interval_ms=100)
    try:
        w.until(answered_by("wt"), timeout=10)
        w.until(lambda l: l["providers"][0]["fetches"] >= 4, timeout=10)
        assert fakes.wt.logins == 1  # one token, reused for every call
        fakes.wt.revoke_tokens()  # the next data call answers 401
        w.until(lambda _: fakes.wt.logins == 2, timeout=10)
        before = len(fakes.wt.requests("/v3/"))
        w.until(lambda _: len(fakes.wt.requests("/v3/")) >= before + 4, timeout=10)
        assert fakes.wt.logins == 2  # renewed once, then reused again
        assert all(l["ok"] and l["provider"] == "wt" for l in w.lines)  # never a gap in answers
    finally:
        out, err = w.close()
    statuses = [r["status"] for r in fakes.wt.requests("/v3/")]
    assert 401 in statuses
    assert WT_PASSWORD not in out + err


def test_ukgrid_national_actual_and_null_actual(c12_san, fakes, tmp_path):  # noqa: F811
    cfg = write_config(tmp_path / "c.yaml", fakes, ["uk"])
    r, _ = now_json(c12_san, cfg)
    assert r["intensity"] == 190 and not r["is_forecast"] and r["index"] == "high" and r["region"] == "GB"
    fakes.uk.fault = "null_actual"
    r, _ = now_json(c12_san, cfg)
    assert r["intensity"] == 200 and r["is_forecast"]  # the forecast stands in, flagged
    assert fakes.uk.requests("/intensity")[0]["path"] == "/intensity"


def test_ukgrid_regional_and_forecast(c12_san, fakes, tmp_path):  # noqa: F811
    cfg = write_config(tmp_path / "c.yaml", fakes, ["uk"], uk_region=13)
    r, _ = now_json(c12_san, cfg)
    assert r["intensity"] == 120 and r["region"] == "London" and r["is_forecast"]
    fc = run_c12(c12_san, "forecast", "--config", cfg, "--hours", "3", "--json")
    assert fc.returncode == 0, fc.stderr
    assert 6 <= len(json.loads(fc.stdout)) <= 7  # the current half-hour, then 3 h
    paths = [q["path"] for q in fakes.uk.requests("/regional")]
    assert "/regional/regionid/13" in paths
    assert any(p.startswith("/regional/intensity/") and p.endswith("/fw48h/regionid/13") for p in paths)
    r, _ = now_json(c12_san, cfg, "--region", "1")
    assert r["region"] == "North Scotland"


def test_missing_key_variable_is_named_not_fatal(c12_san, fakes, tmp_path):  # noqa: F811
    cfg = write_config(tmp_path / "c.yaml", fakes, ["em", "static"])
    text = (tmp_path / "c.yaml").read_text().replace("C12_TEST_EM_KEY", "C12_TEST_UNSET_KEY")
    (tmp_path / "c.yaml").write_text(text)
    r, _ = now_json(c12_san, cfg)
    assert r["provider"] == "static"  # the chain goes on without the key
    r = run_c12(c12_san, "now", "--config", cfg, "--provider", "em")
    assert r.returncode == 1 and "C12_TEST_UNSET_KEY is not set" in r.stderr
    assert fakes.em.requests() == []  # no request without a key
