#!/usr/bin/env python3
"""make bench-gateway: the latency a gateway adds in front of an upstream
that does no work (bench/fixed_upstream.c: a canned OpenAI reply over
HTTP/1.1 keep-alive), for C12 (`c12 serve` with the upstream as its one
site) and, when it is installed, LiteLLM's proxy (LITELLM, default
/tmp/litellm-venv/bin/litellm; install it outside the repository:
python3 -m venv /tmp/litellm-venv && /tmp/litellm-venv/bin/pip install 'litellm[proxy]'),
side by side in the same run. wrk drives each at about 100, 1,000 and
5,000 requests/s (CONNS connections, each pausing between requests: a
closed loop, wrk has no open-loop mode; BENCH_ARRIVALS says how it pauses,
"random" or "paced", see PAUSES), non-streamed and streamed, for BENCH_S
seconds (10) each. Prints per rate the achieved rate, errors, p50/p99
latency through each gateway minus the upstream's own (direct), and the CPU
time the gateway's process spent per request answered (utime + stime from
/proc, over the cell: less noisy than a p99 on a shared machine).
For C12 it also prints how bunched the requests came (from its
ledger: how many arrived in the same millisecond as a request, on average).
BENCH_REPEAT runs (1) each cell that many times, every gateway in turn each
time, and prints the medians, with each run's p99 over direct beside them.
BENCH_RATES (e.g. "1000") keeps only those target rates. When Debian's
nginx is installed (NGINX, default /usr/sbin/nginx),
it runs too, as a plain reverse proxy: what one proxy hop costs here."""
import json
import os
import pathlib
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
C12 = os.environ.get("C12_BIN", str(ROOT / "build/c12"))
UPSTREAM = os.environ.get("FIXED_UPSTREAM", str(ROOT / "build/bench/fixed_upstream"))
LITELLM = os.environ.get("LITELLM", "/tmp/litellm-venv/bin/litellm")
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
SECONDS = int(os.environ.get("BENCH_S", "10"))
RATES = [(100, 4), (1000, 16), (5000, 64)]  # target requests/s, connections
REPEAT = int(os.environ.get("BENCH_REPEAT", "1"))
ONLY = {int(r) for r in os.environ.get("BENCH_RATES", "").split(",") if r.strip()}
BODY = {"model": "bench", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"bench-gateway: {url} did not answer")


# How each connection pauses between its requests (mean delay_ms either way).
# "random": a pause drawn from an exponential distribution, so that the
# connections' requests arrive apart, as independent clients' do. "paced":
# the same pause every time; the connections then fall into step and their
# requests come together, CONNS at once every delay_ms, and a cell's p99 is
# the time to drain such a burst (CONNS times a request's CPU over the cores).
PAUSES = {
    "random": """local n = 0
function setup(thread) n = n + 1; thread:set("seed", n) end
function init(args) math.randomseed(os.time() * 1000 + seed) end
function delay() return math.floor(-%(ms)d * math.log(1 - math.random()) + 0.5) end
""",
    "paced": "function delay() return %(ms)d end\n",
}
ARRIVALS = os.environ.get("BENCH_ARRIVALS", "random")
if ARRIVALS not in PAUSES:
    raise SystemExit(f"bench-gateway: BENCH_ARRIVALS is one of {', '.join(PAUSES)}")


def lua(tmp, stream, delay_ms):
    body = dict(BODY, stream=stream)
    p = pathlib.Path(tmp) / f"req_{int(stream)}_{delay_ms}.lua"
    p.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                 f"wrk.body = '{json.dumps(body)}'\n" + PAUSES[ARRIVALS] % {"ms": delay_ms})
    return str(p)


def ms(text):
    v, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(v) * {"us": 1e-3, "ms": 1, "s": 1e3}[unit]


def cpu_s(pid):
    """The process's CPU seconds so far (utime + stime, /proc/PID/stat)."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url, script, conns, pid=None):
    c0 = cpu_s(pid)
    t0 = int(time.time() * 1000)
    out = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{SECONDS}s", "--latency", "-s", script, url],
                         capture_output=True, text=True, timeout=SECONDS + 60).stdout
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    rate = float(m.group(1)) if m else 0.0
    bad = sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = bad + (sum(int(x) for x in sock.groups()) if sock else 0)
    nan = float("nan")  # no request finished (a gateway that gave up)
    done = rate * SECONDS
    cpu_us = (cpu_s(pid) - c0) * 1e6 / done if pid is not None and done > 0 else nan
    return {"p50": ms(lat["50"]) if "50" in lat else nan, "p99": ms(lat["99"]) if "99" in lat else nan,
            "rate": rate, "errors": errors, "cpu_us": cpu_us, "t0": t0, "t1": int(time.time() * 1000)}


def bunching(db, t0, t1):
    """How bunched the requests C12 saw in [t0, t1) were: the mean, over
    them, of how many arrived in the same millisecond (its ledger's
    time_ms). Apart, about 1 + the rate per ms; in step, about the number
    of connections."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        counts = [n for (n,) in c.execute("SELECT COUNT(*) FROM requests WHERE time_ms >= ? AND time_ms < ? "
                                          "GROUP BY time_ms", (t0, t1))]
    return sum(n * n for n in counts) / sum(counts) if counts else float("nan")


def start_c12(tmp, up_port):
    port = free_port()
    cfg = pathlib.Path(tmp) / "c12.yaml"
    cfg.write_text(f"""server: {{max_connections: 8192, max_connections_per_client: 8192}}
queue: {{max_total: 4096, max_per_model: 4096}}
cache: {{enabled: false}}
sites:
  up:
    url: http://127.0.0.1:{up_port}/v1
    carbon: {{chain: [static], providers: {{static: {{value: 100}}}}}}
    max_concurrent: 1024
models:
  - {{id: bench, sites: [up]}}
""")
    p = subprocess.Popen([C12, "serve", "--listen", f"127.0.0.1:{port}", "--config", str(cfg), "--ledger",
                          f"{tmp}/ledger.db", "--batches", f"{tmp}/batches"], stdout=subprocess.DEVNULL,
                         stderr=open(f"{tmp}/c12.err", "w"))
    wait_http(f"http://127.0.0.1:{port}/readyz")
    return p, port


def start_nginx(tmp, up_port):
    """Debian's nginx as a plain reverse proxy to the same upstream (kept
    upstream connections, no buffering): what one proxy hop costs on this
    machine, the floor under any gateway's overhead. One process (no
    master), so that its CPU per request reads like the others'."""
    if not shutil.which(NGINX) and not os.path.exists(NGINX):
        return None, None
    port = free_port()
    conf = pathlib.Path(tmp) / "nginx.conf"
    conf.write_text(f"""worker_processes 1;
master_process off;
daemon off;
error_log {tmp}/nginx.err;
pid {tmp}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/nginx_body;
  proxy_temp_path {tmp}/nginx_proxy;
  upstream up {{ server 127.0.0.1:{up_port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }}
  }}
}}
""")
    p = subprocess.Popen([NGINX, "-c", str(conf), "-p", tmp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}/v1/models")
    return p, port


def start_litellm(tmp, up_port):
    if not shutil.which(LITELLM) and not os.path.exists(LITELLM):
        return None, None, None
    port = free_port()
    cfg = pathlib.Path(tmp) / "litellm.yaml"
    cfg.write_text(f"""model_list:
  - model_name: bench
    litellm_params: {{model: openai/bench, api_base: "http://127.0.0.1:{up_port}/v1", api_key: x}}
""")
    p = subprocess.Popen([LITELLM, "--config", str(cfg), "--port", str(port), "--host", "127.0.0.1"],
                         stdout=open(f"{tmp}/litellm.out", "w"), stderr=subprocess.STDOUT,
                         # no keys on either gateway (C12 here serves 127.0.0.1 without api_keys)
                         env=dict(os.environ, LITELLM_LOG="ERROR",
                                  LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY="true"))
    wait_http(f"http://127.0.0.1:{port}/health/liveliness", timeout=180)
    ver = subprocess.run([str(pathlib.Path(LITELLM).parent / "python"), "-c",
                          "import importlib.metadata as m; print(m.version('litellm'))"],
                         capture_output=True, text=True).stdout.strip()
    return p, port, ver


def print_cell(stream, rate, name, runs, ledger):
    """One gateway's row of a cell: the medians over the runs; the latency
    over direct is taken within each run (against that run's direct)."""
    rs = [run[name] for run in runs]
    m = {k: statistics.median([r[k] for r in rs]) for k in ("p50", "p99", "rate", "cpu_us")}
    if name == "direct":
        over = "- | - | -"
    else:
        o50 = [r["p50"] - run["direct"]["p50"] for r, run in zip(rs, runs)]
        o99 = [r["p99"] - run["direct"]["p99"] for r, run in zip(rs, runs)]
        over = f"{statistics.median(o50):.2f} | {statistics.median(o99):.2f} | {' '.join(format(x, '.2f') for x in o99)}"
    errors = sum(r["errors"] for r in rs)
    cpu = "-" if name == "direct" else format(m["cpu_us"], ".0f")
    bunch = format(statistics.median([bunching(ledger, r["t0"], r["t1"]) for r in rs]), ".1f") if name == "c12" else "-"
    print(f"| {'stream' if stream else 'plain'} | {rate} | {name} | {m['rate']:.0f} | {errors} | "
          f"{m['p50']:.2f} | {m['p99']:.2f} | {over} | {cpu} | {bunch} |", flush=True)


def main():
    tmp = tempfile.mkdtemp(prefix="c12-bench-gw-")
    up_port = free_port()
    procs = [subprocess.Popen([UPSTREAM, str(up_port)], stdout=subprocess.DEVNULL)]
    try:
        wait_http(f"http://127.0.0.1:{up_port}/v1/models")
        c12, c12_port = start_c12(tmp, up_port)
        procs.append(c12)
        ngx, ngx_port = start_nginx(tmp, up_port)
        if ngx:
            procs.append(ngx)
        lite, lite_port, ver = start_litellm(tmp, up_port)
        if lite:
            procs.append(lite)
        targets = [("direct", up_port, None)] + ([("nginx", ngx_port, ngx.pid)] if ngx else []) + \
            [("c12", c12_port, c12.pid)] + ([("litellm", lite_port, lite.pid)] if lite else [])
        print(f"# upstream bench/fixed_upstream.c; c12 {C12}; nginx {'yes' if ngx else 'not installed'}; "
              f"litellm {ver or 'not installed'}; {SECONDS} s per cell; {ARRIVALS} pauses; "
              f"{REPEAT} run(s) a cell")
        print("| mode | target rate | gateway | achieved req/s | errors | p50 ms | p99 ms | p50 over direct | "
              "p99 over direct | p99 over direct, each run | CPU us/request | arrivals in a request's ms |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for stream in (False, True):
            for rate, conns in RATES:
                if ONLY and rate not in ONLY:
                    continue
                delay = max(0, int(conns * 1000 / rate))
                script = lua(tmp, stream, delay)
                runs = [{name: wrk(f"http://127.0.0.1:{port}/v1/chat/completions", script, conns, pid)
                         for name, port, pid in targets} for _ in range(REPEAT)]
                time.sleep(0.5)  # C12's ledger commits its rows (ledger.flush_ms, 200)
                for name, _, _ in targets:
                    print_cell(stream, rate, name, runs, f"{tmp}/ledger.db")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
