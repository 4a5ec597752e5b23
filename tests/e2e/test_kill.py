"""Kill at any moment: a crawl SIGKILLed in targeted phases — while a document is read in the sandbox, while the
store writes the database — and at 8 random moments, resumed each time, then an export killed while it writes
a file and run again — compared with an
uninterrupted crawl: 0 reports lost, 0 duplicated, the database intact, no orphan archive files, no
sandbox process left behind. The full version, with more kills and sites: bench/bench_kill.py."""
from __future__ import annotations

import time

from harvester.db.store import normalize_name
from harvester.devportal.server import start_world, write_registry
from harvester.devportal.world import build_world

from killhelp import integrity, kill_and_resume, kill_in_phase, orphans, query, run_cli, snapshot

SITES = ["hongze", "deqing"]        # TRS PDFs and Hanweb HTML/DOCX reports


def test_sigkill_at_eight_random_moments_loses_and_duplicates_nothing(tmp_path):
    running = start_world(build_world(sites=SITES), port=0)
    try:
        registry = write_registry(running, tmp_path / "sites.csv")
        expected = {(normalize_name(e.agency), e.year) for e in running.expected_reports()}
        env = {"HARVESTER_DOWNLOAD_DELAY": "0.02", "HARVESTER_PER_DOMAIN": "2", "HARVESTER_BROWSER": "0",
               "HARVESTER_ARCHIVE": str(tmp_path / "archive")}
        reference = f"sqlite:///{tmp_path / 'reference.db'}"
        t0 = time.monotonic()
        ref = run_cli("crawl", "--sites", registry, "--db", reference,
                      env={**env, "HARVESTER_ARCHIVE": str(tmp_path / "ref-archive")})
        duration = time.monotonic() - t0
        assert ref.returncode == 0, ref.stderr[-3000:]
        # targeted: each kill waits for its phase (a marker in /proc or the database files), then kills
        db_file = tmp_path / "killed.db"
        crawl = ["crawl", "--sites", registry, "--db", f"sqlite:///{db_file}"]
        targeted = {}
        for phase in ("extract", "db_write", "extract", "db_write"):
            hit, seen = kill_in_phase(phase, crawl, env, db_file=db_file, timeout=duration + 30)
            targeted.setdefault(phase, []).append((hit, seen))
        db, moments, tries = kill_and_resume(registry, tmp_path, kills=8, seed=13, duration=duration, env=env, total=len(expected))
    finally:
        running.stop()

    # every targeted phase was hit: the kill fell while a document was being read (a sandbox worker alive) and
    # while the store was writing (the WAL growing after a report was stored)
    for phase, kills in targeted.items():
        assert all(hit for hit, _ in kills), (phase, kills)
    assert all(seen["sandbox_processes"] >= 2 for _, seen in targeted["extract"]), targeted
    assert all(seen["reports"] >= 1 for _, seen in targeted["db_write"]), targeted
    assert all(not seen["left"] for kills in targeted.values() for _, seen in kills), targeted
    begun = [m for m in moments if m[3]]
    assert len(begun) >= 8, (moments, tries)
    # killed at different points: at least once before every report was stored, and at others later
    assert any(n < len(expected) for _, n, _, _ in begun) and len({n for _, n, _, _ in begun}) >= 2, moments
    assert all(not left for _, _, left, _ in moments), moments          # no sandbox process outlives its crawl
    stored = query(db, "SELECT a.name, r.year FROM reports r JOIN agencies a ON a.id = r.agency_id")
    keys = [(normalize_name(n), y) for n, y in stored]
    assert len(keys) == len(set(keys)), "a report stored twice"
    assert set(keys) == expected, "reports lost"
    got, want = snapshot(db), snapshot(reference)
    assert got["report_keys"] == want["report_keys"]
    for table in ("agencies", "reports", "cells", "checks", "report_sections", "report_versions"):
        assert got[table] == want[table], table
    assert integrity(tmp_path / "killed.db") == "ok"
    left = orphans(db, tmp_path / "archive")
    assert left == {"unreferenced": [], "missing": [], "partial": []}, left
    statuses = [s for (s,) in query(db, "SELECT status FROM crawl_runs ORDER BY id")]
    # every killed run is recorded as interrupted; the others (a resumed run that finished before its kill,
    # the last one) as finished
    assert statuses.count("interrupted") == len(begun) + 4 and statuses[-1] == "finished", (statuses, moments)
    assert set(statuses) == {"interrupted", "finished"}, statuses

    # an export killed while it writes a file (a non-empty .tmp seen: not before it began, as a fixed delay
    # under the CLI's start-up of about 0.8 s was) leaves no half-written file under a final name; run again
    # it is whole
    out = tmp_path / "exports"
    hits = []
    for _ in range(5):                      # the files are written in milliseconds: a few tries to land in one
        hit, seen = kill_in_phase("export", ["export", "--db", db, "--out", out], {}, out=out, timeout=60)
        hits.append((hit, seen.get("tmp")))
        assert not [p for p in out.glob("*") if p.suffix != ".tmp" and p.stat().st_size == 0]
        if hit:
            break
        for p in out.glob("*"):
            p.unlink()
    assert hits[-1][0], hits
    print("targeted kills", {k: [s for _, s in v] for k, v in targeted.items()}, "export", hits)
    done = run_cli("export", "--db", db, "--out", out)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not list(out.glob("*.tmp"))
    assert list(out.glob("*.csv"))
