"""Tools and response_format through a fleet's sites (issue 15): the
request's tools, tool_choice, parallel_tool_calls and response_format go to
the site as the client sent them, and the site's tool calls come back in
OpenAI's shapes: message.tool_calls, and a stream's delta.tool_calls passed
on piece by piece as they arrive. A fake upstream (fakes/fake_openai.py,
fault "tools") checks the pass-through chunk by chunk under the sanitizer
gateway; a real `c12 serve` site on qwen2.5-coder-1.5b (the model the local
tool tests use) checks that the gateway's answer is the site's own, streamed
and not, with the openai SDK on both sides."""
import json
import pathlib
import sys
import urllib.request

import openai
import pydantic
import pytest

from server_helpers import Server, need_models, sdk_client
from test_fleet import client, fakes, gateway_config, ledger_rows, posts, site  # noqa: F401

sys.path.insert(0, str(pathlib.Path(__file__).parent / "fakes"))
import fake_openai  # noqa: E402

QWEN = "qwen2.5-coder-1.5b"
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "The city's name"}},
                   "required": ["city"]}}}
ASK = [{"role": "user", "content": "What is the weather in Paris right now?"}]


def sse_chunks(url, body, timeout=300):
    """The chunks of a streamed chat completion, as JSON objects, in order."""
    req = urllib.request.Request(url + "/v1/chat/completions", data=json.dumps(dict(body, stream=True)).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    out = []
    with urllib.request.urlopen(req, timeout=timeout) as r:
        for line in r:
            line = line.decode().strip()
            if line.startswith("data: ") and line != "data: [DONE]":
                out.append(json.loads(line[6:]))
    return out


def call_pieces(chunks):
    """Each delta.tool_calls entry as it came, and the finish reason."""
    pieces, finish = [], None
    for c in chunks:
        for ch in c.get("choices") or []:
            pieces += ch.get("delta", {}).get("tool_calls") or []
            finish = ch.get("finish_reason") or finish
    return pieces, finish


def joined(pieces):
    """Calls put together from their pieces: [(name, arguments as JSON)]."""
    calls = {}
    for p in pieces:
        c = calls.setdefault(p["index"], {"name": "", "arguments": ""})
        c["name"] += p.get("function", {}).get("name") or ""
        c["arguments"] += p.get("function", {}).get("arguments") or ""
    return [(c["name"], json.loads(c["arguments"])) for _, c in sorted(calls.items())]


# ---- a fake site: the pass-through, piece by piece ----

def test_tool_calls_pass_through_piece_by_piece(c12_san, fakes):  # noqa: F811
    up = fakes(fault="tools")
    gw = Server(c12_san, gateway_config([site("up", up.url, 100)], ["up"], "fake-model"))
    try:
        body = {"model": "tiny", "messages": ASK, "tools": [WEATHER], "tool_choice": "auto",
                "parallel_tool_calls": True, "max_tokens": 30}
        chunks = sse_chunks(gw.url, body)
        pieces, finish = call_pieces(chunks)
        want = []
        for k, (cid, name, args) in enumerate(fake_openai.TOOL_CALLS):
            want.append({"index": k, "id": cid, "type": "function", "function": {"name": name, "arguments": ""}})
            want += [{"index": k, "function": {"arguments": a}} for a in args]
        assert pieces == want
        assert finish == "tool_calls"
        deltas = [c["choices"][0]["delta"] for c in chunks if c.get("choices")]
        assert deltas[0]["role"] == "assistant" and deltas[0]["content"] is None
        assert all(len(c["choices"][0]["delta"].get("tool_calls") or [None]) == 1 for c in chunks if c.get("choices"))
        # what the site got: the tools as sent, in OpenAI's wire format
        sent = posts(up)[0]["body"]
        assert sent["tools"] == [WEATHER] and sent["tool_choice"] == "auto" and sent["parallel_tool_calls"] is True
        assert sent["model"] == "fake-model" and sent["stream"] is True

        # the openai SDK, plain and with its stream helper
        c = client(gw)
        r = c.chat.completions.create(model="tiny", messages=ASK, tools=[WEATHER], max_tokens=30)
        ch = r.choices[0]
        assert ch.finish_reason == "tool_calls" and ch.message.content is None
        assert [(t.id, t.type, t.function.name, json.loads(t.function.arguments)) for t in ch.message.tool_calls] == \
            [(cid, "function", name, json.loads("".join(a))) for cid, name, a in fake_openai.TOOL_CALLS]
        with c.chat.completions.stream(model="tiny", messages=ASK, tools=[WEATHER], max_tokens=30) as s:
            final = s.get_final_completion()
        assert [t.function.name for t in final.choices[0].message.tool_calls] == ["get_weather", "get_time"]
        assert json.loads(final.choices[0].message.tool_calls[1].function.arguments) == {"zone": "CET"}

        # the history's calls and results go on as sent
        history = ASK + [ch.message.model_dump(exclude_none=True),
                         {"role": "tool", "tool_call_id": "call_fake_0", "content": "21 C, sunny"}]
        up.fault = None
        r2 = c.chat.completions.create(model="tiny", messages=history, tools=[WEATHER], tool_choice="none",
                                       max_tokens=3)
        assert r2.choices[0].message.content == "Hello from the" and r2.choices[0].finish_reason == "stop"
        got = posts(up)[-1]["body"]["messages"]
        assert got[1]["role"] == "assistant" and "content" not in got[1]  # the SDK's dump left it out
        assert got[1]["tool_calls"] == history[1]["tool_calls"]
        assert got[2] == {"role": "tool", "tool_call_id": "call_fake_0", "content": "21 C, sunny"}
        assert posts(up)[-1]["body"]["tool_choice"] == "none"

        # response_format as sent; the site's content comes back as it is (not re-validated here)
        fmt = {"type": "json_schema", "json_schema": {"name": "w", "strict": True, "schema": {
            "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
            "additionalProperties": False}}}
        r3 = c.chat.completions.create(model="tiny", messages=ASK, response_format=fmt, max_tokens=2)
        assert posts(up)[-1]["body"]["response_format"] == fmt
        assert r3.choices[0].message.content == "Hello from"
        rows = ledger_rows(gw, 5)
        assert {r["site"] for r in rows} == {"up"} and all(r["status"] == "ok" for r in rows)
        assert "ERROR: AddressSanitizer" not in gw.stderr()
    finally:
        gw.stop()


# ---- a real site: the gateway's answer is the site's own ----

class City(pydantic.BaseModel):
    city: str
    country: str


@pytest.fixture(scope="module")
def qwen_site(c12):
    need_models(QWEN)
    s = Server(c12, "models:\n  - {id: qwen2.5-coder-1.5b, source: qwen2.5-coder-1.5b}\n"
               "carbon: {chain: [static], providers: {static: {value: 40}}}\n")
    yield s
    s.stop()


def test_a_real_site_answers_tools_and_json_through_the_gateway(c12_san, qwen_site):
    gw = Server(c12_san, "sites:\n" + site("north", qwen_site.url, 40) +
                f"models:\n  - id: {QWEN}\n    sites: [north]\n")
    try:
        body = {"model": QWEN, "messages": ASK, "tools": [WEATHER], "tool_choice": "required", "temperature": 0,
                "max_tokens": 40}
        direct, through = sdk_client(qwen_site), sdk_client(gw)
        a = direct.chat.completions.create(**body).choices[0]
        b = through.chat.completions.create(**body).choices[0]
        assert a.finish_reason == b.finish_reason == "tool_calls"
        assert b.message.content is None
        assert [(t.function.name, json.loads(t.function.arguments)) for t in b.message.tool_calls] == \
            [(t.function.name, json.loads(t.function.arguments)) for t in a.message.tool_calls] == \
            [("get_weather", {"city": "Paris"})]
        assert b.message.tool_calls[0].id.startswith("call_")  # the site's id
        # streamed: the site's pieces, one for one
        sp, sf = call_pieces(sse_chunks(qwen_site.url, body))
        gp, gf = call_pieces(sse_chunks(gw.url, body))
        strip = [{k: v for k, v in p.items() if k != "id"} for p in sp]
        assert [{k: v for k, v in p.items() if k != "id"} for p in gp] == strip and sf == gf == "tool_calls"
        assert joined(gp) == [("get_weather", {"city": "Paris"})]

        # json_schema: the site's JSON, parsed by the SDK
        ask = [{"role": "user", "content": "Name the capital of France and its country, as JSON."}]
        pa = direct.beta.chat.completions.parse(model=QWEN, messages=ask, response_format=City, temperature=0,
                                                max_tokens=40)
        pb = through.beta.chat.completions.parse(model=QWEN, messages=ask, response_format=City, temperature=0,
                                                 max_tokens=40)
        assert pb.choices[0].message.content == pa.choices[0].message.content
        assert isinstance(pb.choices[0].message.parsed, City)
        rows = ledger_rows(gw, 3)
        assert {r["site"] for r in rows} == {"north"}, rows
        assert "ERROR: AddressSanitizer" not in gw.stderr()
    finally:
        gw.stop()
