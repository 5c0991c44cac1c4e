"""`make test-compose`: the docker-compose stack, built and run for real.

Starts dockerd when none runs (and stops it again), builds the local Debian
base (scripts/docker-base.sh; no container registry is reachable here), builds
the images FROM it, brings up postgres, the one-shot models service, c12 and
prometheus under a project name of its own, waits for every health check,
sends chat requests with the openai SDK to C12's published port, reads the
rows back from the ledger, sees C12's target up in Prometheus (with C12's
alert rules loaded), restarts the c12 container and sees it healthy again with
the ledger intact, and tears everything down (containers, networks, volumes)
even when a step fails. Every wait is bounded; the whole run has 15 minutes.

Grafana's image comes from Docker Hub, which this machine cannot reach: the
grafana service is started only when its image is already present, and the
test says so either way (`docker-compose config` still checks its definition).

The models volume is seeded with the host's smollm2-135m.gguf (make models)
instead of letting the models service download it again from PyPI; the
service still runs, finds the file present and exits 0.

Ledger: deploy/docker/c12.yaml says `store: postgresql`: the rows must reach
the postgres service and survive the c12 container's restart. Timings go to
build/compose-timings.json."""
import atexit
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
T0 = time.monotonic()
BUDGET_S = 15 * 60          # the whole test, teardown included
TEARDOWN_S = 90             # kept back for the teardown
BASE_TAG = os.environ.get("C12_BASE_TAG", "c12/debian:bookworm")
GRAFANA_IMAGE = "grafana/grafana-oss:10.4.2"  # docker-compose.yml's default GRAFANA_TAG
COMPOSE = os.environ.get("C12_COMPOSE", "docker-compose").split()
MODEL = "smollm2-135m"
TIMINGS = {}


def log(msg):
    print(f"[compose {time.monotonic() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def left():
    return T0 + BUDGET_S - TEARDOWN_S - time.monotonic()


def run(args, timeout, check=True, env=None, budget=True):
    """A command, bounded by its own timeout and by what is left of the
    test's 15 minutes; its output comes back (and is shown when it fails)."""
    t = min(timeout, left()) if budget else timeout
    if t <= 0:
        raise AssertionError(f"out of time before: {' '.join(args)}")
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=t, env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"")[-3000:] if isinstance(e.stdout, bytes) else (e.stdout or "")[-3000:]
        raise AssertionError(f"timed out after {t:.0f} s: {' '.join(args)}\n{out}") from None
    if check and p.returncode != 0:
        raise AssertionError(f"exit {p.returncode}: {' '.join(args)}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p


def timed(name, fn):
    start = time.monotonic()
    r = fn()
    TIMINGS[name] = round(time.monotonic() - start, 1)
    log(f"{name}: {TIMINGS[name]} s")
    return r


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, headers=None, timeout=10):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, ""


def poll(what, fn, timeout, every=1.0):
    """fn() until it returns something true, at most timeout seconds."""
    end = time.monotonic() + min(timeout, left())
    last = None
    while time.monotonic() < end:
        last = fn()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout} s (last: {last!r})")


class Docker:
    """dockerd: the one running, or one this test starts and stops."""

    def __init__(self, tmp):
        self.proc = None
        if self.ok():
            return
        dockerd = shutil.which("dockerd")
        assert dockerd, "no dockerd: scripts/deps.sh --compose installs Debian's docker.io"
        log("dockerd is not running: starting it")
        self.log_file = open(tmp / "dockerd.log", "w")
        self.proc = subprocess.Popen([dockerd], stdout=self.log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            poll("dockerd answers", self.ok, 60)
        except AssertionError:
            self.stop()
            raise AssertionError("dockerd did not start:\n" + (tmp / "dockerd.log").read_text()[-3000:])

    @staticmethod
    def ok():
        try:
            return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            log("stopping the dockerd this test started")
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Stack:
    def __init__(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="c12compose-"))
        os.chmod(self.tmp, 0o755)  # the c12 user (uid 10001) reads the bind-mounted config
        self.project = f"c12test{os.getpid()}{secrets.token_hex(3)}"
        self.c12_port, self.prom_port, self.grafana_port = free_port(), free_port(), free_port()
        self.api_key = secrets.token_hex(16)
        self.settings = {
            "POSTGRES_PASSWORD": secrets.token_hex(16),
            "C12_DB_PASSWORD": secrets.token_hex(16),
            "C12_API_KEY": self.api_key,
            "GRAFANA_ADMIN_PASSWORD": secrets.token_hex(16),
            "ELECTRICITYMAPS_API_KEY": "",
            "C12_PULL_MODELS": MODEL,
            "C12_PIP_ARGS": "",
            "C12_BASE": BASE_TAG,
            "C12_TAG": "compose-test",
            "C12_PORT": str(self.c12_port),
            "PROMETHEUS_PORT": str(self.prom_port),
            "GRAFANA_PORT": str(self.grafana_port),
            "GRAFANA_TAG": GRAFANA_IMAGE.split(":")[1],
        }
        env_file = self.tmp / "test.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in self.settings.items()))
        # Variables of the caller's shell would win over the env file.
        self.env = {k: v for k, v in os.environ.items()
                    if not (k.startswith("C12_") or k.startswith("COMPOSE_") or k in self.settings)}
        self.env["COMPOSE_PROJECT_NAME"] = self.project
        self.base = COMPOSE + ["--env-file", str(env_file), "-p", self.project, "-f", str(ROOT / "docker-compose.yml")]
        self.compose_files = []  # the test's override, once written
        self.services = ["postgres", "models", "c12", "prometheus"]
        self.docker = None
        self.torn_down = False

    def compose(self, *args, timeout=120, check=True):
        files = sum((["-f", f] for f in self.compose_files), [])
        return run(self.base + files + list(args), timeout, check=check, env=self.env)

    def container(self, service):
        return self.compose("ps", "-q", service, timeout=30).stdout.strip()

    def state(self, service):
        cid = self.container(service)
        if not cid:
            return "absent"
        p = run(["docker", "inspect", "-f",
                 "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}} {{.State.ExitCode}}",
                 cid], 30, check=False)
        return p.stdout.strip() or "absent"

    @staticmethod
    def is_healthy(service, state):
        if service == "models":  # the one-shot: done, exit status 0
            return state.startswith("exited") and state.endswith(" 0")
        return state.startswith("running healthy")

    def healthy(self, service):
        return self.is_healthy(service, self.state(service))

    def wait_healthy(self, services, timeout):
        def all_healthy():
            states = {s: self.state(s) for s in services}
            for s, st in states.items():
                if st.startswith("exited") and not self.is_healthy(s, st) or "unhealthy" in st:
                    raise AssertionError(f"{s} is {st}:\n" + self.logs(s))
            return all(self.is_healthy(s, st) for s, st in states.items()) and states
        return poll("every health check passes", all_healthy, timeout, every=1.0)

    def logs(self, service):
        return self.compose("logs", "--no-color", "--tail", "60", service, timeout=30, check=False).stdout

    def write_config(self):
        """deploy/docker/c12.yaml with only smollm2-135m served (quick to
        load) and its rows flushed every 100 ms."""
        cfg = yaml.safe_load((ROOT / "deploy/docker/c12.yaml").read_text())
        cfg["models"] = [MODEL]
        cfg["ledger"]["flush_ms"] = 100
        path = self.tmp / "c12.yaml"
        path.write_text(yaml.safe_dump(cfg, sort_keys=False))
        path.chmod(0o644)
        return path

    def teardown(self):
        if self.torn_down:
            return
        self.torn_down = True
        try:
            if self.docker is not None and Docker.ok():
                log(f"teardown: docker-compose down -v --remove-orphans ({self.project})")
                start = time.monotonic()
                p = self.compose("down", "-v", "--remove-orphans", "-t", "20", timeout=TEARDOWN_S - 10, check=False)
                TIMINGS["down"] = round(time.monotonic() - start, 1)
                left_over = self.left_over()
                if p.returncode or left_over:
                    self.force_remove(left_over)
                    raise AssertionError(f"down left {left_over} (exit {p.returncode}):\n{p.stderr[-2000:]}")
                log("teardown: no container, network or volume of the project is left")
        finally:
            if self.docker is not None:
                self.docker.stop()
            shutil.rmtree(self.tmp, ignore_errors=True)
            write_timings()

    def left_over(self):
        label = f"label=com.docker.compose.project={self.project}"
        found = {}
        for kind, cmd in (("containers", ["docker", "ps", "-aq", "--filter", label]),
                          ("networks", ["docker", "network", "ls", "-q", "--filter", label]),
                          ("volumes", ["docker", "volume", "ls", "-q", "--filter", label])):
            ids = run(cmd, 30, check=False, budget=False).stdout.split()
            if ids:
                found[kind] = ids
        return found

    def force_remove(self, found):
        for kind, cmd in (("containers", ["docker", "rm", "-fv"]), ("networks", ["docker", "network", "rm"]),
                          ("volumes", ["docker", "volume", "rm", "-f"])):
            if found.get(kind):
                run(cmd + found[kind], 60, check=False, budget=False)


def write_timings():
    TIMINGS["total"] = round(time.monotonic() - T0, 1)
    out = ROOT / "build" / "compose-timings.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(TIMINGS, indent=2) + "\n")
    log("timings (s): " + ", ".join(f"{k} {v}" for k, v in TIMINGS.items()))


def host_model():
    home = pathlib.Path(os.environ.get("C12_HOME") or pathlib.Path.home() / ".cache" / "c12")
    path = home / "models" / f"{MODEL}.gguf"
    assert path.is_file(), f"{path} is missing: make models pulls it (make test-compose does)"
    return path


def check_config(st, cfg):
    """The image's c12 accepts the configuration (its ledger: PostgreSQL)."""
    p = run(["docker", "run", "--rm", "-e", "C12_API_KEY=check", "-e",
             "C12_LEDGER_DSN=postgresql://c12:check@postgres:5432/c12",
             "-v", f"{cfg}:/etc/c12/c12.yaml:ro", f"c12/c12:{st.settings['C12_TAG']}",
             "config", "check", "/etc/c12/c12.yaml"], 60, check=False)
    assert p.returncode == 0, "the image's c12 rejects deploy/docker/c12.yaml: " + (p.stderr or p.stdout)


def bring_up(st):
    st.docker = Docker(st.tmp)
    timed("base image (scripts/docker-base.sh)", lambda: run(
        ["bash", str(ROOT / "scripts/docker-base.sh")], 600, env=dict(os.environ, C12_BASE_TAG=BASE_TAG)))
    # The full file, grafana included, is valid for compose as it is.
    st.compose("config", "-q", timeout=60)
    timed("build c12 image", lambda: st.compose("build", "c12", timeout=600))
    timed("build postgres, prometheus images", lambda: st.compose("build", "postgres", "prometheus", "models",
                                                                   timeout=600))
    cfg = st.write_config()
    check_config(st, cfg)
    (st.tmp / "override.yml").write_text(yaml.safe_dump(
        {"services": {"c12": {"volumes": [f"{cfg}:/etc/c12/c12.yaml:ro"]}}}))
    st.compose_files.append(str(st.tmp / "override.yml"))
    if run(["docker", "image", "inspect", GRAFANA_IMAGE], 30, check=False).returncode == 0:
        st.services.append("grafana")
        log(f"grafana: {GRAFANA_IMAGE} is present: started and checked too")
    else:
        log(f"NOTE: grafana is NOT started: its image {GRAFANA_IMAGE} comes from Docker Hub, which this "
            "machine cannot reach (`docker pull` or `docker load` it to include it); its service definition "
            "was checked by `docker-compose config`")
    model = host_model()
    timed("seed the models volume", lambda: st.compose(
        "run", "--rm", "-T", "--no-deps", "--entrypoint", "cp", "-v", f"{model}:/seed/{MODEL}.gguf:ro",
        "models", f"/seed/{MODEL}.gguf", f"/var/lib/c12/models/{MODEL}.gguf", timeout=120))

    def up():
        st.compose("up", "-d", *[s for s in st.services if s != "models"], timeout=300)
        return st.wait_healthy(st.services, 240)
    states = timed("docker-compose up to all healthy", up)
    log("healthy: " + ", ".join(f"{k}: {v}" for k, v in states.items()))


@pytest.fixture(scope="module")
def stack():
    st = Stack()
    atexit.register(st.teardown)  # also after SIGTERM (below) or an interrupted session

    def on_term(signum, frame):  # timeout(1): stop the session now, tear down below
        raise KeyboardInterrupt(f"signal {signum}")
    old = signal.signal(signal.SIGTERM, on_term)
    try:
        bring_up(st)
        yield st
    finally:
        st.teardown()
        signal.signal(signal.SIGTERM, old)


def client(st):
    from openai import OpenAI
    return OpenAI(base_url=f"http://127.0.0.1:{st.c12_port}/v1", api_key=st.api_key, timeout=120, max_retries=0)


def chat(st, text, model=MODEL, stream=False):
    c = client(st)
    msgs = [{"role": "user", "content": text}]
    if stream:
        parts = [ch.choices[0].delta.content or "" for ch in
                 c.chat.completions.create(model=model, messages=msgs, max_tokens=16, stream=True) if ch.choices]
        return "".join(parts)
    r = c.chat.completions.create(model=model, messages=msgs, max_tokens=16)
    return r.choices[0].message.content


def ledger_rows(st):
    """(rows, models) of the ledger in PostgreSQL."""
    p = st.compose("exec", "-T", "postgres", "psql", "-U", "postgres", "-d", "c12", "-tA", "-F", "|", "-c",
                   "SELECT count(*), coalesce(string_agg(DISTINCT model, ','), '') FROM requests", timeout=30)
    n, models = p.stdout.strip().split("|")
    return int(n), set(filter(None, models.split(",")))


SENT = []


def test_services_healthy_and_private(stack):
    """Every service passed its health check; c12 runs as a non-root user;
    only loopback ports are published, and postgres none."""
    for s in stack.services:
        assert stack.healthy(s), (s, stack.state(s))
    cid = stack.container("c12")
    user = run(["docker", "inspect", "-f", "{{.Config.User}}", cid], 30).stdout.strip()
    assert user == "c12", user
    assert run(["docker", "exec", cid, "id", "-u"], 30).stdout.strip() == "10001"
    for s in stack.services:
        ports = run(["docker", "port", stack.container(s)], 30, check=False).stdout.split()
        hosts = [p.rsplit(":", 1)[0] for p in ports if ":" in p]
        assert all(h == "127.0.0.1" for h in hosts), (s, ports)
        if s in ("postgres", "models"):
            assert not hosts, (s, ports)
    status, body = http(f"http://127.0.0.1:{stack.c12_port}/readyz")
    assert status == 200, body


def test_chat_with_openai_sdk(stack):
    """The OpenAI SDK against the published port: a plain, an "auto" and a
    streamed request, with the API key from the env file; none without it."""
    for text, model, stream in (("Name three renewable energy sources.", MODEL, False),
                                ("Say hello.", "auto", False),
                                ("Count to five.", MODEL, True)):
        out = chat(stack, text, model, stream)
        assert out and out.strip(), (text, out)
        SENT.append(text)
    status, _ = http(f"http://127.0.0.1:{stack.c12_port}/v1/models")
    assert status == 401


def report_requests(stack):
    """`c12 report` in the c12 container, reading the ledger its config names."""
    p = stack.compose("exec", "-T", "c12", "c12", "report", "--config", "/etc/c12/c12.yaml", "--json", timeout=60)
    return json.loads(p.stdout)["totals"]["requests"]


def test_ledger_has_the_rows(stack):
    """The rows of the requests, read from the database itself, and by
    `c12 report --config /etc/c12/c12.yaml` (docs/deploy.md's command)."""
    assert SENT, "no request was sent"
    n, models = poll("rows in PostgreSQL", lambda: (lambda r: r if r[0] >= len(SENT) else None)(
        ledger_rows(stack)), 20)
    assert n == len(SENT) and models == {MODEL}, (n, models)
    assert report_requests(stack) == n


def test_prometheus_scrapes_c12(stack):
    """C12's target is up in the stack's Prometheus, its alert rules are
    loaded and healthy, and the requests show in c12_requests_total."""
    base = f"http://127.0.0.1:{stack.prom_port}/api/v1"

    def query(q):
        status, body = http(f"{base}/query?query={urllib.parse.quote(q)}")
        return json.loads(body)["data"]["result"] if status == 200 else []

    up = poll('up{job="c12"} == 1', lambda: [r for r in query('up{job="c12"}') if r["value"][1] == "1"], 60)
    assert up[0]["metric"]["instance"] == "c12:8080", up
    def c12_rules():
        status, body = http(f"{base}/rules")
        groups = {g["name"]: g for g in json.loads(body)["data"]["groups"]} if status == 200 else {}
        return groups.get("c12", {}).get("rules", [])

    # "unknown" is a rule not evaluated yet: wait for every one's first evaluation (every 15 s)
    def evaluated():
        rules = c12_rules()
        return rules if rules and all(r.get("lastEvaluation", "").startswith("2") for r in rules) else None

    rules = poll("every c12 rule evaluated once", evaluated, 60, 2)
    assert len(rules) >= 9 and all(r["health"] == "ok" for r in rules), rules
    poll("c12_requests_total counts the requests",
         lambda: any(float(r["value"][1]) >= len(SENT) for r in query('sum(c12_requests_total{job="c12"})')), 60, 2)


def test_grafana_provisioned(stack):
    if "grafana" not in stack.services:
        pytest.skip(f"grafana not started: {GRAFANA_IMAGE} cannot be pulled here (no registry)")
    auth = "Basic " + __import__("base64").b64encode(
        f"admin:{stack.settings['GRAFANA_ADMIN_PASSWORD']}".encode()).decode()
    status, body = poll("C12's dashboard in Grafana", lambda: (lambda r: r if r[0] == 200 else None)(
        http(f"http://127.0.0.1:{stack.grafana_port}/api/dashboards/uid/c12-overview",
             headers={"Authorization": auth})), 60, 2)
    assert json.loads(body)["dashboard"]["uid"] == "c12-overview"


def test_restart_keeps_the_ledger(stack):
    """docker-compose restart c12: SIGTERM drains, the container comes back
    healthy, the ledger has every row it had, and new rows add to it."""
    before, _ = ledger_rows(stack)
    assert before >= len(SENT), before

    def restart():
        stack.compose("restart", "-t", "40", "c12", timeout=120)
        return stack.wait_healthy(["c12"], 180)
    timed("restart c12 to healthy", restart)
    assert "c12 serve: stopped" in stack.logs("c12"), stack.logs("c12")
    after, _ = ledger_rows(stack)
    assert after == before, (before, after)
    assert chat(stack, "One more, after the restart.")
    n, _ = poll("the new row", lambda: (lambda r: r if r[0] == before + 1 else None)(ledger_rows(stack)), 20)
    assert n == before + 1
