"""`c12 eval-quality`: a bounded run on the first MBPP test-split tasks and on
three general questions (one per router tier) with smollm2-135m (JSON shape,
Wilson interval, by_tier); canned replies (--replies) scored end to end
without a model, code rows through the sandbox, answer rows through the
matcher and grounded rows (data/quality/grounded.jsonl) by their key spans; and the sandbox: code that loops forever is killed at the time
limit, in a subprocess."""
import json
import time

import pytest

from conftest import ROOT, model_path, run

MBPP = ROOT / "data" / "quality" / "mbpp.jsonl"
GENERAL = ROOT / "data" / "quality" / "general.jsonl"
GROUNDED = ROOT / "data" / "quality" / "grounded.jsonl"


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
    check_tiers(out)
    assert sum(t["n"] for t in out["by_tier"].values()) == 3


def check_tiers(out):
    assert set(out["by_tier"]) == {"low", "medium", "high"}
    for t in out["by_tier"].values():
        assert 0 <= t["passed"] <= t["n"] and t["rate"] == (round(t["passed"] / t["n"], 4) if t["n"] else 0)
    assert sum(t["passed"] for t in out["by_tier"].values()) == out["passed"]


def test_general_rows_json(c12, have_smollm2, tmp_path):
    # rows 1, 21 and 41 of the general set: one per router tier
    rows = GENERAL.read_text().splitlines()
    tasks = tmp_path / "general3.jsonl"
    tasks.write_text("\n".join(rows[i] for i in (0, 20, 40)) + "\n")
    r = run([c12, "eval-quality", "-m", "smollm2-135m", "--tasks", str(tasks), "--n", "3", "--json",
             "--max-tokens", "24"], timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["n"] == 3 and out["chat"] is True
    assert [t["tier"] for t in out["tasks"]] == ["low", "medium", "high"]
    assert [t["row"] for t in out["tasks"]] == [1, 2, 3]
    for t in out["tasks"]:
        assert t["task_id"] == -1 and t["result"] in ("pass", "fail", "no_answer") and t["test_s"] < 1
        assert isinstance(t["answer"], str) and t["answer"] in t["reply"] and t["tokens"] <= 24
        assert t["truncated"] == (t["tokens"] == 24) and (t["result"] != "no_answer" or t["truncated"])
    check_tiers(out)
    assert all(t["n"] == 1 for t in out["by_tier"].values())


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(x) + "\n" for x in rows))
    return str(path)


def test_canned_replies_scored_end_to_end(c12_san, tmp_path):
    rows = GENERAL.read_text().splitlines()
    tasks = [json.loads(rows[i]) for i in (0, 20, 43)]  # Canberra; 8.20 dollars; 1331 dollars
    tasks.append({"text": "Write a function to add one to a number.", "test_list": ["assert f(1) == 2"]})
    replies = ["The capital is Canberra.\nAnswer: **Canberra**",
               "First 12 pencils cost 1.80.\nAnswer: 8.02",           # wrong
               "After three years: 1,331.00 dollars.",                # no marker: the last line
               "```python\ndef f(x):\n    return x + 1\n```"]
    r = run([c12_san, "eval-quality", "--tasks", write_jsonl(tmp_path / "t.jsonl", tasks),
             "--replies", write_jsonl(tmp_path / "r.jsonl", replies), "--n", "4", "--json"], timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [t["result"] for t in out["tasks"]] == ["pass", "fail", "pass", "pass"]
    assert out["tasks"][0]["answer"] == " **Canberra**" and "answer" not in out["tasks"][3]
    assert out["passed"] == 3 and out["n"] == 4 and out["model"] == "replies"
    check_tiers(out)
    assert out["by_tier"]["high"] == {"n": 1, "passed": 1, "rate": 1.0}
    assert out["by_tier"]["medium"] == {"n": 1, "passed": 0, "rate": 0.0}
    # a base model's reply continues "Answer:": its first line is the answer
    r = run([c12_san, "eval-quality", "--tasks", write_jsonl(tmp_path / "t1.jsonl", tasks[:1]), "--completion",
             "--replies", write_jsonl(tmp_path / "r1.jsonl", [" Canberra\nQuestion: What is 2 + 2?\nAnswer: 4"])],
            timeout=60)
    assert r.returncode == 0, r.stderr
    assert "pass@1 1/1" in r.stdout and "completion prompt" in r.stdout and "low 1/1 = 1.000" in r.stderr
    # a chat reply cut off at the token limit before an answer line gave no answer
    cut = [{"reply": "Three pencils cost 45 cents, so 8.20 is", "truncated": True},
           {"reply": "Answer: 1331", "truncated": True}]
    r = run([c12_san, "eval-quality", "--tasks", write_jsonl(tmp_path / "t2.jsonl", tasks[1:3]), "--n", "2",
             "--json", "--replies", write_jsonl(tmp_path / "r2.jsonl", cut)], timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [t["result"] for t in out["tasks"]] == ["no_answer", "pass"]
    assert all(t["truncated"] for t in out["tasks"])
    # fewer replies than rows
    r = run([c12_san, "eval-quality", "--tasks", str(tmp_path / "t.jsonl"), "--n", "4",
             "--replies", str(tmp_path / "r1.jsonl")], timeout=60)
    assert r.returncode == 1 and "1 replies for 4 rows" in r.stderr


def test_grounded_replies_scored_end_to_end(c12_san, tmp_path):
    rows = [json.loads(x) for x in GROUNDED.read_text().splitlines()]
    assert len(rows) == 60 and [r["category"] for r in rows[::20]] == ["closed_qa", "information_extraction",
                                                                         "summarization"]
    tasks = rows[:3]  # Colnago: Ferrari; the viola; Aguero
    replies = ["Given the paragraph, Colnago worked with **Ferrari** on new carbon fiber technology.",
               "That would be the cello, which is tuned an octave below.",  # wrong
               {"reply": "The winner was scored by Sergio Ag\u00fcero in stoppage time, making it 3-2 and", "truncated": True}]
    r = run([c12_san, "eval-quality", "--tasks", write_jsonl(tmp_path / "g.jsonl", tasks),
             "--replies", write_jsonl(tmp_path / "r.jsonl", replies), "--n", "3", "--json"], timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    # anywhere in the reply, no answer line needed; a cut-off reply is scored on what it holds
    assert [t["result"] for t in out["tasks"]] == ["pass", "fail", "pass"]
    assert all(t["category"] == "closed_qa" and t["answer"] == t["reply"] for t in out["tasks"])
    assert out["passed"] == 2 and out["n"] == 3
    check_tiers(out)
    # a base model's reply is its first line
    r = run([c12_san, "eval-quality", "--tasks", str(tmp_path / "g.jsonl"), "--completion", "--n", "1",
             "--replies", write_jsonl(tmp_path / "r1.jsonl", [" Fiat.\nColnago worked with Ferrari."])], timeout=60)
    assert r.returncode == 0, r.stderr
    assert "pass@1 0/1" in r.stdout


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
    bad.write_text('{"text": "q", "answers": ["a"], "test_list": ["assert 1"]}\n')
    r = run([c12_san, "eval-quality", "-m", "smollm2-135m", "--tasks", str(bad)], timeout=60)
    assert r.returncode == 1 and "either" in r.stderr
