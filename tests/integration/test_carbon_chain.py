"""The fallback chain against the fakes: it keeps answering through every
fault, falls back in order, returns to the first provider when it recovers,
honours Retry-After, never waits on a slow provider, and no credential
appears in any output, error or status line."""
import time

import pytest

from carbon_helpers import (EM_KEY, WT_PASSWORD, Watch, answered_by, fakes, now_json, run_c12,  # noqa: F401
                            write_config)

FAULTS = ["401", "403", "429", "500", "slow", "malformed", "missing", "garbage"]


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_falls_back_in_order(c12_san, fakes, tmp_path, fault):  # noqa: F811
    fakes.em.slow_s = fakes.wt.slow_s = fakes.uk.slow_s = 2.0
    cfg = write_config(tmp_path / "c.yaml", fakes, ["em", "wt", "uk", "trace", "static"], timeout_ms=400)
    fakes.em.fault = fault
    r, raw = now_json(c12_san, cfg)
    assert r["provider"] == "wt" and r["chain_position"] == 1
    fakes.wt.fault = fault
    r, raw2 = now_json(c12_san, cfg)
    assert r["provider"] == "uk"
    fakes.uk.fault = fault
    r, raw3 = now_json(c12_san, cfg)
    assert r["provider"] == "trace"
    for out in (raw, raw2, raw3):
        assert EM_KEY not in out.stdout + out.stderr and WT_PASSWORD not in out.stdout + out.stderr


def test_live_chain_falls_back_and_returns(c12_san, fakes, tmp_path):  # noqa: F811
    cfg = write_config(tmp_path / "c.yaml", fakes, ["em", "uk", "trace", "static"], ttl=0.2, staleness=1,
                       timeout_ms=500)
    w = Watch(c12_san, cfg, seconds=40, interval_ms=100)
    try:
        w.until(answered_by("em"), timeout=10)
        fakes.em.fault = "500"
        w.until(answered_by("uk"), timeout=10)
        fakes.uk.fault = "malformed"
        w.until(answered_by("trace"), timeout=10)
        fakes.em.fault = fakes.uk.fault = None
        w.until(answered_by("em"), timeout=10)  # back to the first provider
        assert all(l["ok"] for l in w.lines)  # an answer at every interval, whatever failed
        order = [l["provider"] for l in w.lines]
        first = {p: order.index(p) for p in ("em", "uk", "trace")}
        assert first["em"] < first["uk"] < first["trace"]
    finally:
        out, err = w.close()
    assert EM_KEY not in out + err
    errors = {p["last_error"] for l in w.lines for p in l["providers"]}
    assert any("HTTP 500" in e for e in errors) and any("malformed JSON" in e for e in errors)


def test_retry_after_is_honoured(c12_san, fakes, tmp_path):  # noqa: F811
    cfg = write_config(tmp_path / "c.yaml", fakes, ["em", "static"], ttl=0.1, backoff=(0.1, 0.2))
    fakes.em.fault = "429"
    fakes.em.retry_after = 2
    w = Watch(c12_san, cfg, seconds=20, interval_ms=100)
    try:
        w.until(lambda _: len(fakes.em.requests("/v3/carbon-intensity/latest")) >= 2, timeout=10)
        assert all(l["ok"] for l in w.lines)  # static answers meanwhile
    finally:
        w.close()
    reqs = fakes.em.requests("/v3/carbon-intensity/latest")
    gap = reqs[1]["t"] - reqs[0]["t"]
    assert gap >= 1.9, gap  # not the 0.1 s backoff: the server's 2 s


def test_slow_provider_never_blocks_answers(c12_san, fakes, tmp_path):  # noqa: F811
    fakes.em.slow_s = 4.0
    cfg = write_config(tmp_path / "c.yaml", fakes, ["em", "uk"], ttl=0.2, staleness=1, timeout_ms=1500)
    w = Watch(c12_san, cfg, seconds=20, interval_ms=100)
    try:
        w.until(answered_by("em"), timeout=10)
        fakes.em.fault = "slow"
        w.until(answered_by("uk"), timeout=10)
        start = time.monotonic()
        stamps = []
        while time.monotonic() - start < 3.5:  # across two or more 1.5 s timeouts
            w.next(timeout=2)
            stamps.append(time.monotonic())
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]
        assert max(gaps) < 1.0, max(gaps)  # every ~100 ms, not blocked for a 1.5 s timeout
        assert all(l["ok"] for l in w.lines)
    finally:
        w.close()
    errors = {p["last_error"] for l in w.lines for p in l["providers"] if p["provider"] == "em"}
    assert any("timed out" in e for e in errors)


def test_credentials_never_leak(c12_san, fakes, tmp_path):  # noqa: F811
    """Refused credentials and every other fault: no key, password or token in
    stdout, stderr (errors) or the status lines (the metrics of the cache)."""
    fakes.em.key = "a-different-key"
    fakes.wt.password = "a-different-password"
    cfg = write_config(tmp_path / "c.yaml", fakes, ["em", "wt", "static"], ttl=0.2, timeout_ms=400)
    w = Watch(c12_san, cfg, seconds=20, interval_ms=100)
    try:
        w.until(lambda l: all(p["failures"] >= 2 for p in l["providers"][:2]), timeout=10)
    finally:
        out, err = w.close()
    assert "401" in out
    for secret in (EM_KEY, WT_PASSWORD):
        assert secret not in out and secret not in err
    for fault in FAULTS:
        fakes.em.fault = fakes.wt.fault = fault
        r = run_c12(c12_san, "now", "--config", cfg, "--json")
        assert EM_KEY not in r.stdout + r.stderr and WT_PASSWORD not in r.stdout + r.stderr
