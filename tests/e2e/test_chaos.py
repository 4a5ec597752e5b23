"""A failing web: the simulated portals with the chaos fault (devportal/chaos.py) — requests answered 503,
reset, stalled past the client's timeout, dripped at 1 byte/s, cut short, robots.txt a 100 MB body, a gzip
bomb, a redirect loop — and the crawl finds the same reports, with the same documents and parses, as in the
same world without faults; every injected fault is counted in the run."""
from __future__ import annotations

import json
from collections import Counter

from harvester.devportal import chaos
from harvester.devportal.server import start_world, write_registry
from harvester.devportal.world import build_world

from crawlhelp import fault_tally, query, run_cli, snapshot

SITES = ["hongze", "huaian", "deqing"]       # TRS and Hanweb; PDF, DOCX and HTML reports


def crawl(tmp_path, name: str, *, rate: float | None):
    world = build_world(sites=SITES)
    if rate is not None:
        for s in world.sites:
            s.faults.add("chaos")
            s.fault_state.update(chaos_rate=rate, chaos_stall=12.0)
    running = start_world(world, port=0)
    try:
        registry = write_registry(running, tmp_path / f"{name}.csv")
        db = f"sqlite:///{tmp_path / name}.db"
        result = run_cli("crawl", "--sites", registry, "--db", db,
                         env={"HARVESTER_ARCHIVE": str(tmp_path / f"{name}-archive"), "HARVESTER_DOWNLOAD_TIMEOUT": "10",
                              "HARVESTER_BROWSER": "0"}, timeout=900)
        injected = Counter()
        for s in world.sites:
            injected.update(chaos.counts(s))
    finally:
        running.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    return db, injected


def test_recall_under_a_failing_web_equals_the_world_without_faults(tmp_path):
    clean, none = crawl(tmp_path, "clean", rate=None)
    assert not none
    faulty, injected = crawl(tmp_path, "chaos", rate=0.12)
    # every kind of fault was met (the rate is higher than the bench's 5 % so that a small world meets them all)
    assert all(injected[k] >= 1 for k in chaos.KINDS), injected
    # robots.txt: one of huge, gzip bomb, redirect loop per site (a loop once per fetch of it); pages and documents
    # meet them too
    assert sum(injected[k] for k in chaos.ROBOTS_KINDS) >= len(SITES) + 3, injected
    # the same reports, documents and parses as without faults
    got, ref = snapshot(faulty), snapshot(clean)
    assert got["report_keys"] == ref["report_keys"]
    for table in ("reports", "cells", "checks", "report_sections"):
        assert got[table] == ref[table], table
    # the run counts every fault it met, per kind, exactly as the portal injected it (crawlhelp.fault_tally)
    counts = run_counts(faulty)
    faults = counts["faults"]
    assert not run_counts(clean)["faults"], run_counts(clean)["faults"]      # a web without faults: none counted
    exc = Counter({k.split(":", 1)[1]: v for k, v in faults.items() if k.startswith("exception:")})
    counted, want = fault_tally(injected, counts)
    print("injected", dict(injected), "counted", faults, "backoffs", counts["backoffs"])
    assert counted == want, (counted, want, faults)
    assert exc["DownloadCancelledError"] == injected["huge"], faults
    # the recorded reasons: every body too large and every redirect chain is an event of the run
    events = Counter(k for (k,) in query(faulty, "SELECT kind FROM crawl_events WHERE run_id = "
                                                 "(SELECT MAX(id) FROM crawl_runs)"))
    assert events["too_large"] == injected["huge"] + injected["gzip_bomb"], events
    assert events["redirect_loop"] == injected["redirect_loop"], events


def run_counts(db: str) -> dict:
    (counts,), = query(db, "SELECT counts FROM crawl_runs ORDER BY id DESC LIMIT 1")
    return json.loads(counts) if isinstance(counts, str) else counts
