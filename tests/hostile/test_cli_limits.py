"""`harvester parse` and `harvester show FILE` read in the sandbox with the limits given on the command line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "harvester.cli", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_parse_and_show_obey_the_limits_given(tmp_path):
    slow = tmp_path / "slow.pdf"
    slow.write_bytes(gen.pdf_pages(2000))
    bomb = tmp_path / "cycle.pdf"
    bomb.write_bytes(gen.pdf_self_xobject())
    r = _cli("parse", slow, "--timeout", "0.05", "--json")      # it takes ~0.2 s on a quiet 2-core machine
    assert r.returncode == 0, r.stderr[-2000:]
    obj = json.loads(r.stdout.splitlines()[0])
    assert obj["read"]["read_status"] == "timeout" and obj["status"] == "timeout"
    r = _cli("parse", slow, "--timeout", "120", "--json")
    obj = json.loads(r.stdout.splitlines()[0])
    assert obj["read"]["read_status"] == "ok" and obj["read"]["read_peak_mib"] > 0
    r = _cli("show", slow, "--timeout", "0.05")
    assert r.returncode == 0 and "read: timeout" in r.stdout, r.stdout + r.stderr[-2000:]
    # the budget and the memory limit: with the depth budget off, a Form XObject cycle aborts pdfium in its
    # worker; the command goes on and says so
    r = subprocess.run([sys.executable, "-m", "harvester.cli", "parse", bomb, str(slow), "--memory-mib", "600"],
                       cwd=REPO, capture_output=True, text=True, timeout=300,
                       env={**__import__("os").environ, "HARVESTER_MAX_DEPTH": "0"})
    assert r.returncode == 0, r.stderr[-2000:]
    assert "read=crashed" in r.stdout and "SIGABRT" in r.stdout and "read=ok" in r.stdout, r.stdout
