"""POST /tokenize and /detokenize (sanitizer binary, the default model's
vocabulary): llama.cpp's server's fields and answers, the ids `c12
tokenize` gives, a model chosen by id, and OpenAI-shaped errors for a bad
body, an unknown model and ids out of the vocabulary; behind the API keys."""
import json
import urllib.error
import urllib.request

import pytest

from conftest import run
from server_helpers import Server

MODEL = "smollm2-135m"


@pytest.fixture(scope="module")
def srv(c12_san):
    s = Server(c12_san, "server: {default_max_tokens: 4}\n")
    yield s
    s.stop()


def post(srv, path, body, **kw):
    st, text = srv.post(path, body, **kw)
    return st, json.loads(text)


def test_tokenize_is_c12_tokenize(srv, c12_san):
    text = "Hello, world! Ünïcödé 😀 and <|im_end|> text"
    want = json.loads(run([c12_san, "tokenize", "-m", MODEL], input=text).stdout)
    st, r = post(srv, "/tokenize", {"content": text, "add_special": True, "parse_special": False})
    assert st == 200 and r == {"tokens": want}
    # llama.cpp's defaults: add_special false, parse_special true (the marker becomes its id)
    st, r = post(srv, "/tokenize", {"content": "<|im_end|>"})
    assert r["tokens"] == [2]
    st, r = post(srv, "/tokenize", {"content": "<|im_end|>", "parse_special": False})
    assert len(r["tokens"]) > 1
    st, r = post(srv, "/tokenize", {"content": ""})
    assert st == 200 and r == {"tokens": []}


def test_with_pieces_and_round_trip(srv):
    text = "Grüße 😀 <|im_end|>"
    st, r = post(srv, "/tokenize", {"content": text, "with_pieces": True, "model": MODEL})
    assert st == 200
    toks = r["tokens"]
    assert all(set(t) == {"id", "piece"} for t in toks)
    # a piece is its text, or its bytes when they are part of a character (the emoji's)
    raw = b"".join(t["piece"].encode() if isinstance(t["piece"], str) else bytes(t["piece"]) for t in toks)
    assert raw.decode() == text and any(isinstance(t["piece"], list) for t in toks)
    st, d = post(srv, "/detokenize", {"tokens": [t["id"] for t in toks]})
    assert st == 200 and d == {"content": text}
    st, d = post(srv, "/detokenize", {"tokens": [], "model": "auto"})
    assert d == {"content": ""}


@pytest.mark.parametrize("path,body,status,param", [
    ("/tokenize", {}, 400, "content"),
    ("/tokenize", {"content": 5}, 400, "content"),
    ("/tokenize", {"content": "x", "with_pieces": "yes"}, 400, "with_pieces"),
    ("/tokenize", {"content": "x", "add_special": 1}, 400, "add_special"),
    ("/tokenize", {"content": "x", "model": "nope"}, 404, "model"),
    ("/tokenize", {"content": "x", "model": 3}, 400, "model"),
    ("/tokenize", [1, 2], 400, "body"),
    ("/detokenize", {"tokens": [1, 49152]}, 400, "tokens"),
    ("/detokenize", {"tokens": [-1]}, 400, "tokens"),
    ("/detokenize", {"tokens": ["1"]}, 400, "tokens"),
    ("/detokenize", {"tokens": 1}, 400, "tokens"),
    ("/detokenize", {"tokens": [1], "model": "nope"}, 404, "model"),
])
def test_errors(srv, path, body, status, param):
    st, r = post(srv, path, body)
    assert st == status, r
    assert r["error"]["param"] == param and r["error"]["type"] == "invalid_request_error"
    if status == 404:
        assert r["error"]["code"] == "model_not_found"


def test_bad_json_and_method(srv):
    st, text = srv.request("POST", "/tokenize", raw=b"{not json", headers={"Content-Type": "application/json"})
    assert st == 400 and json.loads(text)["error"]["code"] == "invalid_json"
    req = urllib.request.Request(srv.url + "/detokenize", data=b'{"tokens": [1]}', method="POST",
                                 headers={"Content-Type": "text/plain"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    assert e.value.code == 415
    st, text = srv.request("GET", "/tokenize")
    assert st == 405


def test_behind_the_keys(c12_san):
    s = Server(c12_san, 'server: {api_keys: ["env:C12_TEST_TOK_KEY"]}\n', env={"C12_TEST_TOK_KEY": "sk-tok"})
    try:
        st, r = post(s, "/tokenize", {"content": "hi"})
        assert st == 401 and r["error"]["code"] == "invalid_api_key"
        st, r = post(s, "/detokenize", {"tokens": [1]}, headers={"Authorization": "Bearer sk-wrong"})
        assert st == 401
        st, r = post(s, "/tokenize", {"content": "hi"}, headers={"Authorization": "Bearer sk-tok"})
        assert st == 200 and r["tokens"]
    finally:
        s.stop()


def test_a_model_without_its_file(c12_san, tmp_path):
    """A served model whose file is missing: 500 model_load_failed, and the server keeps serving."""
    missing = tmp_path / "gone.gguf"
    cfg = f"models:\n  - {{id: {MODEL}, source: {MODEL}}}\n  - {{id: gone, source: {missing}}}\n"
    s = Server(c12_san, cfg)
    try:
        st, r = post(s, "/tokenize", {"content": "hi", "model": "gone"})
        assert st == 500 and r["error"]["code"] == "model_load_failed"
        st, r = post(s, "/tokenize", {"content": "hi"})
        assert st == 200
    finally:
        s.stop()
