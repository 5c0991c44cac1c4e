"""response_format (JSON by constrained decoding) and n > 1 against `c12 serve`.

The official openai SDK's chat.completions.parse with a pydantic model
(nested models, an Optional field, a list, an enum) returns a reply that
parses and validates, on qwen2.5-coder-1.5b and smollm2-135m, plain and
streamed (optimized binary); json_object with a prompt that invites prose
still returns a JSON object; the completions endpoint takes response_format
too. The ledger row and x-c12-route end with "; json"; the response cache
keys on response_format (a hit for the same one, never another format's
answer). n > 1: choices 0..n-1 with their own finish, the prompt counted once
in usage and the row, reproducible with a seed, identical at temperature 0,
streamed chunks carrying their choice's index. The sanitizer binary checks
the refusals (a schema keyword named, n over the cap, with tools) where
nothing is generated, and one short constrained generation under ASan."""
import enum
import json
import sqlite3
import time
import urllib.error
import urllib.request
from typing import List, Optional

import pydantic
from openai.lib._pydantic import to_strict_json_schema
import pytest


from server_helpers import Server, need_models, sdk_client

QWEN = "qwen2.5-coder-1.5b"
SMOL = "smollm2-135m"
CONFIG = ("models:\n  - {id: qwen2.5-coder-1.5b, source: qwen2.5-coder-1.5b}\n"
          "  - {id: smollm2-135m, source: smollm2-135m}\nledger: {flush_ms: 50}\n")
SAN_CONFIG = "server: {default_max_tokens: 4}\nledger: {flush_ms: 50}\n"


class Kind(str, enum.Enum):
    cat = "cat"
    dog = "dog"
    fish = "fish"


class Pet(pydantic.BaseModel):
    name: str
    kind: Kind


class Person(pydantic.BaseModel):
    name: str
    age: int
    email: Optional[str]
    pets: List[Pet]


ASK = [{"role": "user", "content": "Invent a person who has two pets. Give their name, age, email and pets."}]



@pytest.fixture(scope="module")
def srv(c12):
    need_models(QWEN, SMOL)
    s = Server(c12, CONFIG)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def san(c12_san):
    need_models(SMOL)
    s = Server(c12_san, SAN_CONFIG)
    yield s
    s.stop()



def post(srv, path, body, headers=None):
    req = urllib.request.Request(srv.url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=300) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def rows(srv, ids):
    for _ in range(100):
        with sqlite3.connect(srv.ledger) as db:
            got = db.execute("SELECT request_id, route_reason, prompt_tokens, completion_tokens, status, energy_j "
                             "FROM requests").fetchall()
        found = {r[0]: r for r in got if r[0] in ids}
        if len(found) == len(ids):
            return found
        time.sleep(0.1)
    raise AssertionError(f"ledger rows for {ids} did not appear")


# ---- response_format through the openai SDK ----

@pytest.mark.parametrize("model", [QWEN, SMOL])
def test_parse_with_a_pydantic_model(srv, model):
    r = sdk_client(srv).chat.completions.parse(model=model, messages=ASK, response_format=Person, temperature=0,
                                           max_tokens=300)
    ch = r.choices[0]
    assert ch.finish_reason == "stop", ch.message.content
    p = ch.message.parsed
    assert isinstance(p, Person)
    Person.model_validate_json(ch.message.content)  # the text itself validates
    assert all(isinstance(x.kind, Kind) for x in p.pets)


@pytest.mark.parametrize("model", [QWEN, SMOL])
def test_parse_streamed(srv, model):
    with sdk_client(srv).chat.completions.stream(model=model, messages=ASK, response_format=Person, temperature=0,
                                             max_tokens=300) as s:
        final = s.get_final_completion()
    p = final.choices[0].message.parsed
    assert isinstance(p, Person)
    # the same text as the plain request (greedy)
    rf = {"type": "json_schema", "json_schema": {"name": "Person", "strict": True,
                                                 "schema": to_strict_json_schema(Person)}}
    plain = sdk_client(srv).chat.completions.create(model=model, messages=ASK, temperature=0, max_tokens=300,
                                                response_format=rf, extra_headers={"x-c12-cache": "no"})
    assert plain.choices[0].message.content == final.choices[0].message.content


def test_json_object_with_a_prompt_that_invites_prose(srv):
    c = sdk_client(srv)
    prose = [{"role": "user", "content": "Describe a cat in two sentences of plain prose, no lists."}]
    r = c.chat.completions.create(model=QWEN, messages=prose, response_format={"type": "json_object"},
                                  temperature=0, max_tokens=300)
    ch = r.choices[0]
    assert ch.finish_reason == "stop", ch.message.content
    assert isinstance(json.loads(ch.message.content), dict)
    # smollm2-135m may loop on keys until max_tokens (the constraint keeps it JSON, not sensible):
    # what it writes is an object's opening, and parses whenever it stops by itself
    r = c.chat.completions.create(model=SMOL, messages=prose, response_format={"type": "json_object"},
                                  temperature=0, max_tokens=60)
    ch = r.choices[0]
    assert ch.message.content.lstrip().startswith("{")
    if ch.finish_reason == "stop":
        assert isinstance(json.loads(ch.message.content), dict)


def test_completions_take_response_format(srv):
    r = sdk_client(srv).completions.create(model=QWEN, prompt="The capital of France, as JSON:", max_tokens=60,
                                       temperature=0, extra_body={"response_format": {"type": "json_object"}})
    assert r.choices[0].finish_reason == "stop"
    assert isinstance(json.loads(r.choices[0].text), dict)


def test_ledger_route_and_cache(srv):
    body = {"model": SMOL, "messages": [{"role": "user", "content": "A JSON object about the sea."}],
            "temperature": 0, "max_tokens": 60, "response_format": {"type": "json_object"}}
    st, h1, r1 = post(srv, "/v1/chat/completions", body)
    assert st == 200 and h1["x-c12-route"].endswith("; json") and h1["x-c12-cache"] == "miss"
    st, h2, r2 = post(srv, "/v1/chat/completions", body)
    assert h2["x-c12-cache"] == "hit"
    assert r2["choices"][0]["message"]["content"] == r1["choices"][0]["message"]["content"]
    # another format of the same prompt is another answer: never the JSON one
    text = dict(body, response_format={"type": "text"})
    st, h3, r3 = post(srv, "/v1/chat/completions", text)
    assert h3["x-c12-cache"] == "miss" and not h3["x-c12-route"].endswith("; json")
    schema = dict(body, response_format={"type": "json_schema", "json_schema": {"name": "n", "schema": {
        "type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"], "additionalProperties": False}}})
    st, h4, r4 = post(srv, "/v1/chat/completions", schema)
    assert h4["x-c12-cache"] == "miss"
    assert set(json.loads(r4["choices"][0]["message"]["content"])) == {"n"}
    found = rows(srv, [r1["id"], r3["id"]])
    assert found[r1["id"]][1].endswith("; json") and not found[r3["id"]][1].endswith("; json")


# ---- n > 1 ----

def test_n_choices_plain(srv):
    c = sdk_client(srv)
    kw = dict(model=SMOL, messages=[{"role": "user", "content": "Name an animal."}], max_tokens=12)
    one = c.chat.completions.create(**kw, temperature=0)
    r = c.chat.completions.create(**kw, n=3, temperature=1.0, seed=7)
    assert [ch.index for ch in r.choices] == [0, 1, 2]
    assert all(ch.finish_reason in ("stop", "length") for ch in r.choices)
    assert r.usage.prompt_tokens == one.usage.prompt_tokens  # the prompt counted once
    texts = [ch.message.content for ch in r.choices]
    assert len(set(texts)) > 1, texts  # each choice its own randomness
    again = c.chat.completions.create(**kw, n=3, temperature=1.0, seed=7)
    assert [ch.message.content for ch in again.choices] == texts  # reproducible with a seed
    greedy = c.chat.completions.create(**kw, n=2, temperature=0)
    assert [ch.message.content for ch in greedy.choices] == [one.choices[0].message.content] * 2
    assert greedy.usage.completion_tokens == 2 * one.usage.completion_tokens
    row = rows(srv, [r.id])[r.id]  # one row, the tokens of all the choices
    assert row[2:5] == (r.usage.prompt_tokens, r.usage.completion_tokens, "ok") and row[5] > 0


def test_n_choices_streamed_and_completions(srv):
    c = sdk_client(srv)
    kw = dict(model=SMOL, messages=[{"role": "user", "content": "Name an animal."}], max_tokens=12, n=2,
              temperature=1.0, seed=11)
    plain = c.chat.completions.create(**kw)
    text, fins, usage = {}, {}, None
    for ev in c.chat.completions.create(**kw, stream=True, stream_options={"include_usage": True}):
        for ch in ev.choices:
            text[ch.index] = text.get(ch.index, "") + (ch.delta.content or "")
            if ch.finish_reason:
                fins[ch.index] = ch.finish_reason
        usage = ev.usage or usage
    assert text == {i: ch.message.content for i, ch in enumerate(plain.choices)}
    assert fins == {i: ch.finish_reason for i, ch in enumerate(plain.choices)}
    assert usage.completion_tokens == plain.usage.completion_tokens
    r = c.completions.create(model=SMOL, prompt="Once upon a time", max_tokens=8, n=2, temperature=1.0, seed=3,
                             logprobs=1)
    assert [ch.index for ch in r.choices] == [0, 1]
    for ch in r.choices:  # each choice's own logprobs, offsets from its own start
        assert len(ch.logprobs.tokens) >= 1 and ch.logprobs.text_offset[0] == 0


def test_n_with_json(srv):
    r = sdk_client(srv).chat.completions.create(model=SMOL, messages=ASK, n=2, temperature=0.9, seed=1, max_tokens=200,
                                            response_format={"type": "json_object"})
    for ch in r.choices:
        if ch.finish_reason == "stop":
            assert isinstance(json.loads(ch.message.content), dict)


# ---- refusals (the sanitizer binary: nothing generated) ----

@pytest.mark.parametrize("rf,word", [
    ({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "pattern": "^a"}}}, "pattern"),
    ({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "number", "minimum": 1}}}, "minimum"),
    ({"type": "json_schema", "json_schema": {"name": "x", "schema": {"$ref": "https://x/y"}}}, "$ref"),
    ({"type": "json_schema", "json_schema": {"schema": {}}}, "name"),
    ({"type": "xml"}, "type"),
])
def test_refused_formats(san, rf, word):
    st, _, r = post(san, "/v1/chat/completions", {"model": SMOL, "messages": [{"role": "user", "content": "hi"}],
                                                   "response_format": rf})
    assert st == 400 and r["error"]["param"].startswith("response_format") and word in r["error"]["message"], r


def test_refused_n_and_tools(san):
    msgs = [{"role": "user", "content": "hi"}]
    st, _, r = post(san, "/v1/chat/completions", {"model": SMOL, "messages": msgs, "n": 17})
    assert st == 400 and r["error"]["param"] == "n"
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    st, _, r = post(san, "/v1/chat/completions", {"model": SMOL, "messages": msgs, "tools": [tool],
                                                   "response_format": {"type": "json_object"}})
    assert st == 400 and r["error"]["param"] == "response_format"


def test_constrained_under_the_sanitizers(san):
    body = {"model": SMOL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 6, "n": 2,
            "temperature": 0.7, "seed": 2, "response_format": {"type": "json_object"}}
    st, h, r = post(san, "/v1/chat/completions", body)
    assert st == 200 and len(r["choices"]) == 2 and h["x-c12-route"].endswith("; json")
    for ch in r["choices"]:
        assert ch["message"]["content"].lstrip().startswith("{")
    # streamed on another thread: the same choices (the vocabulary's index is built once, under a lock)
    text = {}
    for ev in sdk_client(san).chat.completions.create(**body, stream=True):
        for ch in ev.choices:
            text[ch.index] = text.get(ch.index, "") + (ch.delta.content or "")
    assert text == {i: ch["message"]["content"] for i, ch in enumerate(r["choices"])}
