"""Model files that are corrupt, or that vanish or shrink while C12 runs
(issue 16, "Faults"), on the sanitized binary: the requests that need the
model get a clear OpenAI-shaped error naming it and the reason, the other
model keeps answering, /v1/models and /metrics keep answering, and the
process survives. Each case counts what was asked and what the ledger
holds afterwards (one row per answered or failed request).

The shrinking case is the one that used to kill the server: the weights are
mapped from the file, and a file truncated or rewritten in place under the
mapping raised SIGBUS at the next read of the lost pages (measured before
the fix: the process died at the first request after `truncate`)."""
import hashlib
import json
import os
import shutil
import sqlite3

import pytest

from conftest import model_path
from server_helpers import Server, error_of, open_stream, recv_all, sse_events


def need_smollm():
    if not model_path("smollm2-135m").exists():
        pytest.skip("smollm2-135m is not in the model cache; run: make models")


def chat(srv, model):
    return srv.post("/v1/chat/completions", {"model": model, "max_tokens": 2,
                                             "messages": [{"role": "user", "content": "Say hi."}]})


def config(models):
    lines = "".join(f"  - {{id: {m}, path: {p}{extra}}}\n" for m, p, extra in models)
    return f"""server: {{default_max_tokens: 2}}
cache: {{enabled: false}}
models:
  - {{id: smollm2-135m, source: smollm2-135m}}
{lines}"""


def metric(srv, name, model):
    code, body = srv.get("/metrics")
    assert code == 200
    for line in body.splitlines():
        if line.startswith(f'{name}{{model="{model}"}} '):
            return float(line.split()[1])
    return None


def ledger_rows(db):
    con = sqlite3.connect(db)
    try:
        return dict(con.execute("SELECT model || ':' || status, count(*) FROM requests GROUP BY 1").fetchall())
    finally:
        con.close()


def still_serving(srv, bad):
    """The good model answers, /v1/models lists every model, /metrics answers."""
    st, body = chat(srv, "smollm2-135m")
    assert st == 200, body
    st, body = srv.get("/v1/models")
    assert st == 200 and bad in {m["id"] for m in json.loads(body)["data"]}, body
    assert srv.get("/metrics")[0] == 200


def stop_and_count(srv, tmp_path):
    """SIGTERM (the ledger drains), then the rows by model and status."""
    db = tmp_path / "ledger.db"
    srv.stop()
    return ledger_rows(db)


def test_corrupt_files_are_clear_errors(c12_san, tmp_path):
    need_smollm()
    good = model_path("smollm2-135m")
    raw = good.read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(raw[: len(raw) // 2])  # the tensor data ends early
    header = tmp_path / "header.gguf"
    header.write_bytes(raw[:8] + b"\xff" * 16 + raw[24:])  # tensor and key counts overwritten
    weights = bytearray(raw)
    for i in range(len(raw) * 2 // 5, len(raw), 4096):
        weights[i:i + 512] = b"\xff" * 512  # NaN scales all over the weights
    scribbled = tmp_path / "scribbled.gguf"
    scribbled.write_bytes(bytes(weights))
    checked = tmp_path / "checked.gguf"
    checked.write_bytes(bytes(weights))
    sha = hashlib.sha256(raw).hexdigest()
    srv = Server(c12_san, config([("cut", cut, ""), ("header", header, ""), ("scribbled", scribbled, ""),
                                  ("checked", checked, f", sha256: {sha}")]), ledger=tmp_path / "ledger.db")
    try:
        reasons = {"cut": "runs past the end of the file", "header": "exceed what the file can hold",
                   "scribbled": "no finite logit", "checked": "sha256 is"}
        for model, reason in reasons.items():
            st, body = chat(srv, model)
            e = error_of(body)
            assert st == 500 and e["type"] == "server_error", body
            assert f"model {model}" in e["message"] or model in e["message"], e
            assert reason in e["message"], e
            still_serving(srv, model)
        assert metric(srv, "c12_model_load_failures_total", "cut") == 1
        assert metric(srv, "c12_model_load_failures_total", "checked") == 1
        assert metric(srv, "c12_model_loaded", "scribbled") == 1  # it loads; what it computes is refused
    finally:
        rows = stop_and_count(srv, tmp_path)
    assert rows == {"smollm2-135m:ok": 4, "cut:error": 1, "header:error": 1, "scribbled:error": 1,
                    "checked:error": 1}, rows


def test_file_deleted_before_its_load_or_after_eviction(c12_san, tmp_path):
    need_smollm()
    early = tmp_path / "early.gguf"
    evicted = tmp_path / "evicted.gguf"
    for p in (early, evicted):
        shutil.copyfile(model_path("smollm2-135m"), p)
    srv = Server(c12_san, config([("early", early, ""), ("evicted", evicted, ", keep_alive: 0")]),
                 ledger=tmp_path / "ledger.db")
    try:
        early.unlink()  # configured, never loaded yet
        st, body = chat(srv, "early")
        assert st == 500 and error_of(body)["code"] == "model_load_failed", body
        assert "model early" in body and str(early) in body, body
        still_serving(srv, "early")
        st, body = chat(srv, "evicted")  # loads, answers, unloads at once (keep_alive 0)
        assert st == 200, body
        assert metric(srv, "c12_model_loaded", "evicted") == 0
        evicted.unlink()
        st, body = chat(srv, "evicted")
        assert st == 500 and "model evicted" in error_of(body)["message"] and str(evicted) in body, body
        still_serving(srv, "evicted")
    finally:
        rows = stop_and_count(srv, tmp_path)
    assert rows == {"smollm2-135m:ok": 2, "early:error": 1, "evicted:ok": 1, "evicted:error": 1}, rows


def test_file_truncated_or_deleted_while_loaded(c12_san, tmp_path):
    """Truncating the mapped file in place (what `cp new old` does first)
    fails the request that meets the lost pages, with a message that says
    what happened, and unloads the model; a file put back by rename loads
    again. Unlinking a loaded file changes nothing: the mapping keeps it."""
    need_smollm()
    path = tmp_path / "m.gguf"
    shutil.copyfile(model_path("smollm2-135m"), path)
    size = path.stat().st_size
    srv = Server(c12_san, config([("m", path, "")]), ledger=tmp_path / "ledger.db")
    try:
        assert chat(srv, "m")[0] == 200  # loaded, mapped
        os.truncate(path, size // 2)
        st, body = chat(srv, "m")
        e = error_of(body)
        assert st == 500 and "model m" in e["message"] and "truncated or rewritten in place" in e["message"], body
        assert srv.proc.poll() is None
        still_serving(srv, "m")
        assert metric(srv, "c12_model_loaded", "m") == 0  # unloaded, not reused with zeros for weights
        assert "unloading m: its file changed on disk" in srv.stderr()
        fresh = tmp_path / "fresh.gguf"
        shutil.copyfile(model_path("smollm2-135m"), fresh)
        os.rename(fresh, path)  # the safe way to replace a model file
        st, body = chat(srv, "m")
        assert st == 200, body
        path.unlink()  # loaded: the mapping keeps the inode
        st, body = chat(srv, "m")
        assert st == 200, body
    finally:
        rows = stop_and_count(srv, tmp_path)
    assert rows == {"smollm2-135m:ok": 1, "m:ok": 3, "m:error": 1}, rows


def test_file_truncated_during_a_stream(c12_san, tmp_path):
    """The file cut while a stream is generating from it: the stream ends
    with an error event saying what happened (its headers went out long
    ago), the process lives, and the model answers again from a file put
    back by rename."""
    need_smollm()
    path = tmp_path / "m.gguf"
    shutil.copyfile(model_path("smollm2-135m"), path)
    size = path.stat().st_size
    srv = Server(c12_san, config([("m", path, "")]), ledger=tmp_path / "ledger.db")
    try:
        s, got = open_stream(srv, {"model": "m", "stream": True, "max_tokens": 400, "temperature": 0.8,
                                   "messages": [{"role": "user", "content": "Tell me a long story."}]})
        os.truncate(path, size // 3)
        got += recv_all(s)
        s.close()
        events, finished = sse_events(got)
        errors = [json.loads(e[len("data: "):])["error"] for e in events if '"error"' in e]
        assert finished and errors, events[-3:]
        assert "truncated or rewritten in place" in errors[0]["message"], errors
        assert srv.proc.poll() is None
        still_serving(srv, "m")
        fresh = tmp_path / "fresh.gguf"
        shutil.copyfile(model_path("smollm2-135m"), fresh)
        os.rename(fresh, path)
        st, body = chat(srv, "m")
        assert st == 200, body
    finally:
        rows = stop_and_count(srv, tmp_path)
    assert rows == {"smollm2-135m:ok": 1, "m:error": 1, "m:ok": 1}, rows
