"""Resume: a real crawl process killed with SIGKILL at several moments and started again loses no report
and duplicates none — the result is the same as an uninterrupted crawl's."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from harvester.db.store import normalize_name
from harvester.devportal.server import start_world, write_registry
from harvester.devportal.world import build_world

from crawlhelp import ROOT, query, run_cli, snapshot

SITES = ["hongze", "huaian", "deqing"]      # PDFs, DOCX and HTML reports; TRS and Hanweb


def _count(db: str) -> int:
    try:
        return query(db, "SELECT COUNT(*) FROM reports")[0][0]
    except Exception:  # noqa: BLE001 - the database may not exist yet
        return 0


def _crawl_until(registry, db, env, reports_at_least: int, timeout: float = 240) -> subprocess.Popen:
    """Start a crawl and SIGKILL it (and its browser, if any) once `reports_at_least` reports are stored."""
    e = {**os.environ, **env}
    e.pop("HARVESTER_DB", None)
    proc = subprocess.Popen([sys.executable, "-m", "harvester.cli", "crawl", "--sites", str(registry), "--db", db],
                            cwd=ROOT, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + timeout
    while _count(db) < reports_at_least and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the crawl finished before it could be killed: make it slower"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return proc


def test_sigkill_at_any_moment_loses_nothing_and_duplicates_nothing(tmp_path):
    running = start_world(build_world(sites=SITES), port=0)
    try:
        registry = write_registry(running, tmp_path / "sites.csv")
        expected = {(normalize_name(e.agency), e.year) for e in running.expected_reports()}
        slow = {"HARVESTER_DOWNLOAD_DELAY": "0.05", "HARVESTER_PER_DOMAIN": "2",
                "HARVESTER_ARCHIVE": str(tmp_path / "archive")}

        reference = f"sqlite:///{tmp_path / 'reference.db'}"
        assert run_cli("crawl", "--sites", registry, "--db", reference,
                       env={"HARVESTER_ARCHIVE": str(tmp_path / "ref-archive")}).returncode == 0

        db = f"sqlite:///{tmp_path / 'killed.db'}"
        killed_at = []
        for at_least in (1, len(expected) // 3, 2 * len(expected) // 3):   # early, a third, two thirds in
            _crawl_until(registry, db, slow, at_least)
            killed_at.append(_count(db))
        final = run_cli("crawl", "--sites", registry, "--db", db, env=slow)
        assert final.returncode == 0, final.stderr[-3000:]
    finally:
        running.stop()

    assert killed_at[0] < killed_at[-1] < len(expected), killed_at
    stored = query(db, "SELECT a.name, r.year FROM reports r JOIN agencies a ON a.id = r.agency_id")
    keys = [(normalize_name(n), y) for n, y in stored]
    assert len(keys) == len(set(keys)), "a report stored twice"
    assert set(keys) == expected
    # the same database as an uninterrupted crawl's: same reports, parses, documents, cells, URLs
    got, ref = snapshot(db), snapshot(reference)
    assert got["report_keys"] == ref["report_keys"]
    for table in ("agencies", "reports", "report_urls", "cells", "checks", "report_sections", "report_versions"):
        assert got[table] == ref[table], table
    # every report has its parse (the report and its parse are written in one transaction)
    assert query(db, "SELECT COUNT(*) FROM reports WHERE parsed_at IS NULL")[0][0] == 0
    # the killed runs are recorded as interrupted, the last one finished
    statuses = [s for (s,) in query(db, "SELECT status FROM crawl_runs ORDER BY id")]
    assert statuses == ["interrupted"] * 3 + ["finished"], statuses
