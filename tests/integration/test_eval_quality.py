"""`c12 eval-quality`: a bounded run on the first MBPP test-split tasks with
smollm2-135m (JSON shape, Wilson interval), and the sandbox: code that loops
forever is killed at the time limit, in a subprocess."""
import json
import time

import pytest

from conftest import SHARED, model_path, run

MBPP = SHARED / "data" / "quality" / "mbpp.jsonl"


@pytest.fixture(scope="module")
def have_smollm2():
    if not model_path("smollm2-135m").exists():
        pytest.skip("smollm2-135m not in the cache (make models)")


def test_three_tasks_json(c12, have_smollm2):
    r = run([c12, "eval-quality", "-m", "smollm2-135m", "--tasks", str(MBPP), "--n", "3", "--json",
             "--max-tokens", "96"], timeout=600)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["model"] == "smollm2-135m" and out["n"] == 3 and out["greedy"] is True
    assert [t["task_id"] for t in out["tasks"]] == [11, 12, 13]
    assert all(t["result"] in ("pass", "fail", "timeout", "no_code") for t in out["tasks"])
    assert out["passed"] == sum(t["result"] == "pass" for t in out["tasks"])
    lo, hi = out["ci95"]
    assert 0 <= lo <= out["pass_at_1"] <= hi <= 1
    assert sum(n for _, n in out["by_tier"].values()) == 3


def test_sandbox_kills_a_loop(c12, have_smollm2, tmp_path):
    # The setup code runs before the model's code: it never ends.
    tasks = tmp_path / "loop.jsonl"
    tasks.write_text(json.dumps({"text": "Write a function that returns 1.",
                                 "test_setup_code": "while True:\n    pass",
                                 "test_list": ["assert f() == 1"]}) + "\n")
    t0 = time.monotonic()
    r = run([c12, "eval-quality", "-m", "smollm2-135m", "--tasks", str(tasks), "--n", "1", "--timeout", "1",
             "--json", "--max-tokens", "64"], timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    # greedy: the answer (a function f) is the same every run, so the program runs and never ends
    assert out["tasks"][0]["result"] == "timeout"
    assert out["timeouts"] == 1 and 0.9 < out["tasks"][0]["test_s"] < 5
    assert time.monotonic() - t0 < 240


def test_bad_tasks_file(c12_san, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "no tests"}\n')
    r = run([c12_san, "eval-quality", "-m", "smollm2-135m", "--tasks", str(bad)], timeout=60)
    assert r.returncode == 1 and "bad.jsonl:1" in r.stderr
