"""Integration tests of `c12 calibrate` on the default model (optimized
binary: it runs the model), bounded in time, and of its stored file."""
import json
import os
import time

import pytest

from conftest import model_path, run

SMOL = model_path("smollm2-135m")


@pytest.mark.skipif(not SMOL.exists(), reason="smollm2-135m not pulled")
def test_calibrate_json_smollm(c12, tmp_path):
    out = tmp_path / "cal.json"
    t0 = time.time()
    r = run([c12, "calibrate", "-m", "smollm2-135m", "--json", "--out", str(out),
             "-p", "32", "-n", "16", "--max-seconds", "5"], timeout=120)
    assert r.returncode == 0, r.stderr
    assert time.time() - t0 < 60
    assert "meter" in r.stderr
    got = json.loads(r.stdout)["models"]["smollm2-135m"]
    assert got["method"] in ("rapl", "cputime-tdp", "cputime-constant")
    assert got["j_per_prompt_token"] > 0 and got["j_per_output_token"] > 0
    assert got["s_per_prompt_token"] > 0 and got["s_per_output_token"] > 0
    assert got["prompt_tokens"] == 32 and 4 <= got["output_tokens"] <= 16
    stored = json.loads(out.read_text())
    assert stored["version"] == 1 and "smollm2-135m" in stored["models"]


@pytest.mark.skipif(not SMOL.exists(), reason="smollm2-135m not pulled")
def test_calibrate_keeps_other_models(c12, tmp_path):
    out = tmp_path / "cal.json"
    out.write_text(json.dumps({"version": 1, "models": {
        "other": {"j_per_prompt_token": 1, "j_per_output_token": 2}}}))
    r = run([c12, "calibrate", "-m", "smollm2-135m", "--out", str(out), "-p", "16", "-n", "8",
             "--watts-per-core", "10"], timeout=120)
    assert r.returncode == 0, r.stderr
    assert "smollm2-135m" in r.stdout and "J/token" in r.stdout
    stored = json.loads(out.read_text())["models"]
    assert set(stored) == {"other", "smollm2-135m"}
    assert stored["smollm2-135m"]["method"] == "cputime-config"
    assert stored["smollm2-135m"]["watts_per_core"] == 10


def test_calibrate_errors(c12_san, tmp_path):
    env = dict(os.environ, C12_HOME=str(tmp_path))
    r = run([c12_san, "calibrate", "-m", "no-such-model", "--no-save"], env=env)
    assert r.returncode == 1 and "no-such-model" in r.stderr
    assert run([c12_san, "calibrate", "-p", "0"], env=env).returncode == 2
    r = run([c12_san, "calibrate", "--meter", "nvml", "-m", "smollm2-135m"], env=env)
    assert r.returncode == 1 and "unknown meter" in r.stderr


@pytest.mark.skipif(not SMOL.exists(), reason="smollm2-135m not pulled")
def test_calibrate_from_config(c12, tmp_path):
    cfg = tmp_path / "c12.yaml"
    cfg.write_text("models:\n  - id: small\n    source: smollm2-135m\n    threads: 1\n")
    out = tmp_path / "cal.json"
    r = run([c12, "calibrate", "--config", str(cfg), "--out", str(out), "-p", "16", "-n", "8"],
            timeout=120)
    assert r.returncode == 0, r.stderr
    got = json.loads(out.read_text())["models"]
    assert set(got) == {"small"} and got["small"]["threads"] == 1
    r = run([c12, "calibrate", "--config", str(cfg), "-m", "nope", "--no-save"])
    assert r.returncode == 1 and "no model 'nope'" in r.stderr
