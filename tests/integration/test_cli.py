"""The command table: help, version, unknown commands."""
from conftest import run


def test_help_lists_commands(c12_san):
    r = run([c12_san, "--help"])
    assert r.returncode == 0
    for cmd in ("run", "tokenize", "perplexity", "models"):
        assert f"  {cmd}" in r.stdout


def test_unknown_command_is_usage_error(c12_san):
    r = run([c12_san, "frobnicate"])
    assert r.returncode == 2
    assert "unknown command 'frobnicate'" in r.stderr
