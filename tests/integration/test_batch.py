"""OpenAI's Files and Batches API, and flex requests, on a real `c12 serve` (sanitizer binary,
smollm2-135m), driven by the official openai SDK: a batch submitted while a
trace replayed onto the clock is dirty waits for its clean step and then
completes with every line in its output file; a window too short to wait
for cleaner power starts at once; cancel; a SIGTERM in the middle of a
batch and a restart lose no line and answer none twice; bad files are
refused with the line named; a file that does not fit its batch fails it."""
import datetime
import os
import json
import time

import openai
import pytest

from server_helpers import Server
from test_server_route import need, rows

DIRTY, CLEAN, OTHER = 400.0, 50.0, 300.0


def client(srv):
    return openai.OpenAI(base_url=srv.url + "/v1", api_key="none", max_retries=0)


def line(i, url="/v1/chat/completions", model="auto", **body):
    if url == "/v1/chat/completions":
        b = {"model": model, "messages": [{"role": "user", "content": f"Say {i}."}], "max_tokens": 2}
    else:
        b = {"model": model, "prompt": f"{i} + {i} =", "max_tokens": 2}
    b.update(body)
    return json.dumps({"custom_id": f"req-{i}", "method": "POST", "url": url, "body": b})


def upload(c, lines):
    return c.files.create(file=("in.jsonl", ("\n".join(lines) + "\n").encode()), purpose="batch")


def wait_final(c, batch_id, timeout=240):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        b = c.batches.retrieve(batch_id)
        if b.status in ("completed", "failed", "expired", "cancelled"):
            return b
        time.sleep(0.2)
    raise AssertionError(f"batch {batch_id} still {b.status} after {timeout} s")


def results(c, file_id):
    return [json.loads(x) for x in c.files.content(file_id).text.splitlines()] if file_id else []


def trace_config(tmp_path, dirty_steps, clean_steps, extra="", flex_max_wait_s=600):
    """A one-day trace of half-hours replayed at 600x (a half-hour each 3 s)
    from now: now's half-hour and the next dirty_steps - 1 are dirty, the
    clean_steps after them clean, the rest middling (the day before, which
    the trace sends as history, has the same shape: the forecaster knows it)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    k0 = (now.hour * 60 + now.minute) // 30
    day = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    rows_ = ["datetime,intensity_gco2_per_kwh"]
    for k in range(48):
        since = (k - k0) % 48
        v = DIRTY if since < dirty_steps else CLEAN if since < dirty_steps + clean_steps else OTHER
        rows_.append(f"{(day + datetime.timedelta(minutes=30 * k)).strftime('%Y-%m-%dT%H:%MZ')},{v}")
    trace = tmp_path / "trace.csv"
    trace.write_text("\n".join(rows_) + "\n")
    return f"""
server: {{default_max_tokens: 4, flex_max_wait_s: {flex_max_wait_s}}}
carbon:
  chain: [trace]
  providers:
    trace: {{path: {trace}, speed: 600, ttl_s: 1, forecast_ttl_s: 1}}
batch: {{tick_s: 0.2{extra}}}
"""


@pytest.fixture(scope="module")
def static_srv(c12_san):
    need("smollm2-135m")
    s = Server(c12_san, "carbon: {chain: [static], providers: {static: {value: 200}}}\nbatch: {tick_s: 0.2, max_lines: 5}\n")
    yield s
    s.stop()


def test_a_batch_waits_for_the_clean_step_then_completes(c12_san, tmp_path):
    need("smollm2-135m")
    s = Server(c12_san, trace_config(tmp_path, dirty_steps=3, clean_steps=12), ledger=tmp_path / "ledger.db")
    try:
        c = client(s)
        f = upload(c, [line(i) for i in range(3)])
        b = c.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions", completion_window="1h",
                             metadata={"job": "nightly"})
        assert b.status == "in_progress" and b.request_counts.total == 3 and b.metadata == {"job": "nightly"}
        assert b.expires_at == b.created_at + 3600 and b.c12["intensity_at_submission"] == DIRTY
        assert 0 < b.c12["estimated_s"] < 60  # three lines of 2 tokens
        time.sleep(2)
        b = c.batches.retrieve(b.id)
        assert b.status == "in_progress" and b.request_counts.completed == 0, b
        assert b.c12["planned_start_at"] > time.time() - 1 and b.c12["deferred_s"] > 1
        done = wait_final(c, b.id)
        assert done.status == "completed" and done.request_counts.completed == 3 and done.request_counts.failed == 0
        assert done.completed_at >= done.finalizing_at >= done.in_progress_at and done.error_file_id is None
        out = results(c, done.output_file_id)
        assert sorted(r["custom_id"] for r in out) == ["req-0", "req-1", "req-2"]
        for r in out:
            body = r["response"]["body"]
            assert r["response"]["status_code"] == 200 and r["error"] is None and body["choices"]
            assert body["usage"]["c12"]["carbon_intensity"] == CLEAN
        assert done.c12["co2_g"] < done.c12["co2_at_submission_g"] / 4 and done.c12["deferred_s"] > 2
        assert c.files.retrieve(done.output_file_id).purpose == "batch_output"
        st, text = s.get("/metrics")
        metrics = dict(l.rsplit(" ", 1) for l in text.splitlines() if l.startswith("c12_batch"))
        assert float(metrics['c12_batches{status="completed"}']) == 1 and float(metrics["c12_batch_lines_pending"]) == 0
        assert float(metrics["c12_batch_co2_avoided_grams"]) == pytest.approx(
            done.c12["co2_at_submission_g"] - done.c12["co2_g"], rel=1e-3)
        assert float(metrics["c12_batch_deferred_seconds_total"]) > 2
        st, status = s.get("/dashboard/api/status")
        dash = json.loads(status)["batches"]
        assert dash["by_status"] == {"completed": 1} and dash["lines_pending"] == 0 and dash["deferred_h"] > 0
        assert dash["co2_avoided_g"] == pytest.approx(float(metrics["c12_batch_co2_avoided_grams"]), rel=1e-3)
    finally:
        s.stop()
    got = rows(s.ledger)  # each line is a request in the ledger, with its batch
    assert len(got) == 3 and {r["batch_id"] for r in got} == {b.id} and {r["status"] for r in got} == {"ok"}


def test_no_time_to_wait_starts_at_once(c12_san, tmp_path):
    """Clean comes after the deadline (less the margin): it runs now, dirty."""
    need("smollm2-135m")
    s = Server(c12_san, trace_config(tmp_path, dirty_steps=40, clean_steps=4))
    try:
        c = client(s)
        b = c.batches.create(input_file_id=upload(c, [line(0)]).id, endpoint="/v1/chat/completions",
                             completion_window="2m")
        done = wait_final(c, b.id, timeout=60)
        assert done.status == "completed" and done.c12["deferred_s"] < 2
        assert results(c, done.output_file_id)[0]["response"]["body"]["usage"]["c12"]["carbon_intensity"] == DIRTY
    finally:
        s.stop()


def test_cancel_a_waiting_batch(c12_san, tmp_path):
    need("smollm2-135m")
    s = Server(c12_san, trace_config(tmp_path, dirty_steps=20, clean_steps=4))
    try:
        c = client(s)
        b = c.batches.create(input_file_id=upload(c, [line(0), line(1)]).id, endpoint="/v1/chat/completions",
                             completion_window="1h")
        cancelled = c.batches.cancel(b.id)
        assert cancelled.status in ("cancelling", "cancelled") and cancelled.cancelling_at
        done = wait_final(c, b.id, timeout=30)
        assert done.status == "cancelled" and done.cancelled_at and done.request_counts.completed == 0
        assert done.output_file_id is None
        with pytest.raises(openai.ConflictError):
            c.batches.cancel(b.id)
    finally:
        s.stop()


def test_restart_in_the_middle_loses_nothing(c12_san, tmp_path):
    need("smollm2-135m")
    cfg = "carbon: {chain: [static], providers: {static: {value: 200}}}\nbatch: {tick_s: 0.2}\n"
    batches, ledger = tmp_path / "batches", tmp_path / "ledger.db"
    s = Server(c12_san, cfg, batches=batches, ledger=ledger)
    try:
        c = client(s)
        b = c.batches.create(input_file_id=upload(c, [line(i, max_tokens=8) for i in range(5)]).id,
                             endpoint="/v1/chat/completions", completion_window="24h")
        t0 = time.monotonic()
        while c.batches.retrieve(b.id).request_counts.completed < 1 and time.monotonic() - t0 < 60:
            time.sleep(0.1)
    finally:
        s.stop()
    s = Server(c12_san, cfg, batches=batches, ledger=ledger)
    try:
        c = client(s)
        middle = c.batches.retrieve(b.id)
        assert 1 <= middle.request_counts.completed < 5 or middle.status == "completed"
        done = wait_final(c, b.id)
        out = results(c, done.output_file_id)
        ids = [r["custom_id"] for r in out]
        assert done.status == "completed" and done.request_counts.completed == 5
        assert ids == [f"req-{i}" for i in range(5)]  # each once, in the file's order
    finally:
        s.stop()


@pytest.mark.parametrize("bad, says", [
    (line(0) + "\n{\"custom_id\": \"x\"", "line 2"),
    (line(0) + "\n" + line(1).replace("/v1/chat/completions", "/v1/embeddings"), "line 2: \"url\""),
    (line(0, model="no-such-model"), "line 1: body: the model 'no-such-model' is not served"),
    ("\n".join(line(i) for i in range(6)), "line 6: more than 5 requests"),
    (line(0) + "\n" + line(0), "line 2: \"custom_id\" \"req-0\" was used on line 1"),
    (line(0, messages="hi"), "line 1: body:"),
])
def test_bad_files_name_the_line(static_srv, bad, says):
    c = client(static_srv)
    with pytest.raises(openai.BadRequestError) as e:
        c.files.create(file=("bad.jsonl", bad.encode()), purpose="batch")
    assert says in e.value.body["message"], e.value.body
    assert e.value.body["param"] == "file"


def test_requests_that_are_not_files(static_srv):
    c = client(static_srv)
    with pytest.raises(openai.BadRequestError) as e:
        c.files.create(file=("in.jsonl", line(0).encode()), purpose="fine-tune")
    assert e.value.body["param"] == "purpose"
    with pytest.raises(openai.NotFoundError):
        c.files.retrieve("file-nope")
    with pytest.raises(openai.NotFoundError):
        c.batches.create(input_file_id="file-nope", endpoint="/v1/chat/completions", completion_window="24h")
    f = upload(c, [line(0)])
    for window, param in (("25x", "completion_window"), ("8d", "completion_window"), ("30s", "completion_window")):
        with pytest.raises(openai.BadRequestError) as e:
            c.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions", completion_window=window)
        assert e.value.body["param"] == param
    with pytest.raises(openai.BadRequestError):
        c.batches.create(input_file_id=f.id, endpoint="/v1/embeddings", completion_window="24h")
    assert c.files.delete(f.id).deleted
    with pytest.raises(openai.NotFoundError):
        c.files.content(f.id)


def test_a_file_that_does_not_fit_its_batch_fails_it(static_srv):
    c = client(static_srv)
    f = upload(c, [line(0, url="/v1/completions"), line(1)])
    b = c.batches.create(input_file_id=f.id, endpoint="/v1/completions", completion_window="24h")
    assert b.status == "failed" and b.failed_at and b.request_counts.total == 0
    assert b.errors.data[0].line == 2 and "/v1/chat/completions" in b.errors.data[0].message
    # newest first; a page after it holds only older batches
    page = c.batches.list(limit=1)
    assert [x.id for x in page.data] == [b.id]
    assert b.id not in [x.id for x in c.batches.list(after=b.id, limit=100).data]


def test_completions_batch_and_failed_lines(static_srv):
    c = client(static_srv)
    f = upload(c, [line(0, url="/v1/completions"), line(1, url="/v1/completions", prompt="hello " * 6000)])
    done = wait_final(c, c.batches.create(input_file_id=f.id, endpoint="/v1/completions", completion_window="24h").id)
    assert done.status == "completed" and done.request_counts.completed == 1 and done.request_counts.failed == 1
    ok, failed = results(c, done.output_file_id), results(c, done.error_file_id)
    assert ok[0]["custom_id"] == "req-0" and ok[0]["response"]["body"]["object"] == "text_completion"
    assert failed[0]["custom_id"] == "req-1" and failed[0]["response"]["status_code"] == 400
    assert failed[0]["response"]["body"]["error"]["type"] == "invalid_request_error"


def test_flex_waits_for_clean_power(c12_san, tmp_path):
    need("smollm2-135m")
    s = Server(c12_san, trace_config(tmp_path, dirty_steps=3, clean_steps=4, flex_max_wait_s=30))
    try:
        c = client(s)
        ask = dict(model="smollm2-135m", messages=[{"role": "user", "content": "Hi"}], max_tokens=2)
        r = c.chat.completions.with_raw_response.create(service_tier="flex", **ask)
        body = r.parse()
        assert body.service_tier == "flex" and float(r.headers["x-c12-flex-wait-s"]) > 1.5
        assert float(r.headers["x-c12-carbon-intensity"]) == CLEAN
        # already clean: no wait; and a request that is not flex never waits or says so
        r = c.chat.completions.with_raw_response.create(service_tier="flex", **ask)
        assert float(r.headers["x-c12-flex-wait-s"]) < 1
        r = c.chat.completions.with_raw_response.create(**ask)
        assert "x-c12-flex-wait-s" not in r.headers and r.parse().service_tier is None
        with pytest.raises(openai.BadRequestError) as e:
            c.chat.completions.create(service_tier="cheap", **ask)
        assert e.value.body["param"] == "service_tier"
    finally:
        s.stop()


def test_flex_waits_no_longer_than_allowed(c12_san, tmp_path):
    """Clean comes in ~60 s; flex_max_wait_s is 2: no cleaner start in reach, it runs at once."""
    need("smollm2-135m")
    s = Server(c12_san, trace_config(tmp_path, dirty_steps=20, clean_steps=4, flex_max_wait_s=2))
    try:
        r = client(s).chat.completions.with_raw_response.create(
            model="smollm2-135m", messages=[{"role": "user", "content": "Hi"}], max_tokens=2, service_tier="flex")
        assert float(r.headers["x-c12-flex-wait-s"]) < 1.5 and float(r.headers["x-c12-carbon-intensity"]) == DIRTY
    finally:
        s.stop()


def test_the_batch_command(static_srv, c12_san, tmp_path):
    from conftest import run
    env = dict(os.environ, C12_URL=static_srv.url)
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join(line(i, url="/v1/completions") for i in range(2)) + "\n")
    r = run([c12_san, "batch", "submit", str(f), "--window", "2h", "--wait"], env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    batch_id = r.stdout.splitlines()[0]
    assert batch_id.startswith("batch_") and "completed: 2/2 lines" in r.stdout
    r = run([c12_san, "batch", "results", batch_id, "-o", str(tmp_path / "out.jsonl")], env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [x["custom_id"] for x in out] == ["req-0", "req-1"]
    assert out[0]["response"]["body"]["object"] == "text_completion"  # the endpoint came from the file
    r = run([c12_san, "batch", "status", batch_id, "--json"], env=env, timeout=60)
    assert r.returncode == 0 and json.loads(r.stdout)["completion_window"] == "2h"
    assert batch_id in run([c12_san, "batch", "list"], env=env, timeout=60).stdout
    r = run([c12_san, "batch", "cancel", batch_id], env=env, timeout=60)
    assert r.returncode == 1 and "Cannot cancel a batch with status completed" in r.stderr
    r = run([c12_san, "batch", "results", batch_id, "--errors"], env=env, timeout=60)
    assert r.returncode == 1 and "has no error file" in r.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line(0) + "\n{oops\n")
    r = run([c12_san, "batch", "submit", str(bad)], env=env, timeout=60)
    assert r.returncode == 1 and "line 2" in r.stderr
    assert run([c12_san, "batch", "frobnicate"], env=env, timeout=60).returncode == 2
    time.sleep(0.5)  # the ledger's writer commits within its flush interval
    r = run([c12_san, "report", "--db", static_srv.ledger, "--batches", static_srv.batches, "--json"], timeout=60)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)["batches"]
    assert rep["by_status"]["completed"] >= 1 and rep["lines_pending"] == 0
