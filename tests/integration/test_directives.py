"""Answer-length directives through a real `c12 serve` (sanitizer binary,
smollm2-135m under two ids): at a dirty static intensity an `auto` chat of
the general category gets the level's directive at the end of its system
turn (the prompt grows by it), x-c12-route and the ledger row name it;
x-c12-directive: none opts out; code, completions and explicit models get
none; the response cache keys on it; a bad header value is a 400."""
import json

import pytest

from server_helpers import Server, error_of, smollm
from test_server_route import CODE, GENERAL, call, chat, need, ratings, rows

BRIEF, SHORT = "Answer briefly.", "Answer in at most two sentences."


def config(intensity, enabled=True, code_levels=""):
    return f"""
server: {{default_max_tokens: 4}}
models:
  - {{id: chatter, path: {smollm()}, context: 512}}
  - {{id: coder, path: {smollm()}, context: 512}}
default_model: chatter
carbon:
  chain: [static]
  providers:
    static: {{value: {intensity}}}
policy:
  thresholds: []
  models:
    coder: {ratings(0.9, 0.1)}
    chatter: {ratings(0.1, 0.9)}
  directives:
    enabled: {str(enabled).lower()}
    levels:
      - {{above: 200, text: "{BRIEF}"}}
      - {{above: 240, text: "{SHORT}"}}{code_levels}
"""


@pytest.fixture(scope="module")
def dirty(c12_san, tmp_path_factory):
    need("smollm2-135m")
    db = tmp_path_factory.mktemp("directives") / "ledger.db"
    s = Server(c12_san, config(300), ledger=db)
    s.db = db
    yield s
    s.stop()


def usage(body):
    return json.loads(body)["usage"]


def test_dirty_general_chat_gets_the_level_and_pays_its_prompt(dirty):
    st, h, body = call(dirty, chat(GENERAL))
    assert st == 200, body
    assert h["x-c12-model"] == "chatter" and h["x-c12-route"].endswith("; directive 2"), h["x-c12-route"]
    with_d = usage(body)["prompt_tokens"]
    st, h, body = call(dirty, chat(GENERAL), headers={"x-c12-directive": "none"})
    assert st == 200 and "directive" not in h["x-c12-route"]
    without = usage(body)["prompt_tokens"]
    # the directive's words are in the prompt the model saw (and nothing else changed)
    assert 6 <= with_d - without <= 14, (with_d, without)
    # a request's own system message gets the directive at its end: the same growth
    sys = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": GENERAL}]
    st, h, body = call(dirty, {"model": "auto", "messages": sys, "max_tokens": 2})
    st2, _, body2 = call(dirty, {"model": "auto", "messages": sys, "max_tokens": 2}, headers={"x-c12-directive": "none"})
    assert st == st2 == 200 and 6 <= usage(body)["prompt_tokens"] - usage(body2)["prompt_tokens"] <= 14


def test_who_gets_none(dirty):
    st, h, _ = call(dirty, chat(CODE))
    assert st == 200 and h["x-c12-route"].startswith("code/") and "directive" not in h["x-c12-route"]
    st, h, _ = call(dirty, {"model": "auto", "prompt": "The capital of France is", "max_tokens": 2},
                    path="/v1/completions")
    assert st == 200 and "directive" not in h["x-c12-route"]
    st, h, _ = call(dirty, chat(GENERAL, model="chatter"))
    assert st == 200 and h["x-c12-route"] == "explicit model"


@pytest.mark.parametrize("value", ["off", "", "brief", "none please"])
def test_bad_header_is_a_400(dirty, value):
    st, h, body = call(dirty, chat(GENERAL), headers={"x-c12-directive": value})
    e = error_of(body)
    assert st == 400 and e["code"] == "invalid_header" and "x-c12-directive" in e["message"]
    st, h, body = call(dirty, chat(GENERAL), headers={"x-c12-directive": "AUTO"})
    assert st == 200 and "directive 2" in h["x-c12-route"]


def test_the_cache_keys_on_the_directive(dirty):
    ask = chat("Name a primary colour.", temperature=0)
    first = call(dirty, ask)
    assert first[0] == 200 and first[1]["x-c12-cache"] == "miss"
    # the same request without the directive is another question to the model
    other = call(dirty, ask, headers={"x-c12-directive": "none"})
    assert other[0] == 200 and other[1]["x-c12-cache"] == "miss"
    again = call(dirty, ask)
    assert again[1]["x-c12-cache"] == "hit" and json.loads(again[2])["choices"] == json.loads(first[2])["choices"]


def test_ledger_rows_name_the_directive(c12_san, tmp_path):
    need("smollm2-135m")
    db = tmp_path / "ledger.db"
    s = Server(c12_san, config(210), ledger=db)
    try:
        assert call(s, chat(GENERAL))[0] == 200
        assert call(s, chat(GENERAL), headers={"x-c12-directive": "none"})[0] == 200
        assert call(s, chat(CODE))[0] == 200
    finally:
        s.stop()
    got = rows(db)
    assert [r["directive"] for r in got] == [BRIEF, "", ""]
    assert got[0]["route_reason"].endswith("; directive 1")
    # off: the levels are configured but not used
    s = Server(c12_san, config(300, enabled=False), ledger=db)
    try:
        st, h, _ = call(s, chat(GENERAL))
        assert st == 200 and "directive" not in h["x-c12-route"]
    finally:
        s.stop()
    assert rows(db)[-1]["directive"] == ""


def test_a_code_level_applies_to_code(c12_san):
    need("smollm2-135m")
    s = Server(c12_san, config(300, code_levels='\n    code:\n      - {above: 250, text: "Give only the code."}'))
    try:
        st, h, _ = call(s, chat(CODE))
        assert st == 200 and h["x-c12-route"].startswith("code/") and h["x-c12-route"].endswith("; directive 1")
    finally:
        s.stop()
