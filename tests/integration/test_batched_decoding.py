"""Batched decoding (docs/architecture.md "Batched decoding"): the slots of a
model share forward steps, and every answer is the same tokens it would be
alone. Real smollm2-135m on the sanitizer binary, greedy: requests sent at
once to a model with several slots (a long prompt read in chunks beside the
others' decodes, a stop string, a stream, different lengths) answer exactly
what a one-slot server answers one request at a time, with chunked prefill
on and off; the steps were shared (the engine's metrics), and the requests'
metered CPU time adds up to the steps' (energy split, docs/energy.md)."""
import json
import re
import subprocess
import threading

import pytest

from server_helpers import Server, open_stream, recv_all, sse_events

MODEL = "smollm2-135m"
SYSTEM = ("You are a patient teacher. " * 30).strip()  # ~150 tokens: read in several chunks
REQUESTS = [
    {"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "What is a noun?"}],
     "max_tokens": 24},
    {"messages": [{"role": "user", "content": "Write a haiku about the sea."}], "max_tokens": 40},
    {"messages": [{"role": "user", "content": "Count from one to twenty in words."}], "max_tokens": 48,
     "stop": ["seven"]},
    {"messages": [{"role": "user", "content": "Name three planets."}], "max_tokens": 32, "stream": True},
    {"messages": [{"role": "user", "content": "What is 17 times 23?"}], "max_tokens": 16},
    {"prompt": "The three primary colours are", "max_tokens": 20},
]
ENERGY = "energy: {meter: cputime, watts_per_core: 1}\n"  # joules = CPU seconds


def config(extra=""):
    return ("cache: {enabled: false}\n" + ENERGY +
            f"models:\n  - {{id: {MODEL}, source: {MODEL}, context: 1024{extra}}}\n")


def ask(srv, req):
    """The answer's text and its metered energy (usage.c12.energy_j)."""
    body = dict(req, model=MODEL, temperature=0)
    path = "/v1/completions" if "prompt" in req else "/v1/chat/completions"
    if req.get("stream"):
        body["stream_options"] = {"include_usage": True}
        s, head = open_stream(srv, body)
        try:
            events, whole = sse_events(head + recv_all(s))
        finally:
            s.close()
        assert whole
        chunks = [json.loads(e[len("data: "):]) for e in events if e != "data: [DONE]"]
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
        usage = [c["usage"] for c in chunks if c.get("usage")][-1]
        return text, usage["c12"]["energy_j"]
    st, raw = srv.post(path, body)
    assert st == 200, raw
    r = json.loads(raw)
    ch = r["choices"][0]
    return (ch["text"] if "prompt" in req else ch["message"]["content"]), r["usage"]["c12"]["energy_j"]


def at_once(srv, reqs):
    out, errors = [None] * len(reqs), []

    def one(i):
        try:
            out[i] = ask(srv, reqs[i])
        except Exception as e:  # reported below, with the others' results
            errors.append(repr(e))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(reqs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    return out


def engine_metrics(srv):
    st, text = srv.get("/metrics")
    assert st == 200
    m = {}
    for name in ("steps_total", "step_sequences_total", "step_tokens_total", "step_cpu_seconds_total"):
        found = re.search(r'^c12_engine_%s\{model="%s"\} (\S+)$' % (name, MODEL), text, re.M)
        m[name] = float(found.group(1)) if found else 0.0
    return m


@pytest.fixture(scope="module")
def alone(c12_san):
    srv = Server(c12_san, config())
    try:
        yield [ask(srv, r)[0] for r in REQUESTS]
    finally:
        srv.stop()


def served_at_once(binary, extra):
    """REQUESTS sent at once to a fresh server: the answers, and the
    engine's metrics before and after."""
    srv = Server(binary, config(extra))
    try:
        before = engine_metrics(srv)
        got = at_once(srv, REQUESTS)
        return got, before, engine_metrics(srv)
    finally:
        srv.stop()


def test_batched_answers_equal_the_answers_alone(c12_san, alone):
    got, before, after = served_at_once(c12_san, ", slots: 4, prefill_chunk: 16")
    assert [g[0] for g in got] == alone
    steps = after["steps_total"] - before["steps_total"]
    seqs = after["step_sequences_total"] - before["step_sequences_total"]
    assert steps > 0 and seqs / steps > 1.5, (steps, seqs)  # the steps were shared


def test_the_requests_energy_adds_up_to_the_steps(c12):
    """Each request's CPU time is its share of the steps plus its own
    thread's work around them (sampling, text: under 1% on the optimized
    build): together no less than the steps' time, and hardly more. Were
    the leading thread's part counted twice, it would be half as much again."""
    got, before, after = served_at_once(c12, ", slots: 4")
    step_cpu = after["step_cpu_seconds_total"] - before["step_cpu_seconds_total"]
    metered = sum(g[1] for g in got)
    assert all(g[1] > 0 for g in got)
    assert step_cpu * 0.999 <= metered <= step_cpu * 1.1 + 0.05, (metered, step_cpu)


def test_without_chunked_prefill_the_answers_are_the_same(c12_san, alone):
    srv = Server(c12_san, config(", slots: 3, chunked_prefill: false"))
    try:
        got = at_once(srv, REQUESTS)  # more requests than slots: the rest queue
    finally:
        srv.stop()
    assert [g[0] for g in got] == alone


def test_max_batch_one_shares_nothing(c12_san):
    srv = Server(c12_san, config(", slots: 2, max_batch: 1"))
    try:
        at_once(srv, REQUESTS[:2])
        assert engine_metrics(srv)["steps_total"] == 0
    finally:
        srv.stop()


def test_bad_batch_keys_are_config_errors(c12, tmp_path):
    cfg = tmp_path / "c12.yaml"
    for extra, msg in ((", max_batch: 65", "max_batch: must be an integer from 0 to 64"),
                       (", prefill_chunk: 0", "prefill_chunk: must be an integer from 1 to 4096"),
                       (", chunked_prefill: sometimes", "chunked_prefill")):
        cfg.write_text(config(extra))
        r = subprocess.run([c12, "config", "check", str(cfg)], capture_output=True, text=True, timeout=30)
        assert r.returncode == 1 and f"{cfg}:4: models[0].{msg}" in r.stderr, r.stderr


def test_bench_sequences_share_steps(c12_san):
    """`c12 bench -s K` (the batched decoding bench without the server): K
    sessions on one batcher decode together, so the steps carry several
    sequences each; both rates are reported and the ratio is theirs."""
    from conftest import model_path, run
    r = run([c12_san, "bench", "-m", str(model_path(MODEL)), "-p", "8", "-n", "6", "-s", "3", "-r", "1", "--json"])
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["seqs"] == 3 and out["decode_tokens"] == 6 and out["one_tps"] > 0 and out["seqs_tps"] > 0
    assert out["ratio"] == pytest.approx(out["seqs_tps"] / out["one_tps"], rel=1e-2)
    # the three together: 3 a step, but for prompt steps a sequence reached alone
    assert 1.5 < out["seqs_per_step"] <= 3
    for bad in (["-s", "0"], ["-s", "17"], ["-p", "0"]):
        r = run([c12_san, "bench", "-m", str(model_path(MODEL)), *bad])
        assert r.returncode == 2 and "-s 1 to 16" in r.stderr, (bad, r.stderr)
