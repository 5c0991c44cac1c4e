"""Bad GGUF files are errors that name the problem, never crashes (sanitizer build)."""

import pytest

from conftest import model_path, run


@pytest.fixture(scope="module")
def head():
    p = model_path("smollm2-135m")
    assert p.exists(), f"{p} is missing: `make models` pulls it"
    with p.open("rb") as f:
        return f.read(2_000_000)


def bad(tmp_path, data, name="bad.gguf"):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


@pytest.mark.parametrize("cut", [0, 3, 7, 23, 100, 5000, 1_000_000])
def test_truncated_file_is_an_error(c12_san, tmp_path, head, cut):
    r = run([c12_san, "run", "-m", bad(tmp_path, head[:cut]), "-p", "x", "-n", "1"])
    assert r.returncode == 1, r.stderr
    assert "AddressSanitizer" not in r.stderr and "runtime error" not in r.stderr
    assert "gguf" in r.stderr or "empty" in r.stderr


def test_bad_magic(c12_san, tmp_path, head):
    r = run([c12_san, "run", "-m", bad(tmp_path, b"GGML" + head[4:]), "-p", "x"])
    assert r.returncode == 1 and "bad magic" in r.stderr


def test_corrupted_string_length(c12_san, tmp_path, head):
    data = bytearray(head)
    data[24:32] = (2**62).to_bytes(8, "little")  # length of the first key
    r = run([c12_san, "run", "-m", bad(tmp_path, bytes(data)), "-p", "x"])
    assert r.returncode == 1 and "past the end" in r.stderr, r.stderr


def test_flipped_bytes_never_crash(c12_san, tmp_path, head):
    import random
    rnd = random.Random(7)
    for i in range(20):
        data = bytearray(head[:200_000])
        for _ in range(8):
            data[rnd.randrange(4, 4096)] = rnd.randrange(256)
        r = run([c12_san, "tokenize", "-m", bad(tmp_path, bytes(data), f"f{i}.gguf")],
                input="hello")
        assert "AddressSanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr
        assert r.returncode in (0, 1)
