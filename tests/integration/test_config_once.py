"""`c12 serve --config FILE` opens FILE once at start and once per SIGHUP
(strace, installed by scripts/deps.sh, counts the openat calls), and `c12 config check` refuses a section
nobody registered, naming file:line."""
import os
import select
import signal
import subprocess
import time

from conftest import run


def _wait_for(path, text, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if text in path.read_text():
            return True
        time.sleep(0.1)
    return False


def test_serve_opens_its_config_once_and_once_per_sighup(c12, tmp_path):
    cfg = tmp_path / "c12.yaml"
    cfg.write_text("server: {listen: \"127.0.0.1:0\"}\nmodels: [smollm2-135m]\npolicy: {min_rating: 0.4}\n"
                   "ledger: {path: ledger.db}\n")
    trace, err = tmp_path / "openat.txt", tmp_path / "stderr.txt"
    with open(err, "w") as ef:
        proc = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=openat", "-o", str(trace), c12, "serve",
                                 "--config", str(cfg), "--batches", str(tmp_path / "batches")], stdout=subprocess.PIPE, stderr=ef, text=True)
        try:
            r, _, _ = select.select([proc.stdout], [], [], 60)
            assert r and "listening on" in proc.stdout.readline(), err.read_text()
            child = int(subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True,
                                       check=True).stdout.split()[0])
            os.kill(child, signal.SIGHUP)
            assert _wait_for(err, "SIGHUP: policy reloaded", 30), err.read_text()
            os.kill(child, signal.SIGTERM)
            assert proc.wait(timeout=60) == 0, err.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    opens = [line for line in trace.read_text().splitlines() if str(cfg) in line and "openat" in line]
    assert len(opens) == 2, opens


def test_config_check_refuses_an_unknown_section(c12, tmp_path):
    cfg = tmp_path / "c12.yaml"
    cfg.write_text("server:\n  listen: 127.0.0.1:0\nrouter:\n  threshold: 3\n")
    r = run([c12, "config", "check", str(cfg)])
    assert r.returncode == 1
    assert f"{cfg}:3: router: unknown key: no such section" in r.stderr, r.stderr
