"""Every hostile file read under the limits: the caller never crashes or hangs, its memory stays bounded,
and each file gets the status the generator expects (tests/hostile/gen.py says why for each)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
STATUSES = {"ok", "too_large", "timeout", "memory_limit", "crashed", "encrypted", "corrupt"}


def test_every_hostile_file_gets_its_status_and_the_caller_survives(tmp_path):
    files = tmp_path / "hostile"
    subprocess.run([sys.executable, str(HERE / "gen.py"), str(files)], check=True, cwd=REPO,
                   stdout=subprocess.DEVNULL, timeout=300)
    manifest = json.loads((files / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest) >= 45
    kinds = {m["name"].rsplit(".", 1)[-1] for m in manifest}
    assert {"pdf", "docx", "xlsx", "xls", "ofd", "rtf", "html", "png", "zip", "txt"} <= kinds
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, str(HERE / "run.py"), str(files), "--memory-mib", "1024", "--timeout", "60"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]          # 0 crashes of the caller
    lines = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    *rows, summary = lines
    assert [r["name"] for r in rows] == [m["name"] for m in manifest]     # 0 hangs: every file came back
    wrong = [(r["name"], r["expected"], r["status"], r["detail"]) for r in rows if r["status"] != r["expected"]]
    assert not wrong, wrong
    assert all(r["status"] in STATUSES for r in rows)
    assert all(r["parse_status"] for r in rows)                # every file a recorded status on the parse too
    # a file killed at its deadline took about that long, not the 60 s default
    assert all(r["seconds"] < 50 for r in rows), [(r["name"], r["seconds"]) for r in rows if r["seconds"] >= 50]
    assert summary["caller_peak_mib"] <= 300, summary
    seen = Counter(r["status"] for r in rows)
    assert set(seen) == STATUSES, seen                         # the set exercises every status
