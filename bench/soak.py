"""`make soak`: C12 under steady load for SOAK_S seconds (default 600), and
a verdict on whether it holds (issue 16).

  1. start `c12 serve` (C12_BIN, default build/c12) on a free 127.0.0.1
     port, with a ledger and batches folder of its own in a temporary
     directory, serving smollm2-135m and gemma3-270m;
  2. measure its capacity: SOAK_CLIENTS (4) clients in a closed loop for
     SOAK_CAPACITY_S (20) seconds: requests/s of the mix below;
  3. run an open loop at SOAK_LOAD (0.8) of that capacity for SOAK_S
     seconds: Poisson arrivals of plain and streamed chat and completion
     requests, for `auto` and for each model by name, a few tokens each;
     one stream in ten is closed by its client after its first token (an
     expected disconnect, counted apart from errors);
  4. every SOAK_SAMPLE_S (5) seconds, print the server's RSS, open
     descriptors, threads (/proc), open connections and queue depth
     (/metrics), the requests finished in the window, their errors and
     p50/p99 latency (from each request's scheduled arrival, so a server
     that falls behind shows it);
  5. stop the server (SIGTERM) and judge: no unexpected error; RSS grew
     under 5% from the end of the warm-up (the first 20% of the run) to the
     end; descriptors and threads at rest after the run as before it (and
     no connection left open); the last third's p99 within 1.5x of the
     first third's (after the warm-up); the ledger holds one row per
     request sent, none dropped.

Exit status 0 only when every check passes. Everything talks to 127.0.0.1
and the run is bounded (the Makefile adds a timeout). Python's standard
library and the openai SDK (scripts/deps.sh --test installs it)."""
import concurrent.futures
import os
import pathlib
import random
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import openai

ROOT = pathlib.Path(__file__).resolve().parents[1]
C12 = os.environ.get("C12_BIN") or str(ROOT / "build" / "c12")
SOAK_S = float(os.environ.get("SOAK_S") or 600)
SAMPLE_S = float(os.environ.get("SOAK_SAMPLE_S") or 5)
CAPACITY_S = float(os.environ.get("SOAK_CAPACITY_S") or 20)
LOAD = float(os.environ.get("SOAK_LOAD") or 0.8)
CLIENTS = int(os.environ.get("SOAK_CLIENTS") or 4)
SEED = int(os.environ.get("SOAK_SEED") or 16)

MODELS = ["smollm2-135m", "gemma3-270m"]
CHAT_MODELS = ["smollm2-135m"]  # gemma3-270m is a base model: raw completions only
CONFIG = """server: {default_max_tokens: 16}
models:
  - {id: smollm2-135m, source: smollm2-135m, context: 1024}
  - {id: gemma3-270m, source: gemma3-270m, context: 1024}
"""
PROMPTS = ["Say something about rivers.", "Name a colour.", "What is a lighthouse?", "Give me a word that rhymes "
           "with cat.", "Describe the sea in a few words.", "Why is the sky blue?", "Tell me about owls.",
           "Write a greeting."]
WARM_UP = 0.2          # of the run
RSS_GROWTH_MAX = 0.05  # after the warm-up
P99_RATIO_MAX = 1.5    # last third over first third
REST_BAND = 2          # descriptors, threads: at rest after the run within this of before it


# ---- the requests ----

class Spec:
    """One request of the mix."""

    def __init__(self, rng):
        self.endpoint = rng.choice(["chat", "chat", "completion"])
        self.stream = rng.random() < 0.5
        self.model = rng.choice(["auto", "auto"] + (CHAT_MODELS if self.endpoint == "chat" else MODELS))
        self.disconnect = self.stream and rng.random() < 0.1
        # a stream to leave asks for more, so that it is still generating when its client goes
        self.max_tokens = 64 if self.disconnect else rng.randint(2, 12)
        self.prompt = rng.choice(PROMPTS)


def run_one(client, spec):
    """'ok', 'disconnect' (the client left, as planned) or what went wrong."""
    kw = {"model": spec.model, "max_tokens": spec.max_tokens, "temperature": 0.8}
    try:
        if spec.endpoint == "chat":
            call = client.chat.completions.create
            kw["messages"] = [{"role": "user", "content": spec.prompt}]
        else:
            call = client.completions.create
            kw["prompt"] = spec.prompt
        if not spec.stream:
            r = call(**kw)
            done = r.choices and r.choices[0].finish_reason in ("stop", "length")
            return "ok" if done else f"no finish_reason: {r}"
        finish = None
        s = call(stream=True, **kw)
        for chunk in s:
            if spec.disconnect:
                s.close()  # the connection goes with it: the server sees its client leave
                return "disconnect"
            if chunk.choices and chunk.choices[0].finish_reason:
                finish = chunk.choices[0].finish_reason
        return "ok" if finish in ("stop", "length") else "stream ended without finish_reason"
    except openai.APIStatusError as e:
        return f"HTTP {e.status_code}: {str(e)[:120]}"
    except Exception as e:  # connection reset, timeout, a malformed event
        return f"{type(e).__name__}: {str(e)[:120]}"


class Log:
    """Every finished request: (finish time, latency s, outcome)."""

    def __init__(self):
        self.mu = threading.Lock()
        self.rows = []

    def add(self, t_end, latency, outcome):
        with self.mu:
            self.rows.append((t_end, latency, outcome))

    def since(self, t0, t1=float("inf")):
        with self.mu:
            return [r for r in self.rows if t0 <= r[0] < t1]


# ---- the server ----

class Server:
    def __init__(self, tmp):
        cfg = tmp / "c12.yaml"
        cfg.write_text(CONFIG)
        self.ledger = tmp / "ledger.db"
        self.stderr = open(tmp / "stderr.txt", "w+")
        self.proc = subprocess.Popen([C12, "serve", "--config", str(cfg), "--listen", "127.0.0.1:0", "--ledger",
                                      str(self.ledger), "--batches", str(tmp / "batches")],
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if not m:
            sys.exit(f"soak: the server did not start: {line}{self.log()}")
        self.url = f"http://127.0.0.1:{m.group(1)}"
        end = time.time() + 120
        while self.get("/readyz") != 200:
            if time.time() > end or self.proc.poll() is not None:
                sys.exit("soak: the server did not get ready:\n" + self.log())
            time.sleep(0.2)

    def log(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()

    def get(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as r:
                self.last_body = r.read().decode()
                return r.status
        except OSError:
            return 0

    def metrics(self):
        """{family: sum over its series} of a scrape."""
        if self.get("/metrics") != 200:
            return {}
        out = {}
        for name, value in re.findall(r"^([a-z0-9_]+)(?:\{[^}]*\})? (\S+)$", self.last_body, re.M):
            out[name] = out.get(name, 0.0) + float(value)
        return out

    def proc_status(self):
        """RSS (KB), open descriptors, threads."""
        pid = self.proc.pid
        status = open(f"/proc/{pid}/status").read()
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))
        return rss, len(os.listdir(f"/proc/{pid}/fd")), threads

    def cpu_s(self):
        """CPU seconds the server has used (user + system)."""
        fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "killed after 120 s"
        return rc


def at_rest(srv):
    """Descriptors and threads once nothing is in flight (the scrape's own
    connection is over): the last of a few samples that agree."""
    end, last = time.time() + 30, None
    while time.time() < end:
        m = srv.metrics()
        time.sleep(0.5)
        now = srv.proc_status()[1:]
        if m.get("c12_connections_open", 1) <= 1 and now == last:
            break
        last = now
        time.sleep(0.5)
    return last, srv.metrics().get("c12_connections_open", -1)


# ---- the phases ----

def capacity(srv, client, log, rng):
    """Requests/s of the mix with CLIENTS clients each sending the next at once (no disconnects)."""
    stop = time.time() + CAPACITY_S
    counts = []

    def loop(seed):
        r, n = random.Random(seed), 0
        while time.time() < stop:
            spec = Spec(r)
            spec.disconnect, spec.max_tokens = False, min(spec.max_tokens, 12)
            t0 = time.time()
            outcome = run_one(client, spec)
            log.add(time.time(), time.time() - t0, outcome)
            n += 1
        counts.append(n)

    t0 = time.time()
    ts = [threading.Thread(target=loop, args=(rng.random(),)) for _ in range(CLIENTS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(counts) / (time.time() - t0)


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def soak(srv, client, log, rng, rate):
    """Open loop at `rate` requests/s for SOAK_S seconds, sampled every SAMPLE_S."""
    samples = []
    t_start = time.time()
    t_end = t_start + SOAK_S
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=128)
    sent = [0]

    def one(spec, t_sched):
        outcome = run_one(client, spec)
        log.add(time.time(), time.time() - t_sched, outcome)

    def arrivals():
        t = t_start
        while True:
            t += rng.expovariate(rate)
            if t >= t_end:
                return
            time.sleep(max(0.0, t - time.time()))
            sent[0] += 1
            pool.submit(one, Spec(rng), t)

    gen = threading.Thread(target=arrivals)
    gen.start()
    print(f"{'t s':>6} {'RSS MB':>8} {'fds':>5} {'thr':>4} {'conns':>5} {'queue':>5} {'cpu%':>5} {'done':>5} "
          f"{'err':>4} {'disc':>4} {'p50 ms':>7} {'p99 ms':>7}", flush=True)
    next_t = t_start + SAMPLE_S
    cpu0 = srv.cpu_s()
    while True:
        time.sleep(max(0.0, next_t - time.time()))
        rss, fds, threads = srv.proc_status()
        cpu1 = srv.cpu_s()
        cpu, cpu0 = (cpu1 - cpu0) / SAMPLE_S * 100, cpu1
        m = srv.metrics()
        window = log.since(next_t - SAMPLE_S, next_t)
        lat = [r[1] for r in window if r[2] == "ok"]
        errs = sum(1 for r in window if r[2] not in ("ok", "disconnect"))
        disc = sum(1 for r in window if r[2] == "disconnect")
        s = {"t": next_t - t_start, "rss": rss, "fds": fds, "threads": threads,
             "conns": m.get("c12_connections_open", 0), "queue": m.get("c12_queue_depth", 0)}
        samples.append(s)
        print(f"{s['t']:6.0f} {rss / 1024:8.1f} {fds:5d} {threads:4d} {s['conns']:5.0f} {s['queue']:5.0f} "
              f"{cpu:5.0f} {len(window):5d} {errs:4d} {disc:4d} {percentile(lat, 0.5) * 1000:7.0f} "
              f"{percentile(lat, 0.99) * 1000:7.0f}", flush=True)
        next_t += SAMPLE_S
        if next_t > t_end + 1e-6:
            break
    gen.join()
    pool.shutdown(wait=True)
    return samples, sent[0], t_start


def main():
    for name in MODELS:
        if subprocess.run([C12, "models", "list"], capture_output=True, text=True).stdout.find(name) < 0:
            sys.exit(f"soak: {name} is not in the catalogue")
    rng = random.Random(SEED)
    failures = []
    with tempfile.TemporaryDirectory(prefix="c12soak-") as tmpdir:
        tmp = pathlib.Path(tmpdir)
        srv = Server(tmp)
        client = openai.OpenAI(base_url=srv.url + "/v1", api_key="soak", max_retries=0, timeout=120)
        log = Log()
        try:
            print(f"soak: {C12} on {srv.url}; {os.cpu_count()} CPUs; measuring capacity with {CLIENTS} clients "
                  f"for {CAPACITY_S:.0f} s ...", flush=True)
            cap = capacity(srv, client, log, rng)
            cap_rows = len(log.since(0))
            cap_errs = [r[2] for r in log.since(0) if r[2] != "ok"]
            rate = LOAD * cap
            print(f"soak: capacity {cap:.2f} requests/s ({len(cap_errs)} errors); running at {LOAD:.0%} of it, "
                  f"{rate:.2f}/s, for {SOAK_S:.0f} s, a sample every {SAMPLE_S:.0f} s", flush=True)
            rest_before, _ = at_rest(srv)
            samples, sent, t_start = soak(srv, client, log, rng, rate)
            rest_after, conns_after = at_rest(srv)
            stats = srv.metrics()
        finally:
            rc = srv.stop()
        rows = sqlite3.connect(srv.ledger).execute("SELECT status, COUNT(*) FROM requests GROUP BY status").fetchall()
        server_log = srv.log()

    run = log.since(t_start)
    outcomes = {}
    for r in run:
        key = r[2] if r[2] in ("ok", "disconnect") else "error"
        outcomes[key] = outcomes.get(key, 0) + 1
    errors = [r[2] for r in run if r[2] not in ("ok", "disconnect")] + cap_errs
    warm_end = t_start + WARM_UP * SOAK_S
    after = [s for s in samples if s["t"] >= WARM_UP * SOAK_S]
    print(f"\nsoak: {sent} requests sent in {SOAK_S:.0f} s: {outcomes.get('ok', 0)} ok, "
          f"{outcomes.get('disconnect', 0)} left mid-stream by their client (expected), "
          f"{outcomes.get('error', 0)} errors; {cap_rows} before, measuring capacity")

    def check(ok, what):
        print(f"  {'PASS' if ok else 'FAIL'}  {what}")
        if not ok:
            failures.append(what)

    check(not errors, f"unexpected errors: {len(errors)}" +
          (f" (first: {errors[0]})" if errors else ""))
    if len(after) >= 2:
        rss0 = statistics.median(s["rss"] for s in after[:3])
        rss1 = statistics.median(s["rss"] for s in after[-3:])
        done_after = len(log.since(warm_end))
        check((rss1 - rss0) / rss0 < RSS_GROWTH_MAX,
              f"RSS after the warm-up {rss0 / 1024:.1f} MB, at the end {rss1 / 1024:.1f} MB: "
              f"{(rss1 - rss0) / rss0:+.1%} (under {RSS_GROWTH_MAX:.0%}; "
              f"{(rss1 - rss0) * 1024 / max(1, done_after):+.0f} B per request)")
    else:
        check(False, "too short a run to judge RSS (SOAK_S / SOAK_SAMPLE_S)")
    fds_r = (min(s["fds"] for s in samples), max(s["fds"] for s in samples))
    thr_r = (min(s["threads"] for s in samples), max(s["threads"] for s in samples))
    check(rest_before and rest_after and abs(rest_after[0] - rest_before[0]) <= REST_BAND,
          f"descriptors at rest {rest_before and rest_before[0]} before, {rest_after and rest_after[0]} after "
          f"(during: {fds_r[0]}..{fds_r[1]})")
    check(rest_before and rest_after and abs(rest_after[1] - rest_before[1]) <= REST_BAND,
          f"threads at rest {rest_before and rest_before[1]} before, {rest_after and rest_after[1]} after "
          f"(during: {thr_r[0]}..{thr_r[1]})")
    check(conns_after == 1, f"connections open after the run: {conns_after:.0f} (the scrape asking)")
    third = (1 - WARM_UP) * SOAK_S / 3
    first = [r[1] for r in log.since(warm_end, warm_end + third) if r[2] == "ok"]
    last = [r[1] for r in log.since(warm_end + 2 * third) if r[2] == "ok"]
    p_first, p_last = percentile(first, 0.99), percentile(last, 0.99)
    check(first and last and p_last <= P99_RATIO_MAX * p_first,
          f"p99 latency first third {p_first * 1000:.0f} ms, last third {p_last * 1000:.0f} ms "
          f"(within {P99_RATIO_MAX}x)")
    by_status = dict(rows)
    total_rows = sum(by_status.values())
    sent_all = cap_rows + sent
    check(total_rows == sent_all and not stats.get("c12_ledger_rows_dropped_total"),
          f"ledger rows {total_rows} for {sent_all} requests sent ({by_status}); "
          f"dropped {stats.get('c12_ledger_rows_dropped_total', 0):.0f}")
    check(rc == 0 and "AddressSanitizer" not in server_log, f"the server stopped cleanly (exit {rc})")
    print(f"soak: {'PASS' if not failures else 'FAIL'}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
