"""`c12 serve` end to end with the router, policy, meter and ledger:
model "auto" picks by category (x-c12-* headers; a question about a given
paragraph is grounded and follows the grounded ratings), explicit models bypass the
policy, streams carry their measured figures in the last chunk, every
generation request leaves one ledger row (read back with sqlite3 after
SIGTERM, and again after a restart), SIGHUP swaps the policy while a stream
is in flight and drops nothing, a model whose load fails gives way to the
next candidate, a bad x-c12-max-latency-ms is a 400.

Most tests run the sanitizer binary with two ids for the same small model
(smollm2-135m) and a test policy that rates one for code and the other for
general text, at a static carbon intensity, so the decisions are exact and
quick. One test routes between the real qwen2.5-coder-1.5b and smollm2-135m
with the built-in policy (optimized binary, two output tokens)."""
import http.client
import json
import re
import sqlite3
import subprocess
import time

import pytest

from conftest import model_path
from server_helpers import Server, error_of, open_stream, smollm

CODE = "Write a Python function that reverses a string."
GENERAL = "Name three renewable energy sources."
PASSAGE = ("The Forth Bridge is a cantilever railway bridge across the Firth of Forth in the east of Scotland. "
           "It was designed by the English engineers Sir John Fowler and Sir Benjamin Baker, and construction "
           "began in 1882. It opened on 4 March 1890.")
GROUNDED = "Given this paragraph, who designed the bridge?\n\n" + PASSAGE
INTENSITY = 123.0


def ratings(code, general, params_b=0.135, grounded=None):
    g = "" if grounded is None else f", grounded: [{grounded}, {grounded}, {grounded}]"
    return (f"{{chat: true, params_b: {params_b}, code: [{code}, {code}, {code}], "
            f"general: [{general}, {general}, {general}]{g}, source: test}}")


def config(coder=(0.9, 0.1), chatter=(0.1, 0.9), extra_models="", policy_models=None):
    models = policy_models if policy_models is not None else f"""
    coder: {ratings(*coder)}
    chatter: {ratings(*chatter)}"""
    return f"""
server: {{default_max_tokens: 4}}
models:
  - {{id: chatter, path: {smollm()}, context: 256}}
  - {{id: coder, path: {smollm()}, context: 256}}{extra_models}
default_model: chatter
carbon:
  chain: [static]
  providers:
    static: {{value: {INTENSITY}}}
policy:
  thresholds: []
  models:{models}
"""


def need(*names):
    for n in names:
        if not model_path(n).exists():
            pytest.skip(f"{n} is not in the model cache ({model_path(n)}); run: c12 models pull {n}")


def call(srv, body, path="/v1/chat/completions", headers=None, timeout=120):
    """POST; returns (status, headers as a lowercase dict, body text)."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    c.request("POST", path, json.dumps(body), dict({"Content-Type": "application/json"}, **(headers or {})))
    r = c.getresponse()
    out = r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
    c.close()
    return out


def chat(text, **kw):
    return dict({"model": "auto", "messages": [{"role": "user", "content": text}], "max_tokens": 3}, **kw)


def check_figures(h, c12=None):
    assert float(h["x-c12-carbon-intensity"]) == INTENSITY and h["x-c12-carbon-provider"] == "static"
    j, g = float(h["x-c12-energy-j"]), float(h["x-c12-co2-g"])
    assert j > 0 and g == pytest.approx(j / 3.6e6 * INTENSITY, rel=1e-3, abs=1e-6)
    if c12 is not None:
        assert c12["energy_j"] > 0 and c12["energy_method"].startswith(("cputime", "rapl"))
        assert c12["co2_g"] == pytest.approx(c12["energy_j"] / 3.6e6 * INTENSITY, rel=1e-6)
        assert c12["carbon_intensity"] == INTENSITY and c12["carbon_provider"] == "static"


def rows(path):
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    out = [dict(r) for r in con.execute("SELECT * FROM requests ORDER BY id")]
    con.close()
    return out


@pytest.fixture(scope="module")
def srv(c12_san):
    need("smollm2-135m")
    s = Server(c12_san, config())
    yield s
    s.stop()


def test_code_and_general_prompts_route_by_category(srv):
    st, h, body = call(srv, chat(CODE))
    assert st == 200, body
    r = json.loads(body)
    assert h["x-c12-model"] == "coder" == r["model"] and h["x-c12-route"].startswith("code/")
    assert "coder 0.90>=0.50, cleanest adequate" in h["x-c12-route"] and h["x-c12-energy-basis"] == "measured"
    check_figures(h, r["usage"]["c12"])
    assert r["usage"]["c12"]["model"] == "coder" and r["usage"]["c12"]["route"] == h["x-c12-route"]
    st, h, body = call(srv, chat(GENERAL), path="/v1/chat/completions")
    assert st == 200 and h["x-c12-model"] == "chatter" and h["x-c12-route"].startswith("general/")
    st, h, body = call(srv, {"model": "auto", "prompt": "def fib(n):\n    return", "max_tokens": 2},
                       path="/v1/completions")
    assert st == 200 and h["x-c12-model"] == "coder" and json.loads(body)["object"] == "text_completion"


def test_headers_and_usage_are_as_openapi_documents(srv):
    import jsonschema
    import yaml
    from conftest import ROOT
    spec = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    documented = spec["paths"]["/v1/chat/completions"]["post"]["responses"]["200"]["headers"]
    for body in (chat(GENERAL), chat(GENERAL, stream=True)):
        st, h, text = call(srv, body)
        assert st == 200 and set(documented) <= set(h), (sorted(documented), sorted(h))
    st, h, text = call(srv, chat(GENERAL))
    schema = {"$ref": "#/components/schemas/C12Usage", "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(json.loads(text)["usage"]["c12"])


def test_question_about_a_given_paragraph_routes_grounded(c12_san, tmp_path):
    # a third id of the same small model, rated for questions about a given
    # text only; chatter's grounded rating is low, so the policy must read the
    # grounded row to pick reader
    need("smollm2-135m")
    policy = f"""
    coder: {ratings(0.9, 0.1, grounded=0.1)}
    chatter: {ratings(0.1, 0.9, grounded=0.2)}
    reader: {ratings(0.1, 0.1, grounded=0.9)}"""
    extra = f"""
  - {{id: reader, path: {smollm()}, context: 512}}"""
    db = tmp_path / "ledger.db"
    s = Server(c12_san, config(extra_models=extra, policy_models=policy), ledger=db)
    try:
        st, h, body = call(s, chat(GROUNDED))
        assert st == 200, body
        assert h["x-c12-model"] == "reader" and h["x-c12-route"].startswith("grounded/"), h["x-c12-route"]
        assert "reader 0.90>=0.50, cleanest adequate" in h["x-c12-route"]
        assert json.loads(body)["usage"]["c12"]["route"] == h["x-c12-route"]
        # the passage in the system turn, the question in the last user turn
        st, h, _ = call(s, dict(chat("When did it open?"), messages=[
            {"role": "system", "content": "Answer from this document.\n\n" + PASSAGE},
            {"role": "user", "content": "When did it open?"}]))
        assert st == 200 and h["x-c12-model"] == "reader" and h["x-c12-route"].startswith("grounded/")
        st, h, _ = call(s, chat(GENERAL))
        assert st == 200 and h["x-c12-model"] == "chatter" and h["x-c12-route"].startswith("general/")
    finally:
        s.stop()
    got = rows(db)
    assert [(r["model"], r["category"]) for r in got] == [("reader", "grounded"), ("reader", "grounded"),
                                                           ("chatter", "general")]
    assert got[0]["route_reason"].startswith("grounded/") and got[0]["status"] == "ok"


def test_explicit_model_bypasses_the_policy(srv):
    st, h, body = call(srv, chat(GENERAL, model="coder"))
    assert st == 200 and h["x-c12-model"] == "coder" and h["x-c12-route"] == "explicit model"
    check_figures(h, json.loads(body)["usage"]["c12"])


def read_events(srv, body, headers=None):
    st, h, text = call(srv, body, headers=headers)
    assert st == 200 and h["content-type"] == "text/event-stream", text
    events = [e[len("data: "):] for e in text.split("\n\n") if e.startswith("data: ")]
    assert events[-1] == "[DONE]"
    return h, [json.loads(e) for e in events[:-1]]


def test_stream_carries_final_figures(srv):
    h, chunks = read_events(srv, chat(CODE, stream=True, stream_options={"include_usage": True}))
    assert h["x-c12-model"] == "coder" and h["x-c12-energy-basis"] == "estimate"
    check_figures(h)
    last = chunks[-1]
    assert last["choices"] == [] and last["usage"]["completion_tokens"] >= 1
    check_figures(h, last["usage"]["c12"])
    assert last["usage"]["c12"]["model"] == "coder" and last["usage"]["c12"]["route"] == h["x-c12-route"]
    # Without include_usage the finish chunk carries them as a top-level "c12" field.
    h, chunks = read_events(srv, chat(GENERAL, stream=True))
    assert all("usage" not in c for c in chunks) and chunks[-1]["choices"][0]["finish_reason"]
    check_figures(h, chunks[-1]["c12"])
    assert chunks[-1]["c12"]["model"] == "chatter"


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5", "", "99999999999"])
def test_bad_max_latency_header(srv, value):
    st, h, body = call(srv, chat(GENERAL), headers={"x-c12-max-latency-ms": value})
    e = error_of(body)
    assert st == 400 and e["code"] == "invalid_header" and e["type"] == "invalid_request_error"
    assert "x-c12-max-latency-ms" in e["message"]
    st, h, _ = call(srv, chat(GENERAL), headers={"x-c12-max-latency-ms": "600000"})
    assert st == 200 and h["x-c12-model"] == "chatter"


def test_ledger_rows_survive_sigterm_and_restart(c12_san, tmp_path):
    need("smollm2-135m")
    db = tmp_path / "ledger.db"
    s = Server(c12_san, config(), ledger=db)
    try:
        assert call(s, chat(CODE, user="alice"))[0] == 200
        assert call(s, chat(GENERAL, stream=True))[0] == 200
        assert call(s, chat(GENERAL, model="nope"))[0] == 404
        assert call(s, chat(GENERAL), headers={"x-c12-max-latency-ms": "x"})[0] == 400
        assert call(s, {"model": "auto", "messages": "x"})[0] == 400
        gone, _ = open_stream(s, chat(GENERAL, stream=True, max_tokens=200, ignore_eos=True))
        gone.close()  # the client goes away: its row says cancelled
        wait_for(s, "the client went away")
        # SIGTERM while a stream runs: it finishes within the grace period and its row is committed.
        late, _ = open_stream(s, chat(CODE, stream=True, max_tokens=6, ignore_eos=True))
    finally:
        s.stop()
    late.close()
    got = rows(db)
    assert [r["status"] for r in got] == ["ok", "ok", "rejected", "rejected", "rejected", "cancelled", "ok"]
    assert got[5]["completion_tokens"] < 200 and got[6]["completion_tokens"] == 6
    ok = got[0]
    assert ok["user"] == "alice" and ok["model"] == "coder" and ok["category"] == "code"
    assert ok["completion_tokens"] >= 1 and ok["prompt_tokens"] > 5 and ok["energy_j"] > 0
    assert ok["energy_method"].startswith(("cputime", "rapl")) and ok["intensity"] == INTENSITY
    assert ok["intensity_provider"] == "static" and ok["route_reason"].startswith("code/")
    assert ok["co2_g"] == pytest.approx(ok["energy_j"] / 3.6e6 * INTENSITY, rel=1e-6)
    assert 0 < ok["ttft_ms"] <= ok["total_ms"] and ok["queue_ms"] >= 0
    assert got[1]["model"] == "chatter" and got[1]["category"] == "general"
    assert got[2]["model"] == "nope" and got[2]["energy_j"] == 0
    assert len({r["request_id"] for r in got}) == 7
    s = Server(c12_san, config(), ledger=db)
    try:
        assert call(s, chat(GENERAL))[0] == 200
    finally:
        s.stop()
    assert len(rows(db)) == 8 and rows(db)[7]["status"] == "ok"


N_STREAM = 64  # long enough to still run across the reload on a fast machine


def wait_for(srv, pattern, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if re.search(pattern, srv.stderr()):
            return
        time.sleep(0.05)
    raise AssertionError(f"{pattern!r} not in: " + srv.stderr())


def test_sighup_swaps_the_policy_with_a_request_in_flight(c12_san, tmp_path):
    need("smollm2-135m")
    db = tmp_path / "ledger.db"
    s = Server(c12_san, config(), ledger=db)
    try:
        sock, got = open_stream(s, chat(GENERAL, stream=True, max_tokens=N_STREAM, ignore_eos=True))
        assert b"x-c12-model: chatter" in got
        s.reload(config(coder=(0.1, 0.9), chatter=(0.9, 0.1)))  # the two swap roles
        wait_for(s, "policy reloaded")
        reloaded_ms = time.time() * 1000
        st, h, _ = call(s, chat(GENERAL))
        assert st == 200 and h["x-c12-model"] == "coder"
        s.reload(config().replace("thresholds: []", "thresholds: [{above: 5, min_rating: 7}]"))
        wait_for(s, "not reloaded")
        st, h, _ = call(s, chat(GENERAL))
        assert st == 200 and h["x-c12-model"] == "coder"  # the bad file left the last good policy
        # to the end of the response (Connection: close): [DONE] may come
        # in the same read as the chunked encoding's last chunk, or before it
        while d := sock.recv(65536):
            got += d
        sock.close()
        assert b"data: [DONE]" in got, got[-300:]
        # every event of the stream from the model it started with (a token
        # whose text is held back, an unfinished UTF-8 sequence, has no event)
        assert b'"model":"coder"' not in got and got.count(b'"model":"chatter"') >= N_STREAM // 2
        assert b'"finish_reason":"length"' in got
    finally:
        s.stop()
    got_rows = rows(db)
    assert sorted((r["model"], r["status"]) for r in got_rows) == [("chatter", "ok"), ("coder", "ok"), ("coder", "ok")]
    stream = next(r for r in got_rows if r["model"] == "chatter")
    assert stream["completion_tokens"] == N_STREAM
    assert stream["time_ms"] + stream["total_ms"] > reloaded_ms  # it was generating across the swap


def test_failed_load_falls_back_to_the_next_candidate(c12_san, tmp_path):
    need("smollm2-135m")
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF this is not a model" * 10)
    policy = f"""
    coder: {ratings(0.9, 0.1)}
    chatter: {ratings(0.1, 0.9)}
    broken: {ratings(0.95, 0.95, params_b=0.05)}
    missing: {ratings(0.99, 0.99, params_b=0.01)}"""  # the smaller, the cleaner: both rank first
    extra = f"""
  - {{id: broken, path: {bad}}}
  - {{id: missing, path: {tmp_path / 'missing.gguf'}}}"""
    s = Server(c12_san, config(extra_models=extra, policy_models=policy))
    try:
        assert "missing (no model file)" in s.stderr()  # never a candidate
        st, h, body = call(s, chat(CODE))
        assert st == 200, body
        assert h["x-c12-model"] == "coder" and "broken 0.95>=0.50" in h["x-c12-route"]
        assert h["x-c12-route"].endswith("failed to load: broken")
        st, h, body = call(s, chat(GENERAL, model="broken"))  # asked for by name: the load error itself
        assert st == 500 and error_of(body)["code"] == "model_load_failed" and h["x-c12-route"] == "explicit model"
        assert call(s, chat(GENERAL))[0] == 200  # still serving
        st, h, _ = call(s, chat(CODE))  # passed over for a while: not loaded again
        assert st == 200 and h["x-c12-model"] == "coder" and h["x-c12-route"].endswith("failed to load: broken")
    finally:
        err = s.stop()
    assert err.count("broken failed to load") == 1, err


def real_models(smollm_context=256, policy=""):
    """The two catalogue chat models with the built-in (measured) ratings at INTENSITY."""
    need("smollm2-135m", "qwen2.5-coder-1.5b")
    return f"""
server: {{default_max_tokens: 2}}
models:
  - {{id: smollm2-135m, source: smollm2-135m, context: {smollm_context}}}
  - {{id: qwen2.5-coder-1.5b, source: qwen2.5-coder-1.5b, context: 256, threads: 1}}
default_model: smollm2-135m
carbon: {{chain: [static], providers: {{static: {{value: {INTENSITY}}}}}}}
{policy}"""


def test_real_models_code_to_qwen_general_to_smollm(c12):
    cfg = real_models(policy="policy: {thresholds: [{above: 100, min_rating: 0.3}]}\n")
    # the built-in (measured) ratings with a bar of 0.3 at 123 g/kWh: code
    # needs qwen2.5 (smollm2 0.10), a low-tier general prompt takes smollm2 (0.35)
    s = Server(c12, cfg)
    try:
        st, h, body = call(s, chat(CODE, max_tokens=2), timeout=300)
        assert st == 200 and h["x-c12-model"] == "qwen2.5-coder-1.5b", (h, body)
        assert re.match(r"code/\w+, 123 g/kWh \(high\): qwen2.5-coder-1.5b 0.55>=0.30",
                        h["x-c12-route"]), h["x-c12-route"]
        check_figures(h, json.loads(body)["usage"]["c12"])
        st, h, _ = call(s, chat(GENERAL, max_tokens=2))
        assert st == 200 and h["x-c12-model"] == "smollm2-135m" and "smollm2-135m 0.35>=0.30" in h["x-c12-route"]
    finally:
        s.stop()


def test_real_models_grounded_to_smollm_at_normal_intensity(c12):
    cfg = real_models(smollm_context=512)
    # the built-in policy at 123 g/kWh (level 0, bar 0.5): smollm2-135m earned
    # its grounded rating (data/quality/grounded.jsonl) but not the general one
    s = Server(c12, cfg)
    try:
        st, h, body = call(s, chat(GROUNDED, max_tokens=2), timeout=300)
        assert st == 200 and h["x-c12-model"] == "smollm2-135m", (h, body)
        assert re.match(r"grounded/\w+, 123 g/kWh: smollm2-135m 0\.\d\d>=0\.50, cleanest adequate$",
                        h["x-c12-route"]), h["x-c12-route"]
        st, h, _ = call(s, chat(GENERAL, max_tokens=2), timeout=300)
        assert st == 200 and h["x-c12-model"] == "qwen2.5-coder-1.5b" and h["x-c12-route"].startswith("general/")
    finally:
        s.stop()


@pytest.mark.parametrize("section,line", [("energy:\n  pue: 9\n", 2), ("ledger:\n  flush_ms: soon\n", 2),
                                          ("policy:\n  min_rating: 2\n", 2)])
def test_bad_sections_are_refused_with_file_and_line(c12_san, tmp_path, section, line):
    cfg = tmp_path / "c12.yaml"
    cfg.write_text(section)
    r = subprocess.run([c12_san, "config", "check", str(cfg)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and f"{cfg}:{line}:" in r.stderr, r.stderr
    r = subprocess.run([c12_san, "serve", "--config", str(cfg), "--listen", "127.0.0.1:0", "--ledger",
                        str(tmp_path / "l.db")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and f"{cfg}:{line}:" in r.stderr, r.stderr
    cfg.write_text("energy: {pue: 1.1}\nledger: {flush_ms: 10}\npolicy: {min_rating: 0.4}\n")
    r = subprocess.run([c12_san, "config", "check", str(cfg)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
