"""The policy: section as documented in docs/policy.md parses (through
`c12 simulate --config`) and equals the built-in defaults; a model without a
source of its ratings is refused."""
import json
import re

from conftest import ROOT, run

DEV = ROOT / "data" / "router" / "dev.jsonl"
CAL = ROOT / "docs" / "policy-calibration.json"


def sim(c12_san, *extra):
    r = run([c12_san, "simulate", "--workload", str(DEV), "--calibration", str(CAL), "--days", "2", "--json",
             *extra], timeout=120)
    return r


def test_documented_section_is_the_default(c12_san, tmp_path):
    doc = (ROOT / "docs" / "policy.md").read_text()
    block = re.search(r"```yaml\n(policy:.*?)```", doc, re.S).group(1)
    cfg = tmp_path / "c12.yaml"
    cfg.write_text(block)
    a, b = sim(c12_san, "--config", str(cfg)), sim(c12_san)
    assert a.returncode == 0, a.stderr
    assert json.loads(a.stdout) == json.loads(b.stdout)


def test_ratings_need_a_source(c12_san, tmp_path):
    cfg = tmp_path / "c12.yaml"
    cfg.write_text("policy:\n  models:\n    m:\n      params_b: 1\n      code: [0.5, 0.5, 0.5]\n"
                   "      general: [0.5, 0.5, 0.5]\n")
    r = sim(c12_san, "--config", str(cfg))
    assert r.returncode == 1
    assert f"{cfg}:3: policy.models.m" in r.stderr and "source" in r.stderr
