"""`c12 serve` with the built-in default (what `make run` starts): the whole
catalogue is served, the default model loaded at start and the others on
first use, and `auto` can send a code request to the code model. Optimized
binary: the 1.5B model is far too slow under ASan."""
import http.client
import json

import pytest

from conftest import model_path
from server_helpers import Server, error_of

CODE = "Write a Python function that reverses a string."


def test_built_in_default_serves_the_catalogue(c12):
    s = Server(c12, None, catalogue=True)
    try:
        st, body = s.get("/v1/models")
        assert st == 200
        assert sorted(m["id"] for m in json.loads(body)["data"]) == \
            ["gemma3-270m", "qwen2.5-coder-1.5b", "smollm2-135m"]
        assert "loaded smollm2-135m" in s.stderr()  # the default, at start
        if model_path("gemma3-270m").exists():
            # the base model: loaded on first use; completions, but no chat
            st, body = s.post("/v1/completions", {"model": "gemma3-270m", "prompt": "The sea is",
                                                  "max_tokens": 2})
            assert st == 200 and json.loads(body)["model"] == "gemma3-270m", body
            st, body = s.post("/v1/chat/completions", {"model": "gemma3-270m", "max_tokens": 2,
                                                       "messages": [{"role": "user", "content": "Hi"}]})
            e = error_of(body)
            assert st == 400 and e["type"] == "invalid_request_error", body
            assert "no chat template" in e["message"] and "completion" in e["message"]
            assert s.get("/healthz")[0] == 200
    finally:
        s.stop()


def test_built_in_default_routes_code_to_the_code_model(c12):
    for name in ("smollm2-135m", "qwen2.5-coder-1.5b"):
        if not model_path(name).exists():
            pytest.skip(f"{name} is missing (make test pulls it)")
    # the default carbon source (the bundled trace) varies with the hour; a
    # fixed intensity below the first threshold makes the choice the ratings'
    s = Server(c12, "carbon: {chain: [static], providers: {static: {value: 100}}}\n", catalogue=True)
    try:
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=300)
        c.request("POST", "/v1/chat/completions", json.dumps(
            {"model": "auto", "max_tokens": 2, "temperature": 0, "messages": [{"role": "user", "content": CODE}]}),
            {"Content-Type": "application/json"})
        r = c.getresponse()
        st, h, body = r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
        c.close()
        assert st == 200, body
        assert h["x-c12-model"] == "qwen2.5-coder-1.5b", h
        assert h["x-c12-route"].startswith("code/"), h
        assert "loaded qwen2.5-coder-1.5b" in s.stderr()  # on first use
    finally:
        s.stop()
