"""`c12 carbon` with no configuration, its usage errors, the config errors
it reports, and the backtest of C12's forecaster against persistence."""
import json

from carbon_helpers import run_c12
from conftest import ROOT

BUNDLED = ROOT / "data" / "carbon" / "gb_2023-01-01_2023-12-31.csv"


def test_now_with_no_configuration_uses_the_bundled_trace(c12_san):
    r = run_c12(c12_san, "now", "--json")
    assert r.returncode == 0, r.stderr
    now = json.loads(r.stdout)
    assert now["provider"] == "trace" and now["type"] == "trace" and now["region"] == "GB"
    assert now["kind"] == "average"
    assert 26 <= now["intensity"] <= 309  # the 2023 GB range
    assert 0 <= now["age_s"] < 5
    table = run_c12(c12_san, "now")
    assert table.returncode == 0 and "gCO2eq/kWh" in table.stdout and "trace" in table.stdout


def test_data_dir_override(c12_san, tmp_path):
    (tmp_path / "carbon").mkdir()
    rows = "".join(f"2023-01-01T{h:02d}:{m:02d}:00Z,77\n" for h in range(24) for m in (0, 30))
    (tmp_path / "carbon" / BUNDLED.name).write_text("datetime,intensity_gco2_per_kwh\n" + rows)
    import subprocess, os
    env = dict(os.environ, C12_DATA_DIR=str(tmp_path))
    r = subprocess.run([c12_san, "carbon", "now", "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["intensity"] == 77


def test_forecast_json(c12_san):
    r = run_c12(c12_san, "forecast", "--hours", "6", "--json")
    assert r.returncode == 0, r.stderr
    fc = json.loads(r.stdout)
    assert len(fc) == 12  # half-hours
    for a, b in zip(fc, fc[1:]):
        assert a["to"] == b["from"]
    assert all(set(p) == {"from", "to", "intensity"} and p["intensity"] >= 0 for p in fc)
    t = run_c12(c12_san, "forecast", "--hours", "2")
    assert t.returncode == 0 and "forecast by c12" in t.stdout


def test_usage_errors_exit_2(c12_san):
    assert run_c12(c12_san, "--help").returncode == 0
    assert "backtest" in run_c12(c12_san, "now", "--help").stdout
    for args in (["frobnicate"], ["now", "--hours"], ["forecast", "--hours", "0"], ["now", "--colour", "red"],
                 ["now", "stray"], []):
        r = run_c12(c12_san, *args)
        assert r.returncode == 2, args
        assert "usage: c12 carbon" in r.stderr


def test_config_errors_name_file_line_and_key(c12_san, tmp_path):
    cfg = tmp_path / "c12.yaml"
    cfg.write_text("carbon:\n  providers:\n    em:\n      type: electricitymaps\n      zone: GB\n"
                   "      ttl_s: soon\n")
    r = run_c12(c12_san, "now", "--config", str(cfg))
    assert r.returncode == 1
    assert f"{cfg}:6: carbon.providers.em.ttl_s: must be a number" in r.stderr
    r = run_c12(c12_san, "now", "--config", str(tmp_path / "absent.yaml"))
    assert r.returncode == 1 and "absent.yaml" in r.stderr
    r = run_c12(c12_san, "now", "--provider", "nope")
    assert r.returncode == 1 and "no carbon provider named 'nope'" in r.stderr


def test_backtest_beats_persistence_on_gb_2023(c12):
    r = run_c12(c12, "backtest", "--trace", str(BUNDLED), "--json")
    assert r.returncode == 0, r.stderr
    bt = json.loads(r.stdout)
    assert set(bt["mae"]) == set(bt["persistence_mae"]) == {"1", "6", "24"}
    assert bt["mae"]["6"] < bt["persistence_mae"]["6"]
    assert bt["mae"]["24"] < bt["persistence_mae"]["24"]
    table = run_c12(c12, "backtest")
    assert table.returncode == 0 and "persistence" in table.stdout


def test_backtest_rejects_a_bad_trace(c12_san, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("datetime,intensity_gco2_per_kwh\n2023-01-01T00:00:00Z,abc\n")
    r = run_c12(c12_san, "backtest", "--trace", str(bad))
    assert r.returncode == 1 and "line 2" in r.stderr
