"""logprobs and top_logprobs against `c12 serve`.

The official openai SDK parses them on the real smollm2-135m model (optimized
binary), plain and streamed, chat and legacy completions; the values are
the model's own distribution: each greedy token's logprob equals the
log-softmax of the logits `c12 logits` gives for the same ids read as one
prompt (teacher-forced). The sanitizer binary checks the validation, that
the response cache never answers such a request, and that the router and
the ledger see it like any other."""
import json
import math
import sqlite3
import time
import urllib.request

import openai
import pytest

from conftest import run
from server_helpers import Server

CONFIG = "server: {default_max_tokens: 8}\nledger: {flush_ms: 50}\n"
MODEL = "smollm2-135m"


@pytest.fixture(scope="module")
def srv(c12):
    s = Server(c12, CONFIG)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def san(c12_san):
    s = Server(c12_san, CONFIG)
    yield s
    s.stop()


def client(srv):
    return openai.OpenAI(base_url=srv.url + "/v1", api_key="unused", max_retries=0, timeout=120)


MSGS = [{"role": "user", "content": "Name three primary colors."}]


def check_entries(entries, k):
    for e in entries:
        assert e.logprob <= 0 and isinstance(e.bytes, list)
        assert len(e.top_logprobs) == k
        lps = [t.logprob for t in e.top_logprobs]
        assert lps == sorted(lps, reverse=True)
        assert sum(math.exp(x) for x in lps) <= 1 + 1e-5
        # greedy (temperature 0, no penalties): the chosen token is the most likely one
        assert e.token == e.top_logprobs[0].token and e.logprob == pytest.approx(lps[0], abs=1e-6)
        assert bytes(e.bytes).decode("utf-8", "replace").replace("\ufffd", "?") == e.token or "?" in e.token


def test_chat_plain_sdk(srv):
    r = client(srv).chat.completions.create(model=MODEL, messages=MSGS, max_tokens=8, temperature=0,
                                            logprobs=True, top_logprobs=3)
    lp = r.choices[0].logprobs
    assert lp is not None and lp.refusal is None
    check_entries(lp.content, 3)
    assert len(lp.content) == r.usage.completion_tokens
    assert b"".join(bytes(e.bytes) for e in lp.content).decode() == r.choices[0].message.content
    # what the issue names: the SDK's path to a token's alternatives
    assert r.choices[0].logprobs.content[0].top_logprobs[0].token


def test_chat_stream_sdk_matches_plain(srv):
    c = client(srv)
    plain = c.chat.completions.create(model=MODEL, messages=MSGS, max_tokens=8, temperature=0, logprobs=True,
                                      top_logprobs=2).choices[0]
    chunks = list(c.chat.completions.create(model=MODEL, messages=MSGS, max_tokens=8, temperature=0, stream=True,
                                            logprobs=True, top_logprobs=2))
    entries, text = [], ""
    for ch in chunks:
        if ch.choices and ch.choices[0].logprobs and ch.choices[0].logprobs.content:
            entries += ch.choices[0].logprobs.content
        if ch.choices and ch.choices[0].delta.content:
            text += ch.choices[0].delta.content
            # a chunk's text is its tokens' (whole characters here: ASCII answers)
            assert ch.choices[0].logprobs.content
    assert text == plain.message.content
    check_entries(entries, 2)
    assert [e.token for e in entries] == [e.token for e in plain.logprobs.content]
    for a, b in zip(entries, plain.logprobs.content):
        assert a.logprob == pytest.approx(b.logprob, abs=1e-3)


def test_without_logprobs_they_are_null(srv):
    r = client(srv).chat.completions.create(model=MODEL, messages=MSGS, max_tokens=2, temperature=0)
    assert r.choices[0].logprobs is None


def test_completions_legacy_sdk(srv):
    c = client(srv)
    r = c.completions.create(model=MODEL, prompt="The capital of France is", max_tokens=6, temperature=0, logprobs=2)
    lp = r.choices[0].logprobs
    n = r.usage.completion_tokens
    assert len(lp.tokens) == len(lp.token_logprobs) == len(lp.top_logprobs) == len(lp.text_offset) == n
    assert "".join(lp.tokens) == r.choices[0].text
    assert lp.text_offset == [sum(len(t) for t in lp.tokens[:i]) for i in range(n)]
    for tok, v, top in zip(lp.tokens, lp.token_logprobs, lp.top_logprobs):
        assert 2 <= len(top) <= 3 and top[tok] == pytest.approx(v) and v == max(top.values())
    chunks = list(c.completions.create(model=MODEL, prompt="The capital of France is", max_tokens=6, temperature=0,
                                       logprobs=0, stream=True))
    streamed = [t for ch in chunks if ch.choices[0].logprobs for t in ch.choices[0].logprobs.tokens]
    assert streamed == lp.tokens
    offs = [o for ch in chunks if ch.choices[0].logprobs for o in ch.choices[0].logprobs.text_offset]
    assert offs == lp.text_offset


def post(srv, path, body):
    st, text = srv.post(path, body)
    return st, json.loads(text)


def greedy_ids(c12, ids, n):
    """n greedy tokens after ids, each the top logit of `c12 logits`."""
    ids = list(ids)
    for _ in range(n):
        out = run([c12, "logits", "-m", MODEL, "--ids", ",".join(map(str, ids)), "--top", "1", "--json"])
        assert out.returncode == 0, out.stderr
        ids.append(json.loads(out.stdout)["positions"][-1]["top"][0][0])
    return ids


def test_logprobs_are_the_logits_log_softmax(srv, c12):
    """The server's logprobs, checked against the engine's logits through
    `c12 logits` for the same ids, teacher-forced: equal to 1e-4."""
    prompt, n = "The capital of France is", 6
    st, r = post(srv, "/v1/completions", {"model": MODEL, "prompt": prompt, "max_tokens": n, "temperature": 0,
                                          "logprobs": 5, "ignore_eos": True})
    assert st == 200, r
    lp = r["choices"][0]["logprobs"]
    st, tok = post(srv, "/tokenize", {"content": prompt, "add_special": True, "parse_special": False})
    p = len(tok["tokens"])
    ids = greedy_ids(c12, tok["tokens"], n)
    out = run([c12, "logits", "-m", MODEL, "--ids", ",".join(map(str, ids[:-1])), "--top", "49152", "--json"])
    assert out.returncode == 0, out.stderr
    positions = json.loads(out.stdout)["positions"]
    assert len(positions) == p + n - 1
    worst = 0.0
    for j in range(n):
        top = positions[p - 1 + j]["top"]
        assert len(top) == 49152 and top[0][0] == ids[p + j]  # greedy = the best logit
        mx = top[0][1]
        lse = mx + math.log(sum(math.exp(v - mx) for _, v in top))
        want = {i: v - lse for i, v in top[:5]}
        st, d = post(srv, "/detokenize", {"tokens": [ids[p + j]]})
        assert lp["tokens"][j] == d["content"]
        worst = max(worst, abs(lp["token_logprobs"][j] - want[ids[p + j]]))
        got_top = sorted(lp["top_logprobs"][j].values(), reverse=True)
        for a, b in zip(got_top, sorted(want.values(), reverse=True)):
            worst = max(worst, abs(a - b))
    # raw logits, not the sampler's: the first step's distribution is the same at temperature 2
    st, hot = post(srv, "/v1/completions", {"model": MODEL, "prompt": prompt, "max_tokens": 1, "temperature": 2,
                                            "seed": 7, "logprobs": 5})
    first = lp["top_logprobs"][0]
    hot_first = hot["choices"][0]["logprobs"]["top_logprobs"][0]
    assert {k: hot_first[k] for k in first} == pytest.approx(first, abs=1e-6)
    print(f"largest |logprob - log_softmax(logits)|: {worst:.2e}")
    assert worst < 1e-4, worst


# ---- the sanitizer binary: validation, the cache, the router and the ledger ----

@pytest.mark.parametrize("path,body,param", [
    ("/v1/chat/completions", {"top_logprobs": 2}, "top_logprobs"),
    ("/v1/chat/completions", {"logprobs": False, "top_logprobs": 2}, "top_logprobs"),
    ("/v1/chat/completions", {"logprobs": True, "top_logprobs": 21}, "top_logprobs"),
    ("/v1/chat/completions", {"logprobs": True, "top_logprobs": -1}, "top_logprobs"),
    ("/v1/chat/completions", {"logprobs": True, "top_logprobs": 1.5}, "top_logprobs"),
    ("/v1/chat/completions", {"logprobs": "yes"}, "logprobs"),
    ("/v1/completions", {"logprobs": 21}, "logprobs"),
    ("/v1/completions", {"logprobs": -1}, "logprobs"),
    ("/v1/completions", {"logprobs": True}, "logprobs"),
])
def test_validation(san, path, body, param):
    base = {"model": MODEL, "max_tokens": 1}
    base.update({"messages": MSGS} if "chat" in path else {"prompt": "Hi"})
    st, r = post(san, path, {**base, **body})
    assert st == 400, r
    assert r["error"]["param"] == param and r["error"]["type"] == "invalid_request_error"


def raw_post(srv, path, body):
    req = urllib.request.Request(srv.url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        return dict(resp.headers), json.loads(resp.read())


def test_cache_never_answers_logprobs_and_the_ledger_has_them(san):
    body = {"model": "auto", "messages": MSGS, "max_tokens": 3, "temperature": 0}
    h0, plain = raw_post(san, "/v1/chat/completions", body)
    h1, again = raw_post(san, "/v1/chat/completions", body)
    assert (h0.get("x-c12-cache"), h1.get("x-c12-cache")) == ("miss", "hit")
    ids = []
    for stream in (False, False, True):
        h, r = raw_post(san, "/v1/chat/completions", {**body, "logprobs": True, "top_logprobs": 1}) if not stream \
            else (None, None)
        if stream:
            req = urllib.request.Request(san.url + "/v1/chat/completions", method="POST",
                                         data=json.dumps({**body, "logprobs": True, "stream": True}).encode(),
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=120) as resp:
                h = dict(resp.headers)
                events = [json.loads(line[6:]) for line in resp.read().decode().splitlines()
                          if line.startswith("data: {")]
            r = {"id": events[0]["id"], "choices": [{"message": {"content": "".join(
                e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])},
                "logprobs": {"content": [x for e in events if e["choices"] and e["choices"][0]["logprobs"]
                                         for x in e["choices"][0]["logprobs"]["content"]]}}]}
        assert "x-c12-cache" not in h  # neither looked up nor stored
        assert h["x-c12-model"] == MODEL and h["x-c12-route"]  # routed like any request
        assert r["choices"][0]["message"]["content"] == plain["choices"][0]["message"]["content"]
        assert len(r["choices"][0]["logprobs"]["content"]) == 3
        ids.append(r["id"])
    for _ in range(100):
        with sqlite3.connect(san.ledger) as db:
            got = db.execute("SELECT request_id, status, model, cached, completion_tokens FROM requests").fetchall()
        found = [g for g in got if g[0] in ids]
        if len(found) == len(ids):
            break
        time.sleep(0.1)
    assert sorted(g[1:] for g in found) == [("ok", MODEL, 0, 3)] * 3


# ---- c12 logits: the contract ----

def logits(binary, *args):
    return run([binary, "logits", "-m", MODEL, *args])


def test_logits_contract(c12):
    ids = [504, 3575, 282, 4649, 314]
    out = logits(c12, "--ids", ",".join(map(str, ids)), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert list(doc) == ["positions"] and len(doc["positions"]) == len(ids)
    for pos in doc["positions"]:
        assert list(pos) == ["top"] and len(pos["top"]) == 10  # --top's default
        assert all(isinstance(i, int) and isinstance(v, float) for i, v in pos["top"])
        vals = [v for _, v in pos["top"]]
        assert vals == sorted(vals, reverse=True)
    # entry i is the distribution after ids[0..i]: the prefix's last entry is the same
    short = json.loads(logits(c12, "--ids", ",".join(map(str, ids[:3])), "--top", "3", "--json").stdout)
    assert [t[0] for t in short["positions"][2]["top"]] == [t[0] for t in doc["positions"][2]["top"][:3]]
    # one token per forward step (as decoding) agrees with the batched prompt path
    step = json.loads(logits(c12, "--ids", ",".join(map(str, ids)), "--batch", "1", "--json").stdout)
    for a, b in zip(step["positions"], doc["positions"]):
        assert [t[0] for t in a["top"]][:3] == [t[0] for t in b["top"]][:3]
        assert [t[1] for t in a["top"]] == pytest.approx([t[1] for t in b["top"]], abs=1e-3)
    text = logits(c12, "--ids", "504,3575", "--top", "2")
    assert text.returncode == 0 and len(text.stdout.splitlines()) == 2 and text.stdout.startswith("0 504:")


@pytest.mark.parametrize("args,msg", [
    (["--ids", "1,x"], "--ids must be token ids"),
    (["--ids", "1,,2"], "--ids must be token ids"),
    (["--ids", ""], "--ids must be token ids"),
    (["--ids", "-3"], "--ids must be token ids"),
    (["--ids", "1,49152"], "out of the vocabulary"),
    (["--ids", "1", "--top", "x"], "--top must be"),
    ([], "--ids is required"),
])
def test_logits_errors(c12_san, args, msg):
    out = logits(c12_san, *args)
    assert out.returncode == 2 and msg in out.stderr, (out.returncode, out.stderr)


def test_logits_match_llama_cpp(c12):
    """`c12 logits` against llama.cpp's logits for the same ids (the committed
    reference, tests/golden/smollm2-135m/logits.jsonl, which `make golden`
    writes from llama.cpp's decode path): the last position's top 32, to
    float precision, batched and one token per step."""
    from golden_checks import assert_logits_close, golden_dir
    refs = [json.loads(line) for line in (golden_dir(MODEL) / "logits.jsonl").open()]
    assert len(refs) == 8
    for ref in refs:
        for batch in ("64", "1"):
            out = logits(c12, "--ids", ",".join(map(str, ref["prompt_ids"])), "--top", "32", "--batch", batch, "--json")
            assert out.returncode == 0, out.stderr
            last = json.loads(out.stdout)["positions"][-1]["top"]
            assert_logits_close({"top_ids": [i for i, _ in last], "top_logits": [v for _, v in last]}, ref)
