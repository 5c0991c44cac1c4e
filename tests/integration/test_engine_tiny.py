"""Every architecture C12 runs, checked against llama.cpp on tiny random-weight
models (issue 17): scripts/oracle/tiny_models.py writes them, llama.cpp 0.3.36
recorded their logits (scripts/oracle/goldens.py, `make golden-tiny`) in
tests/golden/tiny/<arch>.jsonl.

The F32, F16, Q8_0 and Q4_0 files are written again here with the pinned gguf
package (gguf==0.19.0, `make deps-test`); the Q4_K_M / Q6_K ones, made by
llama.cpp's quantizer, are committed (tests/golden/tiny/models). Each file's
sha256 must be the one llama.cpp read, or the comparison would mean nothing.

For every position of every prompt, teacher-forced (`c12 logits --ids`):
 - the top-1 id is llama.cpp's wherever llama.cpp's lead (top1 - top2) is
   over MARGIN;
 - each of llama.cpp's recorded top-8 logits is within TOL[type] of C12's for
   the same id: F32 and F16 differ by summation order (llama.cpp's F32/F16
   matrix products are not the order C12 follows), the quantized types are
   the same integer sums in the same float order (observed <= 2e-6).
Files C12 must refuse are listed in REFUSED with the exact message."""
import hashlib
import json
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import ROOT, run

GOLD = ROOT / "tests" / "golden" / "tiny"
GEN = ROOT / "scripts" / "oracle" / "tiny_models.py"
GGUF_VERSION = "0.19.0"
MARGIN = 0.05
TOL = {"f32": 5e-3, "f16": 1.5e-2, "q8_0": 1e-4, "q4_0": 1e-4, "q4_k_m": 1e-4, "q6_k": 1e-4}
TOP = 32  # C12's list must hold llama.cpp's top 8 at these tolerances

REFUSED = {
    "llama-rope-linear": "model: RoPE scaling ('linear', factor 2) is not supported",
    "phi3-longrope": "model: tensor 'rope_factors_long.weight' is not supported for phi3",
    "falcon": "model: architecture 'falcon' is not supported",
    "gemma2-output": "model: gemma2 with its own output.weight is not supported",
    "llama-q2_k": "gguf: tensor 'blk.0.attn_q.weight': unsupported type 10",
}


def goldens():
    recs = {}
    for path in sorted(GOLD.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            r = json.loads(line)
            recs.setdefault(r["file"], []).append(r)
    return recs


RECORDS = goldens()


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    try:
        import gguf  # noqa: F401
        from importlib.metadata import version
    except ImportError:
        pytest.fail("the gguf package is missing: `make deps-test` installs gguf==" + GGUF_VERSION)
    if version("gguf") != GGUF_VERSION:
        pytest.fail(f"gguf {version('gguf')} is installed; the goldens were written with {GGUF_VERSION}")
    out = tmp_path_factory.mktemp("tiny")
    r = run([sys.executable, str(GEN), str(out)], timeout=300)
    assert r.returncode == 0, r.stderr
    return out


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def file_path(tiny_dir, name):
    committed = GOLD / "models" / name
    return committed if committed.exists() else tiny_dir / name


def c12_logits(c12, path, ids, isa=None):
    env = dict(os.environ, C12_ISA=isa) if isa else None
    r = run([c12, "logits", "-m", str(path), "--ids", ",".join(map(str, ids)), "--top", str(TOP), "--json"],
            timeout=120, env=env)
    assert r.returncode == 0, f"{path.name}: {r.stderr.strip()}"
    return [p["top"] for p in json.loads(r.stdout)["positions"]]


def test_goldens_cover_every_architecture():
    archs = {r["arch_file"] for recs in RECORDS.values() for r in recs}
    assert archs == {"llama3", "mistral", "qwen3", "phi3", "gpt2", "gemma2", "starcoder2", "stablelm"}
    assert all("error" not in r for recs in RECORDS.values() for r in recs), "llama.cpp refused a file"


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_matches_llama_cpp(c12, tiny_dir, name):
    path = file_path(tiny_dir, name)
    recs = RECORDS[name]
    assert sha256(path) == recs[0]["sha256"], (
        f"{name}: sha256 differs from the file llama.cpp read: regenerate with `make golden-tiny` "
        f"(or install gguf=={GGUF_VERSION})")
    tol = TOL[recs[0]["type"]]
    clear = agree = 0
    worst = 0.0
    bad = []
    for rec in recs:
        got = c12_logits(c12, path, rec["ids"])
        assert len(got) == len(rec["ids"])
        for pos, (ref, mine) in enumerate(zip(rec["top"], got)):
            if ref[0][1] - ref[1][1] > MARGIN:
                clear += 1
                if mine[0][0] == ref[0][0]:
                    agree += 1
                else:
                    bad.append(f"prompt {rec['prompt']} pos {pos}: top-1 {mine[0][0]}, llama.cpp {ref[0][0]}")
            have = dict((i, v) for i, v in mine)
            for i, v in ref:
                if i not in have:
                    bad.append(f"prompt {rec['prompt']} pos {pos}: id {i} not in C12's top {TOP}")
                    continue
                worst = max(worst, abs(have[i] - v))
                if abs(have[i] - v) > tol:
                    bad.append(f"prompt {rec['prompt']} pos {pos} id {i}: {have[i]} vs {v} (tol {tol})")
    assert clear >= 40, f"{name}: only {clear} positions with a clear lead"
    assert not bad, f"{name}: {len(bad)} mismatches (top-1 {agree}/{clear}, max diff {worst:.3g}):\n" + "\n".join(bad[:10])


def test_sanitized_build_agrees(c12, c12_san, tiny_dir):
    """The new code paths under ASan/UBSan: one file per architecture gives
    the same logits, bit for bit, as the optimized build."""
    for name in sorted(n for n in RECORDS if n.endswith("-q4_k_m.gguf")):
        path = file_path(tiny_dir, name)
        ids = RECORDS[name][1]["ids"]
        assert c12_logits(c12_san, path, ids) == c12_logits(c12, path, ids), name


def test_isa_levels_agree(c12, tiny_dir):
    """The block types' kernels are bit-identical at every ISA level
    (tests/engine; F32/F16 ones are not, by design), and so is the rest of
    the pass: each architecture's Q4_0 and Q4_K_M files (plain and repacked
    Q4_0, Q4_K, Q6_K, Q5_0, Q8_0) give the same logits under C12_ISA=scalar."""
    for name in sorted(n for n in RECORDS if n.endswith(("-q4_0.gguf", "-q4_k_m.gguf"))):
        path = file_path(tiny_dir, name)
        ids = RECORDS[name][0]["ids"]
        assert c12_logits(c12, path, ids, isa="scalar") == c12_logits(c12, path, ids), name


def test_repacked_32_blocks_agree(c12, tmp_path):
    """Q4_1 and Q5_0 files (written here; no llama.cpp record): where the CPU
    has AVX-512 VNNI their matrices are repacked 8 rows at a time
    (src/engine/quant_r8_32_avx512.c), and each architecture's logits must be
    the plain scalar kernels' bit for bit."""
    r = run([sys.executable, str(GEN), str(tmp_path), "--types", "q4_1,q5_0"], timeout=300)
    assert r.returncode == 0, r.stderr
    files = sorted(tmp_path.glob("*-q[45]_[01].gguf"))
    assert len(files) == 16, [f.name for f in files]
    for path in files:
        ids = RECORDS[path.name.rsplit("-", 1)[0] + "-q4_0.gguf"][0]["ids"]
        assert c12_logits(c12, path, ids, isa="scalar") == c12_logits(c12, path, ids), path.name


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_at_load(c12_san, tiny_dir, name):
    r = run([c12_san, "logits", "-m", str(tiny_dir / f"{name}-f32.gguf"), "--ids", "1,2", "--json"], timeout=60)
    assert r.returncode == 1, r.stdout
    assert r.stdout == ""
    assert r.stderr.strip().endswith(REFUSED[name]), r.stderr
