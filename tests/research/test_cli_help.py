"""The researchers' commands as a user meets them: help with examples, one-line errors."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    return subprocess.run([sys.executable, "-m", "harvester.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_help_with_examples():
    top = run("--help")
    assert top.returncode == 0
    for command in ("query", "show", "browse", "coverage"):
        assert command in top.stdout
        sub = run(command, "--help")
        assert sub.returncode == 0 and "Example" in sub.stdout and "--db" in sub.stdout, command


def test_errors_are_one_line(tmp_path):
    missing = tmp_path / "x.db"
    for args in (["query", "--db", f"sqlite:///{missing}", "SELECT 1"], ["coverage", "--db", f"sqlite:///{missing}"],
                 ["show", "--db", f"sqlite:///{missing}", "7"],
                 ["coverage", "--db", "postgresql://nobody@127.0.0.1:1/x"], ["coverage", "--as-of", "2025-13-01"]):
        result = run(*args)
        assert result.returncode != 0, args
        assert "Traceback" not in result.stderr and len([l for l in result.stderr.splitlines() if l.strip()]) <= 3, result.stderr
        assert "Error" in result.stderr
    assert not missing.exists()
