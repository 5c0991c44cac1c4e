"""A fleet of OpenAI-compatible sites behind one gateway (issue 15): the
sites are real `c12 serve` processes on 127.0.0.1 serving smollm2-135m, and
a fake upstream speaking OpenAI's SSE (fakes/fake_openai.py) for the
failures: errors, a stall before the first token, a drop mid-stream, no
usage chunk. The client is the official openai SDK where it can be. The
gateway is the sanitizer binary; the sites run the optimized one."""
import json
import pathlib
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request

import openai
import pytest

from server_helpers import Server

sys.path.insert(0, str(pathlib.Path(__file__).parent / "fakes"))
import fake_openai  # noqa: E402

MSG = [{"role": "user", "content": "Say hello."}]
SITE_CFG = ("server: {{default_max_tokens: 8}}\n"
            "carbon: {{chain: [static], providers: {{static: {{value: {value}}}}}}}\n")


def site(name, url, value, **kw):
    extra = "".join(f"    {k}: {v}\n" for k, v in kw.items())
    return (f"  {name}:\n    url: {url}/v1\n"
            f"    carbon: {{chain: [static], providers: {{static: {{value: {value}}}}}}}\n{extra}")


def gateway_config(sites, model_sites, remote_model="smollm2-135m"):
    # "tiny" is no catalogue model and has no file: a model served only remotely is never loaded here
    return ("sites:\n" + "".join(sites) + "models:\n  - id: tiny\n"
            f"    sites: [{', '.join(model_sites)}]\n    remote_model: {remote_model}\n")


def client(gw):
    return openai.OpenAI(base_url=gw.url + "/v1", api_key="unused", max_retries=0, timeout=60)


def ledger_rows(gw, n, timeout=10):
    """The gateway's ledger rows, once n of them are committed."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            with sqlite3.connect(gw.ledger) as db:
                db.row_factory = sqlite3.Row
                rows = [dict(r) for r in db.execute("SELECT * FROM requests ORDER BY time_ms")]
            if len(rows) >= n:
                return rows
        except sqlite3.OperationalError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"fewer than {n} ledger rows")


def metric(gw, name, **labels):
    _, text = gw.get("/metrics")
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    m = re.search(rf"^{name}{{{re.escape(want)}}} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def wait_for(cond, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def posts(fake):
    return [r for r in fake.requests("/v1/") if r["method"] == "POST"]


@pytest.fixture
def fakes():
    made = []

    def make(keepalive=False, **attrs):
        f = fake_openai.make_server(keepalive)
        for k, v in attrs.items():
            setattr(f, k, v)
        made.append(f.start())
        return f
    yield make
    for f in made:
        f.stop()


@pytest.fixture(scope="module")
def real_sites(c12):
    north = Server(c12, SITE_CFG.format(value=40))
    south = Server(c12, SITE_CFG.format(value=450))
    yield north, south
    north.stop()
    south.stop()


def test_cleaner_site_is_chosen_and_named(c12_san, real_sites):
    north, south = real_sites
    # south is listed first: the choice is the grid's, not the order's
    gw = Server(c12_san, gateway_config([site("south", south.url, 450), site("north", north.url, 40, region="FR")],
                                        ["south", "north"]))
    try:
        c = client(gw)
        for model in ("tiny", "auto"):
            raw = c.chat.completions.with_raw_response.create(model=model, messages=MSG, max_tokens=4)
            assert raw.headers["x-c12-site"] == "north", raw.headers
            route = raw.headers["x-c12-route"]
            assert "site north: 40 g/kWh" in route and "south: 450 g/kWh" in route, route
            assert raw.headers["x-c12-carbon-intensity"] == "40.0"
            out = raw.parse()
            assert out.choices[0].message.content and out.usage.completion_tokens >= 1
        # a stream through the SDK, with the usage chunk
        chunks = list(c.chat.completions.create(model="tiny", messages=MSG, max_tokens=6, stream=True,
                                                stream_options={"include_usage": True}))
        text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
        assert text and chunks[-1].usage.completion_tokens >= 1
        c12u = chunks[-1].usage.model_extra["c12"]
        assert c12u["site"] == "north" and c12u["energy_method"].startswith("site:"), c12u
        rows = ledger_rows(gw, 3)
        assert [(r["site"], r["site_region"]) for r in rows] == [("north", "FR")] * 3, rows
        assert all(r["intensity"] == 40 and r["status"] == "ok" for r in rows), rows
        assert "c12 pool: loaded" not in gw.stderr()  # never loaded here
        r = subprocess.run([c12_san, "report", "--by", "site", "--csv", "--db", gw.ledger], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0 and re.search(r'^site,"north","",3,', r.stdout, re.M), r.stdout + r.stderr
    finally:
        gw.stop()


def test_stream_passes_through_token_by_token(c12_san, fakes):
    up = fakes(token_s=0.25, words=8)
    gw = Server(c12_san, gateway_config([site("up", up.url, 100)], ["up"], remote_model="fake-model"))
    try:
        seen = []
        for ch in client(gw).chat.completions.create(model="tiny", messages=MSG, max_tokens=8, stream=True):
            if ch.choices and ch.choices[0].delta.content:
                seen.append((time.monotonic(), ch.choices[0].delta.content))
        assert "".join(t for _, t in seen) == "".join(fake_openai.WORDS[:8])
        # the first token reached the client long before the upstream had sent its last
        assert seen[0][0] < up.finished[0] - 1.0, (seen[0][0], up.finished)
        body = posts(up)[0]["body"]
        assert body["model"] == "fake-model" and body["stream"] is True, body
        assert body["stream_options"] == {"include_usage": True} and body["max_tokens"] == 8, body
    finally:
        gw.stop()


def test_connections_are_kept_alive(c12_san, fakes):
    up = fakes(keepalive=True)
    gw = Server(c12_san, gateway_config([site("up", up.url, 100, probe_interval_s=60)], ["up"], "fake-model"))
    try:
        c = client(gw)
        for stream in (False, True, False, True):
            out = c.chat.completions.create(model="tiny", messages=MSG, max_tokens=2, stream=stream)
            text = "".join(ch.choices[0].delta.content or "" for ch in out) if stream else out.choices[0].message.content
            assert text == "Hello from"
        # one connection for the four requests one after the other (no new handshake each time)
        assert len({p["client"] for p in posts(up)}) == 1, [p["client"] for p in posts(up)]
    finally:
        gw.stop()


def test_retry_before_first_token(c12_san, fakes):
    north, south = fakes(fault="500"), fakes()
    gw = Server(c12_san, gateway_config([site("north", north.url, 40, first_token_timeout_s=0.5),
                                         site("south", south.url, 450)], ["north", "south"], "fake-model"))
    try:
        raw = client(gw).chat.completions.with_raw_response.create(model="tiny", messages=MSG, max_tokens=3)
        assert raw.headers["x-c12-site"] == "south" and "failed first: north" in raw.headers["x-c12-route"]
        assert raw.parse().choices[0].message.content == "Hello from the"
        assert len(posts(north)) == 1 and len(posts(south)) == 1
        # a stall before the first token: given up after first_token_timeout_s, south answers
        north.fault = "stall"
        t0 = time.monotonic()
        chunks = list(client(gw).chat.completions.create(model="tiny", messages=MSG, max_tokens=3, stream=True))
        assert time.monotonic() - t0 < 2.5
        assert "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices) == "Hello from the"
        rows = ledger_rows(gw, 2)
        assert [r["site"] for r in rows] == ["south", "south"] and all(r["status"] == "ok" for r in rows)
        # the request's own fault is not retried elsewhere: 400 as the site said
        north.fault = "400"
        n_south = len(posts(south))
        with pytest.raises(openai.BadRequestError) as e:
            client(gw).chat.completions.create(model="tiny", messages=MSG, max_tokens=3)
        assert e.value.code == "context_length_exceeded" and len(posts(south)) == n_south
    finally:
        gw.stop()


def test_dead_site_is_skipped_breaker_opens_and_recovers(c12_san, fakes):
    north, south = fakes(fault="down"), fakes()
    # down at start: allowed because it is optional (else a start-up error, test_bad_sites...)
    opts = dict(breaker_failures=2, breaker_backoff_s=1, probe_interval_s=0.2, optional="true")
    gw = Server(c12_san, gateway_config([site("north", north.url, 40, **opts), site("south", south.url, 450)],
                                        ["north", "south"], "fake-model"))
    try:
        wait_for(lambda: metric(gw, "c12_site_breaker_state", site="north") == 1, 10, "north's breaker to open")
        raw = client(gw).chat.completions.with_raw_response.create(model="tiny", messages=MSG, max_tokens=2)
        assert raw.headers["x-c12-site"] == "south" and "north: breaker open" in raw.headers["x-c12-route"]
        assert posts(north) == []  # skipped, not tried
        north.fault = None  # it comes back: a probe after the back-off closes the breaker
        wait_for(lambda: metric(gw, "c12_site_breaker_state", site="north") == 0, 10, "north's breaker to close")
        raw = client(gw).chat.completions.with_raw_response.create(model="tiny", messages=MSG, max_tokens=2)
        assert raw.headers["x-c12-site"] == "north"
        assert metric(gw, "c12_site_requests_total", site="north") == 1
        assert metric(gw, "c12_site_failures_total", site="north") >= 2
    finally:
        gw.stop()


def test_site_queue_counts_as_load(c12_san, fakes):
    # north is cleaner, but its own queue (vLLM's gauge) is long against its max_concurrent
    north, south = fakes(), fakes()
    north.queue = 50
    gw = Server(c12_san, gateway_config([site("north", north.url, 40, max_concurrent=4, probe_interval_s=0.2),
                                         site("south", south.url, 450)], ["north", "south"], "fake-model"))
    try:
        wait_for(lambda: metric(gw, "c12_site_upstream_queue", site="north") == 50, 10, "north's queue")
        raw = client(gw).chat.completions.with_raw_response.create(model="tiny", messages=MSG, max_tokens=2)
        assert raw.headers["x-c12-site"] == "south", raw.headers
        assert "north: 40 g/kWh, queue 50" in raw.headers["x-c12-route"], raw.headers["x-c12-route"]
        north.queue = 0  # drained: the cleaner grid wins again
        wait_for(lambda: metric(gw, "c12_site_upstream_queue", site="north") == 0, 10, "north's queue to drain")
        raw = client(gw).chat.completions.with_raw_response.create(model="tiny", messages=MSG, max_tokens=2)
        assert raw.headers["x-c12-site"] == "north"
        assert metric(gw, "c12_site_upstream_queue", site="south") is None  # south exports none
    finally:
        gw.stop()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_site_killed_then_back(c12, c12_san, real_sites):
    _, south = real_sites
    port = free_port()
    north = Server(c12, SITE_CFG.format(value=40), listen=f"127.0.0.1:{port}")
    opts = dict(breaker_failures=1, breaker_backoff_s=1, probe_interval_s=0.3)
    gw = Server(c12_san, gateway_config([site("north", north.url, 40, **opts), site("south", south.url, 450)],
                                        ["north", "south"]))
    try:
        c = client(gw)
        assert c.chat.completions.with_raw_response.create(model="tiny", messages=MSG, max_tokens=2
                                                           ).headers["x-c12-site"] == "north"
        north.proc.send_signal(signal.SIGKILL)
        north.proc.wait(10)
        for _ in range(3):  # no client error: they go to south
            assert c.chat.completions.with_raw_response.create(model="tiny", messages=MSG, max_tokens=2
                                                               ).headers["x-c12-site"] == "south"
        north.stderr_file.close()
        north.proc.stdout.close()
        north.tmp.cleanup()
        north = Server(c12, SITE_CFG.format(value=40), listen=f"127.0.0.1:{port}")
        wait_for(lambda: c.chat.completions.with_raw_response.create(
            model="tiny", messages=MSG, max_tokens=1).headers["x-c12-site"] == "north", 20, "north to serve again")
    finally:
        gw.stop()
        north.stop()


def test_site_killed_during_traffic(c12, c12_san, real_sites):
    """Streams in flight on north when it dies end with an error event; every
    request that had not started there succeeds on south; nothing hangs."""
    _, south = real_sites
    north = Server(c12, SITE_CFG.format(value=40))
    gw = Server(c12_san, gateway_config([site("north", north.url, 40, breaker_failures=1, breaker_backoff_s=30),
                                         site("south", south.url, 450)], ["north", "south"]))
    results, lock, stop = [], threading.Lock(), threading.Event()

    def worker():
        c = client(gw)
        while not stop.is_set():
            t0, text, err, where = time.monotonic(), "", None, ""
            try:
                stream = c.chat.completions.with_raw_response.create(model="tiny", messages=MSG, max_tokens=24,
                                                                     stream=True)
                where = stream.headers["x-c12-site"]
                for ch in stream.parse():
                    text += ch.choices[0].delta.content or "" if ch.choices else ""
            except openai.APIError as e:
                err = str(e.message)
            with lock:
                results.append((t0, time.monotonic(), where, text, err))
    try:
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        wait_for(lambda: len(results) >= 8, 60, "traffic on north")
        north.proc.send_signal(signal.SIGKILL)
        north.proc.wait(10)
        killed = time.monotonic()
        wait_for(lambda: sum(r[0] > killed + 0.5 for r in results) >= 8, 90, "traffic after the kill")
        stop.set()
        for t in threads:
            t.join(60)
            assert not t.is_alive(), "a request hung"
        before = [r for r in results if r[1] < killed]
        after = [r for r in results if r[0] > killed]
        assert before and all(r[4] is None and r[2] == "north" and r[3] for r in before), before
        assert after and all(r[4] is None and r[2] == "south" and r[3] for r in after), after
        cut = [r for r in results if r[4] is not None]
        assert len(cut) <= 4 and all("site north" in r[4] for r in cut), cut  # at most the streams in flight
        # the ones in flight at the kill: whole (from north before it died, or from south when they had
        # not started on north), or cut mid-stream with an error event that names north
        assert all(r[3] if r[4] is None else "site north" in r[4] for r in results if r[0] < killed < r[1])
    finally:
        stop.set()
        gw.stop()
        north.stderr_file.close()
        north.proc.stdout.close()
        north.tmp.cleanup()


@pytest.mark.parametrize("fault", ["drop", "error_event", "idle"])
def test_mid_stream_failure_is_an_error_event(c12_san, fakes, fault):
    up = fakes(fault=fault, stall_s=5.0, token_s=0.05)
    gw = Server(c12_san, gateway_config([site("up", up.url, 100, idle_timeout_s=0.5, breaker_failures=100)], ["up"],
                                        "fake-model"))
    try:
        t0, got = time.monotonic(), []
        with pytest.raises(openai.APIError) as e:
            for ch in client(gw).chat.completions.create(model="tiny", messages=MSG, max_tokens=8, stream=True):
                got.append(ch.choices[0].delta.content if ch.choices else None)
        assert time.monotonic() - t0 < 3, "no hang"
        assert "site up" in str(e.value.message), e.value.message
        assert got and got[0] == "Hello"
        assert ledger_rows(gw, 1)[0]["status"] == "error"
    finally:
        gw.stop()


def stream_then_leave(gw, wait_first_event):
    """A streamed request whose client hangs up: after its first event, or
    0.3 s after sending it (before any)."""
    data = json.dumps({"model": "tiny", "messages": MSG, "max_tokens": 40, "stream": True}).encode()
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(data) + data)
    got = b""
    while wait_first_event and b"data: " not in got:
        got += s.recv(4096)
    if not wait_first_event:
        time.sleep(0.3)
    s.close()
    return time.monotonic()


@pytest.mark.parametrize("when", ["mid_stream", "before_first_token"])
def test_client_leaving_cuts_the_site_stream(c12_san, fakes, when):
    """A site's stream runs on the gateway's connection thread (a fiber):
    a client that leaves mid-stream cuts the site's transfer (the fake stops
    sending); one that leaves before the first token is seen while the site
    stalls. Either way the row says cancelled, and the gateway serves on."""
    mid = when == "mid_stream"
    up = fakes(token_s=0.1, words=40) if mid else fakes(fault="stall", stall_s=4.0)
    gw = Server(c12_san, gateway_config([site("up", up.url, 100, first_token_timeout_s=10, breaker_failures=100)],
                                        ["up"], "fake-model"))
    try:
        left = stream_then_leave(gw, mid)
        row = ledger_rows(gw, 1)[0]
        assert row["status"] == "cancelled" and row["site"] == "up", row
        assert time.monotonic() - left < 2.0  # seen within a few reads, not at the reply's end
        if mid:
            n = len(up.sent)
            time.sleep(0.5)
            assert len(up.sent) <= n + 1 and n < 40, (n, len(up.sent))  # the site's transfer was cut
            assert not up.finished
        up.fault = None
        out = client(gw).chat.completions.create(model="tiny", messages=MSG, max_tokens=3, stream=True)
        assert "".join(ch.choices[0].delta.content or "" for ch in out if ch.choices) == "Hello from the"
    finally:
        gw.stop()


def test_first_token_timeout_is_a_504(c12_san, fakes):
    up = fakes(fault="stall", stall_s=5.0)
    gw = Server(c12_san, gateway_config([site("up", up.url, 100, first_token_timeout_s=0.5)], ["up"], "fake-model"))
    try:
        t0 = time.monotonic()
        with pytest.raises(openai.APIStatusError) as e:
            client(gw).chat.completions.create(model="tiny", messages=MSG, max_tokens=3)
        assert e.value.status_code == 504 and time.monotonic() - t0 < 2.5
        assert "first_token_timeout_s" in e.value.message
        row = ledger_rows(gw, 1)[0]
        assert row["status"] == "timeout" and row["site"] == "up"
    finally:
        gw.stop()


def test_usage_counted_and_energy_estimated_or_taken(c12_san, fakes):
    up = fakes(fault="no_usage")
    gw = Server(c12_san, gateway_config([site("up", up.url, 100, j_per_prompt_token=0.5, j_per_output_token=2)],
                                        ["up"], "fake-model"))
    try:
        chunks = list(client(gw).chat.completions.create(model="tiny", messages=MSG, max_tokens=5, stream=True,
                                                         stream_options={"include_usage": True}))
        assert chunks[-1].usage.completion_tokens == 5  # counted: the upstream sent no usage
        up.fault = "c12_usage"  # a C12 upstream reports its energy in usage.c12
        out = client(gw).chat.completions.create(model="tiny", messages=MSG, max_tokens=5)
        assert out.usage.model_extra["c12"]["energy_j"] == 12.5
        rows = ledger_rows(gw, 2)
        assert rows[0]["energy_method"] == "site-estimate" and rows[0]["completion_tokens"] == 5
        assert rows[0]["energy_j"] == pytest.approx(rows[0]["prompt_tokens"] * 0.5 + 5 * 2)
        assert rows[1]["energy_method"] == "site:rapl" and rows[1]["energy_j"] == 12.5
    finally:
        gw.stop()


def test_what_a_remote_model_cannot_do_here(c12_san, fakes):
    up = fakes()
    gw = Server(c12_san, gateway_config([site("up", up.url, 100)], ["up"], "fake-model"))
    try:
        st, body = gw.post("/tokenize", {"model": "tiny", "content": "hello"})
        assert st == 400 and "served by other servers" in json.loads(body)["error"]["message"], body
        assert posts(up) == []
        # a completion (not chat) goes to the site's /completions
        out = client(gw).completions.create(model="tiny", prompt="Once", max_tokens=2)
        assert out.choices[0].text == "Hello from" and posts(up)[0]["path"] == "/v1/completions"
        assert posts(up)[0]["body"]["prompt"] == "Once"  # the prompt goes along (it once did not)
        # n > 1: each choice is a request to the site
        up.fault = "c12_usage"
        out = client(gw).chat.completions.create(model="tiny", messages=MSG, max_tokens=2, n=2)
        assert [c.message.content for c in out.choices] == ["Hello from", "Hello from"] and len(posts(up)) == 3
        assert out.usage.model_extra["c12"]["energy_j"] == 25.0  # the site's own figures, summed
    finally:
        gw.stop()


def test_calibrate_site(c12_san, real_sites, fakes, tmp_path):
    north, _ = real_sites
    up = fakes()
    cfg = tmp_path / "c12.yaml"
    cfg.write_text(gateway_config([site("north", north.url, 40), site("up", up.url, 100)], ["north"]) +
                   "  - {id: other, sites: [up], remote_model: fake-model}\n")
    r = subprocess.run([c12_san, "calibrate", "--site", "north", "--config", str(cfg), "-p", "48", "-n", "12"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    rates = dict(re.findall(r"^    (j_per_\w+): ([\d.e+-]+)$", r.stdout, re.M))
    assert float(rates["j_per_prompt_token"]) > 0 and float(rates["j_per_output_token"]) > 0, r.stdout
    assert re.search(r"\+12 tokens", r.stdout), r.stdout  # ignore_eos: all 12 output tokens came
    # a site that reports no energy (not a C12): its latency only
    r = subprocess.run([c12_san, "calibrate", "--site", "up", "--config", str(cfg)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and "reports no energy" in r.stdout and "j_per_prompt_token 0.02" in r.stdout, r.stdout
    assert posts(up)[0]["body"]["ignore_eos"] is True
    r = subprocess.run([c12_san, "calibrate", "--site", "nowhere", "--config", str(cfg)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1 and "no site 'nowhere'" in r.stderr


BAD = [
    ("sites:\n  north: {carbon: {chain: [static]}}\n", "c12.yaml:2", "needs a url"),
    ("sites:\n  north:\n    url: ftp://x/v1\n", "c12.yaml:3", "sites.north.url: must start with http"),
    ("sites:\n  north:\n    url: http://127.0.0.1:9/v1\n    max_concurent: 3\n", "c12.yaml:4", "unknown key"),
    ("sites:\n  north:\n    url: http://127.0.0.1:9/v1\n", "c12.yaml:3", "needs a carbon"),
    ("sites:\n  local: {url: http://127.0.0.1:9/v1}\n", "c12.yaml:2", "reserved"),
    ("models:\n  - {id: tiny, sites: [nowhere]}\n", "c12.yaml:2", "'nowhere' is not a site"),
    # `local` among its sites: the model is loaded here too, so it needs a file
    (gateway_config([site("north", "http://127.0.0.1:9", 40)], ["local", "north"]), "c12.yaml:",
     "neither a catalogue name nor a .gguf path"),
    (gateway_config([site("north", "http://127.0.0.1:9", 40, api_key_env="C12_TEST_UNSET_KEY")], ["north"]),
     "c12.yaml:2", "$C12_TEST_UNSET_KEY is not set"),
    # nothing listens on port 9: an unreachable site is a start-up error unless optional
    (gateway_config([site("north", "http://127.0.0.1:9", 40)], ["north"]), "c12.yaml:2",
     "sites.north: the site does not answer"),
]


@pytest.mark.parametrize("text,where,what", BAD)
def test_bad_sites_are_start_up_errors(c12_san, tmp_path, text, where, what):
    if not text.startswith("models:") and "models:" not in text:
        text += "models:\n  - {id: tiny, source: smollm2-135m}\n"
    (tmp_path / "c12.yaml").write_text(text)
    r = subprocess.run([c12_san, "serve", "--listen", "127.0.0.1:0", "--config", str(tmp_path / "c12.yaml"),
                        "--ledger", str(tmp_path / "l.db"), "--batches", str(tmp_path / "b")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and where in r.stderr and what in r.stderr, r.stderr
