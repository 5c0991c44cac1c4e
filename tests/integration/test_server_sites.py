"""Cross-site requests to a server without API keys (issue 16): a web page
the operator's browser opens must not make it generate. A Host that is not
one of the server's names (DNS rebinding), an Origin of another site, and a
body that is not application/json (a "simple" cross-site POST) are refused
in OpenAI's shape; ordinary clients (urllib, http.client, the openai SDK)
still work; server.allowed_hosts adds names (sanitizer binary)."""
import json
import socket

import pytest

from server_helpers import Server, error_of, recv_all

MSG = {"model": "smollm2-135m", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def srv(c12_san):
    s = Server(c12_san, "server: {default_max_tokens: 1, allowed_hosts: [c12.internal, Gateway.Example]}\n")
    yield s
    s.stop()


def send(srv, method, path, headers, body=b""):
    """A raw request with exactly these headers; (status, body)."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=60)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    s.sendall(f"{method} {path} HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
              + body)
    got = recv_all(s)
    s.close()
    head, _, rest = got.partition(b"\r\n\r\n")
    return int(head.split()[1]), rest.decode()


def post(srv, headers, body=None):
    return send(srv, "POST", "/v1/chat/completions", headers, json.dumps(body or MSG).encode())


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST:1234", "[::1]", "c12.internal",
                                  "gateway.example:8080"])
def test_own_names_are_served(srv, host):
    st, body = post(srv, dict(JSON, Host=f"{host}:{srv.port}" if ":" not in host.strip("[]") else host))
    assert st == 200, body


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.",
                                  "c12.internal.evil", "0.0.0.0", "[::2]"])
def test_other_hosts_refused(srv, host):
    st, body = post(srv, dict(JSON, Host=host))
    assert st == 403 and error_of(body)["code"] == "host_not_allowed", body
    st, body = send(srv, "GET", "/v1/models", {"Host": host})  # reading too
    assert st == 403


def test_origins(srv):
    own = f"127.0.0.1:{srv.port}"
    st, body = post(srv, dict(JSON, Host=own, Origin=f"http://{own}"))  # the server's own page
    assert st == 200, body
    st, body = post(srv, dict(JSON, Host=own, Origin="http://c12.internal:3000"))  # a listed name
    assert st == 200, body
    for origin in ("https://evil.example", "http://localhost:3000", f"http://127.0.0.1:{srv.port + 1}", "null",
                   f"http://{own}.evil.example"):
        st, body = post(srv, dict(JSON, Host=own, Origin=origin))
        assert st == 403 and error_of(body)["code"] == "origin_not_allowed", (origin, body)


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x", "application/jsonx", "text/json"])
def test_json_endpoints_want_json(srv, ctype):
    headers = {"Host": f"127.0.0.1:{srv.port}"}
    if ctype:
        headers["Content-Type"] = ctype
    for path in ("/v1/chat/completions", "/v1/completions"):
        st, body = send(srv, "POST", path, headers, json.dumps(MSG).encode())
        assert st == 415 and error_of(body)["code"] == "unsupported_media_type", (path, ctype, body)
    headers["Content-Type"] = "Application/JSON; charset=utf-8"
    st, body = post(srv, headers)
    assert st == 200, body


def test_openai_sdk_still_works(srv):
    openai = pytest.importorskip("openai")
    for base in (srv.url, f"http://localhost:{srv.port}"):
        client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
        r = client.chat.completions.create(**MSG)
        assert r.usage.completion_tokens == 1
        assert [m.id for m in client.models.list()] == ["smollm2-135m"]


def test_keys_are_the_guard(c12_san):
    """With API keys, a page has no key to send: the Host is not checked (a
    service name in a cluster, a probe's pod IP); JSON still is."""
    key = "sk-sites-1"
    sha = __import__("hashlib").sha256(key.encode()).hexdigest()
    s = Server(c12_san, f"server: {{default_max_tokens: 1, api_keys: ['sha256:{sha}']}}\n")
    try:
        auth = {"Authorization": f"Bearer {key}"}
        st, body = post(s, dict(JSON, Host="c12.default.svc:8080", Origin="http://grafana:3000", **auth))
        assert st == 200, body
        st, body = post(s, dict(Host="10.0.0.7:8080", **auth))
        assert st == 415
        st, _ = send(s, "GET", "/readyz", {"Host": "10.0.0.7:8080"})
        assert st == 200
    finally:
        s.stop()
