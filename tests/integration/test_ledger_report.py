"""Integration tests of the ledger through the real binary: `c12 ledger
add-test-rows` fills a database through the batch writer, `c12 report` reads
it back as text and CSV, with and without a calibration for the
counterfactual (without one, the policy's estimate from the model's size). Quick: the sanitizer binary."""
import csv
import io
import json

from conftest import run


def _fill(c12_san, db, n=300):
    r = run([c12_san, "ledger", "add-test-rows", "--db", str(db), "--n", str(n)])
    assert r.returncode == 0, r.stderr
    assert f"added {n} rows" in r.stdout


def _csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_report_text_and_csv(c12_san, tmp_path):
    db = tmp_path / "sub" / "ledger.db"  # the folder is created
    _fill(c12_san, db)
    env = {"C12_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    r = run([c12_san, "report", "--db", str(db)], env=env)
    assert r.returncode == 0, r.stderr
    assert "300 requests" in r.stdout
    for part in ("by model:", "by category:", "by day:", "qwen2.5-coder-1.5b", "smollm2-135m"):
        assert part in r.stdout
    # no calibration: the saving still shows, at the shipped reference rates
    assert "counterfactual (every request on qwen2.5-coder-1.5b, the strongest model; rates reference: " in r.stdout
    assert "counterfactual (every request on smollm2-135m, the default model; rates reference: " in r.stdout
    assert "saved" in r.stdout and "unknown" not in r.stdout
    r = run([c12_san, "report", "--db", str(db), "--strongest", "nosuch-model"], env=env)
    assert r.returncode == 0 and "unknown, the policy has no rates for nosuch-model" in r.stdout, r.stdout

    r = run([c12_san, "report", "--db", str(db), "--csv"], env=env)
    assert r.returncode == 0, r.stderr
    rows = _csv(r.stdout)
    total = [x for x in rows if x["group"] == "total"][0]
    assert int(total["requests"]) == 300
    models = {x["key"]: x for x in rows if x["group"] == "model"}
    assert sum(int(x["requests"]) for x in models.values()) == 300
    assert {x["group"] for x in rows} == {"total", "model", "category", "day", "counterfactual"}
    days = [x for x in rows if x["group"] == "day"]
    assert sum(int(x["requests"]) for x in days) == 300
    assert abs(sum(float(x["co2_g"]) for x in models.values()) - float(total["co2_g"])) < 1e-6
    cf = [x for x in rows if x["group"] == "counterfactual"][0]
    assert cf["key"] == "qwen2.5-coder-1.5b" and float(cf["co2_g"]) > 0 and float(cf["energy_j"]) > 0
    assert cf["key2"] == "strongest" and cf["basis"].startswith("reference: ")
    # each row's saving is its counterfactual minus what it emitted
    for x in rows[:-2]:
        assert abs(float(x["strongest_co2_g"]) - float(x["co2_g"]) - float(x["saved_vs_strongest_g"])) < 1e-5


def test_report_counterfactual_with_calibration(c12_san, tmp_path):
    db = tmp_path / "ledger.db"
    _fill(c12_san, db, 60)
    cal = tmp_path / "cal.json"
    cal.write_text(json.dumps({"version": 1, "models": {
        "qwen2.5-coder-1.5b": {"j_per_prompt_token": 5.0, "j_per_output_token": 5.0}}}))
    r = run([c12_san, "report", "--db", str(db), "--csv", "--calibration", str(cal)])
    assert r.returncode == 0, r.stderr
    rows = _csv(r.stdout)
    total = [x for x in rows if x["group"] == "total"][0]
    cf = [x for x in rows if x["group"] == "counterfactual"][0]
    assert cf["basis"] == "calibrated"
    tokens = int(total["prompt_tokens"]) + int(total["completion_tokens"])
    assert abs(float(cf["energy_j"]) - 5.0 * tokens) < 1e-6
    # test rows cost 0.5, 5 or 1 J per token: everything on qwen costs more
    assert float(cf["co2_g"]) > float(total["co2_g"])
    r = run([c12_san, "report", "--db", str(db), "--calibration", str(cal)])
    assert "saved" in r.stdout


def test_report_since_and_errors(c12_san, tmp_path):
    db = tmp_path / "ledger.db"
    _fill(c12_san, db, 100)
    r = run([c12_san, "report", "--db", str(db), "--csv", "--since", "90s"])
    assert r.returncode == 0, r.stderr
    total = [x for x in _csv(r.stdout) if x["group"] == "total"]
    assert total and 0 < int(total[0]["requests"]) < 100
    assert run([c12_san, "report", "--db", str(db), "--since", "7x"]).returncode == 2
    r = run([c12_san, "report", "--db", str(tmp_path / "missing.db")])
    assert r.returncode == 1 and "missing.db" in r.stderr
    assert not (tmp_path / "missing.db").exists()
    r = run([c12_san, "ledger", "info", "--db", str(db)])
    assert r.returncode == 0 and "100 requests" in r.stdout


def test_rows_survive_reopen(c12_san, tmp_path):
    db = tmp_path / "ledger.db"
    for _ in range(3):
        _fill(c12_san, db, 50)
    r = run([c12_san, "ledger", "info", "--db", str(db)])
    assert "150 requests" in r.stdout
