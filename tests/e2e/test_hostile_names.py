"""Hostile Content-Disposition names (../ traversal, absolute paths, backslashes, NUL, line breaks, 1,000
characters, Windows device names) on every attachment: the reports are harvested as without them and
nothing is written outside the archive, whose files are named by their SHA-256 only."""
from __future__ import annotations

import os
import re
from pathlib import Path

from harvester.db.store import normalize_name
from harvester.devportal.server import start_world, write_registry
from harvester.devportal.world import build_world

from crawlhelp import ROOT, query, run_cli

MARK = "HARVESTER-EVIL"
DEVICES = {"con", "nul", "aux", "com1", "lpt1", "nul.pdf", "aux.docx", "com1.pdf"}


def _names(top: Path, skip=(".git", ".venv", "node_modules", "__pycache__")) -> set[str]:
    out = set()
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if d not in skip]
        out.update(dirnames)
        out.update(filenames)
    return out


def test_hostile_attachment_names_never_become_paths(tmp_path):
    before_root = {n for n in _names(ROOT) if MARK in n or n.lower() in DEVICES}
    before_tmp = {n for n in os.listdir("/tmp") if MARK in n}
    world = build_world(sites=["hongze"])
    world.site("hongze").faults.add("hostile_names")
    running = start_world(world, port=0)
    try:
        registry = write_registry(running, tmp_path / "sites.csv")
        db = f"sqlite:///{tmp_path / 'h.db'}"
        archive = tmp_path / "archive"
        result = run_cli("crawl", "--sites", registry, "--db", db,
                         env={"HARVESTER_ARCHIVE": str(archive), "HARVESTER_BROWSER": "0", "HARVESTER_TMPDIR": str(tmp_path / "t")})
        expected = {(normalize_name(e.agency), e.year) for e in running.expected_reports()}
        served = world.site("hongze").fault_state.get("hostile_names_n", 0)
    finally:
        running.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    assert served >= 15                                         # every hostile name was sent at least once
    stored = {(normalize_name(n), y) for n, y in query(db, "SELECT a.name, r.year FROM reports r JOIN agencies a ON a.id = r.agency_id")}
    assert stored == expected
    # nothing named after them, anywhere the crawl could write: the repository (its cwd), the test's
    # directory, /tmp
    assert {n for n in _names(ROOT) if MARK in n or n.lower() in DEVICES} == before_root
    assert not {n for n in _names(tmp_path) if MARK in n or n.lower() in DEVICES}
    assert {n for n in os.listdir("/tmp") if MARK in n} == before_tmp
    # the archive holds names of its own only: SHA-256 names, and the WARC files and their indexes, named by
    # run, time, host and process (harvester/evidence/warc.py)
    own = re.compile(r"^(?:[0-9a-f]{64}|harvester-\d+-\d{14}-[\w.-]+-\d+-\d{5}\.(?:warc\.gz|cdxj))$")
    files = [p for p in archive.rglob("*") if p.is_file()]
    assert files and all(own.match(p.name) and MARK not in p.name for p in files), \
        [p.name for p in files if not own.match(p.name)][:5]
    assert any(p.name.endswith(".warc.gz") for p in files)
    # and no name made it into the database as a path
    assert not query(db, "SELECT storage_path FROM documents WHERE storage_path LIKE :m", m=f"%{MARK}%")

    # every document's read is on its row: status, seconds, the worker's peak memory
    reads = query(db, "SELECT read_status, read_seconds, read_peak_mib FROM documents WHERE role = 'attachment'")
    assert reads and all(s == "ok" and sec is not None and sec >= 0 and mib and mib > 0 for s, sec, mib in reads), reads[:5]
    # reparse with other limits: under a 1 ms budget every document is a timeout, recorded as such (raw bytes
    # kept); again under the settings' limits they are read as before
    parsed_before = query(db, "SELECT COUNT(*) FROM reports WHERE parse_status = 'parsed'")[0][0]
    tight = run_cli("reparse", "--db", db, "--timeout", "0.001", env={"HARVESTER_ARCHIVE": str(archive)})
    assert tight.returncode == 0, tight.stderr[-2000:]
    assert "read_timeout" in tight.stdout
    assert {s for (s,) in query(db, "SELECT DISTINCT read_status FROM documents WHERE role = 'attachment'")} == {"timeout"}
    assert query(db, "SELECT COUNT(*) FROM reports WHERE parse_status = 'timeout'")[0][0] > 0
    again = run_cli("reparse", "--db", db, "--memory-mib", "2048", env={"HARVESTER_ARCHIVE": str(archive)})
    assert again.returncode == 0, again.stderr[-2000:]
    assert query(db, "SELECT COUNT(*) FROM reports WHERE parse_status = 'parsed'")[0][0] == parsed_before
