"""Crawl benchmark: the whole simulated world — every CMS family and (by default) one site per obstacle —
a first run and an unchanged second run.

    .venv/bin/python bench/bench_crawl.py [--delay 0] [--no-obstacles] [--per-domain 8]

Prints wall time (the crawl time of the whole simulated world), requests sent, requests per report found,
reports found and stored, the outcome of every site, and peak memory of the crawl process (its VmHWM, kept in
the run's counts; Chromium is a process of its own). The crawl runs
through the real `harvester crawl` command in a subprocess, as a user runs it. Politeness defaults of the
benchmark: no download delay, 8 requests at a time per domain (a real crawl uses harvester.settings:
0.5 s delay, 2 per domain, AutoThrottle) — the sites that rate-limit still get their Retry-After honoured.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harvester.devportal.server import OUTSIDE, start_world, write_registry  # noqa: E402
from harvester.devportal.world import build_world  # noqa: E402


def crawl(registry: Path, db: str, delay: str, per_domain: str) -> tuple[float, str]:
    env = {**os.environ, "HARVESTER_DOWNLOAD_DELAY": delay, "HARVESTER_PER_DOMAIN": per_domain}
    env.pop("HARVESTER_DB", None)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "harvester.cli", "crawl", "--sites", str(registry), "--db", db,
                          "--log-file", str(registry.parent / "crawl.log")], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if out.returncode not in (0, 1):
        raise SystemExit(f"crawl failed ({out.returncode}); see {registry.parent / 'crawl.log'}")
    return wall, out.stdout


def found(db: str, run_id: int) -> tuple[int, dict, int, float]:
    """Report pages listed, outcomes, reports written and the crawl process's peak RSS (MiB) of a run."""
    from sqlalchemy import create_engine, text
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            n = conn.execute(text("SELECT COALESCE(SUM(reports_found), 0) FROM site_outcomes WHERE run_id = :r"),
                             {"r": run_id}).scalar_one()
            outcomes = dict(Counter(o for (o,) in conn.execute(
                text("SELECT outcome FROM site_outcomes WHERE run_id = :r"), {"r": run_id})))
            stored = conn.execute(text("SELECT COUNT(*) FROM reports")).scalar_one()
            counts = conn.execute(text("SELECT counts FROM crawl_runs WHERE id = :r"), {"r": run_id}).scalar_one()
    finally:
        engine.dispose()
    counts = json.loads(counts) if isinstance(counts, str) else counts
    written = sum(counts.get(k, 0) for k in ("reports_new", "reports_updated", "reports_revised"))
    return int(n), {**outcomes, "reports stored": stored}, written, counts.get("peak_rss_mib") or 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay", default="0", help="HARVESTER_DOWNLOAD_DELAY for the run (politeness off by default)")
    ap.add_argument("--per-domain", default="8", help="HARVESTER_PER_DOMAIN for the run")
    ap.add_argument("--no-obstacles", action="store_true", help="only the well-behaved default world")
    args = ap.parse_args()
    world = build_world(obstacles=not args.no_obstacles)
    running = start_world(world, port=0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            registry = write_registry(running, Path(tmp) / "sites.csv")
            db = f"sqlite:///{tmp}/bench.db"
            n_expected = len(running.expected_reports())
            wall1, out1 = crawl(registry, db, args.delay, args.per_domain)
            req1 = len([r for r in running.request_log if r.site_id != OUTSIDE])
            found1, outcomes1, _, peak1 = found(db, 1)
            wall2, _ = crawl(registry, db, args.delay, args.per_domain)
            log2 = [r for r in running.request_log if r.site_id != OUTSIDE][req1:]
            req2, not_modified2 = len(log2), sum(r.status == 304 for r in log2)
            found2, _, written2, peak2 = found(db, 2)
    finally:
        running.stop()
    kinds = Counter(s.platform or "detected" for s in world.sites)
    print(f"simulated world: {len(world.sites)} sites ({', '.join(f'{k}: {v}' for k, v in sorted(kinds.items()))}), "
          f"{n_expected} reachable reports (HTML, PDF, DOCX), {len(world.unreachable)} behind walls; "
          f"delay {args.delay}s, {args.per_domain} per domain")
    print(f"first run : {wall1:6.1f} s wall, {req1} requests, {found1} report pages found, "
          f"{req1 / max(found1, 1):.2f} requests/report found, {found1 / wall1:.1f} reports/s, "
          f"peak RSS {peak1:.0f} MiB")
    print(f"            outcomes: {', '.join(f'{k}: {v}' for k, v in sorted(outcomes1.items()))}")
    print(f"second run: {wall2:6.1f} s wall, {req2} requests ({not_modified2} answered 304), {found2} report "
          f"pages listed (unchanged world), {written2} reports written, "
          f"peak RSS {peak2:.0f} MiB")
    print(out1.split("Database:")[0].rstrip())


if __name__ == "__main__":
    main()
