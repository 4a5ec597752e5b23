"""Scale benchmark: N variant portals (harvester/devportal/variants.py, the families and variants drawn in turn,
~20 reports a site, each site on its own 127.x.y.z address), a first crawl and an unchanged nightly.

    .venv/bin/python bench/bench_scale.py --sites 100 1000 [--delay 0] [--per-domain 2] [--seed 7]

Prints per run: wall time, requests (and the rate), reports stored and reports/s, time per site, the crawl
process's peak RSS (its VmHWM), the database and archive sizes on disk — for each N, so memory and time per site
can be compared between 100 and 1,000 sites. The crawls run through the real `harvester crawl` (subprocess) with
its frontier on disk (HARVESTER_FRONTIER=disk: Scrapy's disk queues in a JOBDIR of the run). The politeness
limit printed is what the settings allow: per domain one request per DOWNLOAD_DELAY (or CONCURRENT_REQUESTS_PER_DOMAIN
at a time with no delay), CONCURRENT_REQUESTS at a time in all.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harvester.devportal.server import OUTSIDE, start_world, write_registry  # noqa: E402
from harvester.devportal.variants import variant_world  # noqa: E402


def du(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def crawl(registry: Path, db: str, archive: Path, log: Path, delay: str, per_domain: str,
          time_limit: float = 0) -> float:
    env = {**os.environ, "HARVESTER_DOWNLOAD_DELAY": delay, "HARVESTER_PER_DOMAIN": per_domain,
           "HARVESTER_ARCHIVE": str(archive), "HARVESTER_FRONTIER": "disk", "HARVESTER_BROWSER": "0",
           "HARVESTER_TIME_LIMIT": str(time_limit)}
    env.pop("HARVESTER_DB", None)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "harvester.cli", "crawl", "--sites", str(registry), "--db", db,
                          "--log-file", str(log)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    if out.returncode not in (0, 1):
        raise SystemExit(f"crawl failed ({out.returncode}); see {log}")
    return time.perf_counter() - t0


def counts(db: str, run_id: int) -> tuple[dict, int]:
    from sqlalchemy import create_engine, text
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            c = conn.execute(text("SELECT counts FROM crawl_runs WHERE id = :r"), {"r": run_id}).scalar_one()
            stored = conn.execute(text("SELECT COUNT(*) FROM reports")).scalar_one()
    finally:
        engine.dispose()
    return (json.loads(c) if isinstance(c, str) else c), stored


def run(n: int, seed: int, delay: str, per_domain: str, time_limit: float = 0, nightly: bool = True) -> None:
    world = variant_world(n=n, seed=seed, many=True)
    running = start_world(world, host_base="127.1.0.1", port=0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            registry = write_registry(running, tmp / "sites.csv")
            dbfile, archive = tmp / "scale.db", tmp / "archive"
            db = f"sqlite:///{dbfile}"
            mark = 0
            n_sites = len(world.sites)
            print(f"== {n_sites} sites ({len(world.reports)} reports to find, "
                  f"{len(world.reports) / max(1, sum(e == 'ok' for e in world.expect.values())):.1f} per site "
                  f"that publishes); delay {delay}s, {per_domain} per domain, no browser")
            for run_id, name in ((1, "first crawl"), (2, "nightly"))[: 2 if nightly else 1]:
                wall = crawl(registry, db, archive, tmp / f"crawl{run_id}.log", delay, per_domain, time_limit)
                log = [r for r in running.request_log[mark:] if r.site_id != OUTSIDE]
                mark = len(running.request_log)
                c, stored = counts(db, run_id)
                ok_sites = (c.get("outcomes") or {}).get("ok", 0)
                written = c.get("reports_new", 0) + c.get("reports_updated", 0)
                rate = len(log) / wall
                d = float(delay)
                limit = min(16 / 0.005, n_sites * (1 / d if d else int(per_domain) / 0.005))   # 5 ms a loopback answer
                print(f"  {name:<11} {wall:7.1f} s wall ({1000 * wall / n_sites:6.0f} ms a site), "
                      f"{len(log):6d} requests ({rate:5.1f}/s), {ok_sites} sites ok, {written:5d} reports written "
                      f"({written / wall:5.1f}/s), {stored} stored, peak RSS {c.get('peak_rss_mib', 0):5.0f} MiB, "
                      f"DB {du(dbfile) / 2**20:6.1f} MiB, archive {du(archive) / 2**20:6.1f} MiB"
                      + (f", politeness would allow {limit:.0f}/s" if d else "")
                      + (f"; stopped by the {time_limit:g} s limit" if time_limit and wall >= time_limit else ""))
    finally:
        running.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--delay", default="0")
    ap.add_argument("--per-domain", default="2")
    ap.add_argument("--time-limit", type=float, default=0,
                    help="stop each crawl after this many seconds (HARVESTER_TIME_LIMIT; 0: none)")
    ap.add_argument("--no-nightly", action="store_true", help="the first crawl only")
    args = ap.parse_args()
    for n in args.sites:
        run(n, args.seed, args.delay, args.per_domain, args.time_limit, not args.no_nightly)


if __name__ == "__main__":
    main()
