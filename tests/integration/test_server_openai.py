"""The official openai SDK against `c12 serve` (optimized binary, the real
default model): models, chat completions plain and streamed, completions,
and the SDK's typed exceptions for 400, 404 and 429."""
import threading

import openai
import pytest

from server_helpers import Server


@pytest.fixture(scope="module")
def srv(c12):
    s = Server(c12, "server: {default_max_tokens: 32}\n")
    yield s
    s.stop()


@pytest.fixture()
def client(srv):
    return openai.OpenAI(base_url=srv.url + "/v1", api_key="unused", max_retries=0, timeout=120)


def test_models(client):
    ids = [m.id for m in client.models.list()]
    assert ids == ["smollm2-135m"]
    assert client.models.retrieve("smollm2-135m").owned_by == "c12"


def test_chat_plain(client):
    r = client.chat.completions.create(model="smollm2-135m", max_tokens=16, temperature=0, seed=1,
                                       messages=[{"role": "system", "content": "You are brief."},
                                                 {"role": "user", "content": "Name a color."}])
    assert r.object == "chat.completion" and r.model == "smollm2-135m"
    c = r.choices[0]
    assert c.message.role == "assistant" and c.message.content
    assert c.finish_reason in ("stop", "length")
    assert r.usage.prompt_tokens > 5 and 0 < r.usage.completion_tokens <= 16
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_chat_auto_and_parts_greedy_is_deterministic(client):
    msgs = [{"role": "user", "content": [{"type": "text", "text": "The capital of France is"}]}]
    a = client.chat.completions.create(model="auto", messages=msgs, max_tokens=8, temperature=0)
    b = client.chat.completions.create(model="smollm2-135m", messages=msgs, max_tokens=8, temperature=0)
    assert a.choices[0].message.content == b.choices[0].message.content
    assert a.model == "smollm2-135m"


def test_chat_stream_with_usage(client):
    stream = client.chat.completions.create(model="smollm2-135m", max_tokens=12, temperature=0, stream=True,
                                            stream_options={"include_usage": True},
                                            messages=[{"role": "user", "content": "Count to five."}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finals) == 1 and finals[0].choices[0].finish_reason in ("stop", "length")
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens <= 12
    assert chunks[0].choices[0].delta.role == "assistant"


def test_stream_matches_plain(client):
    msgs = [{"role": "user", "content": "Say something about the sea."}]
    plain = client.chat.completions.create(model="smollm2-135m", messages=msgs, max_tokens=20, temperature=0)
    streamed = "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(
        model="smollm2-135m", messages=msgs, max_tokens=20, temperature=0, stream=True) if c.choices)
    assert streamed == plain.choices[0].message.content


def test_completions(client):
    r = client.completions.create(model="smollm2-135m", prompt="The capital of France is", max_tokens=4,
                                  temperature=0)
    assert r.object == "text_completion"
    assert "Paris" in r.choices[0].text
    assert r.usage.completion_tokens <= 4
    s = list(client.completions.create(model="smollm2-135m", prompt="One, two,", max_tokens=4, temperature=0,
                                       stream=True))
    assert "".join(c.choices[0].text for c in s)


def test_stop_string(client):
    r = client.completions.create(model="smollm2-135m", prompt="1, 2, 3, 4,", max_tokens=16, temperature=0,
                                  stop=[" 7"])
    assert " 7" not in r.choices[0].text and r.choices[0].finish_reason == "stop"


def test_typed_errors(client):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="smollm2-135m", messages=[{"role": "user", "content": "x"}],
                                       temperature="hot")
    assert e.value.param == "temperature"
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    assert e.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model")


def test_rate_limit_error(c12):
    """A queue of 0: while the one slot is busy, the next request is a 429."""
    s = Server(c12, "queue: {max_total: 0}\nserver: {default_max_tokens: 64}\n")
    try:
        client = openai.OpenAI(base_url=s.url + "/v1", api_key="x", max_retries=0, timeout=120)
        started = threading.Event()

        def hold():
            st = client.chat.completions.create(model="auto", messages=[{"role": "user", "content": "Tell a story."}],
                                                max_tokens=64, temperature=0, stream=True,
                                                extra_body={"ignore": True})
            for i, _ in enumerate(st):
                if i == 1:
                    started.set()
            started.set()

        t = threading.Thread(target=hold)
        t.start()
        assert started.wait(60)
        with pytest.raises(openai.RateLimitError) as e:
            client.chat.completions.create(model="auto", messages=[{"role": "user", "content": "x"}], max_tokens=2)
        assert e.value.response.headers["retry-after"] == "1"
        t.join(120)
    finally:
        s.stop()
