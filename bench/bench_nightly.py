"""Nightly economy benchmark: a first crawl, an unchanged nightly, then a nightly after new reports appeared —
on the default simulated world (every CMS family: TRS, Hanweb jpaas / data proxy, gkmlpt JSON, an unknown CMS,
a script-built list) and on the variant portals (harvester/devportal/variants.py: every family, every list
delivery — links, inline data, XHR/JSON APIs, a browser-captured endpoint, iframes, POST forms).

    .venv/bin/python bench/bench_nightly.py [--seeds 3] [--world default|variants|both]

Prints per night: requests (by what they asked for: robots.txt, list page, API, report page, document), how
many answered 304, list pages whose items were all known (the walk stopped there), reports parsed, and — after
new reports appeared — how many of them were found. The crawls run through the real `harvester crawl`
(subprocess), no download delay, 8 requests at a time per domain.
"""
from __future__ import annotations

import argparse
import datetime as dt
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

from harvester.db.store import normalize_name  # noqa: E402
from harvester.devportal.server import OUTSIDE, start_world, write_registry  # noqa: E402


def crawl(registry: Path, db: str, archive: Path, log: Path, *extra: str) -> float:
    env = {**os.environ, "HARVESTER_DOWNLOAD_DELAY": "0", "HARVESTER_PER_DOMAIN": "8",
           "HARVESTER_ARCHIVE": str(archive)}
    env.pop("HARVESTER_DB", None)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "harvester.cli", "crawl", "--sites", str(registry), "--db", db,
                          "--log-file", str(log), *extra], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if out.returncode not in (0, 1):
        raise SystemExit(f"crawl failed ({out.returncode}); see {log}")
    return time.perf_counter() - t0


def role_of(running, r) -> str:
    if r.path == "/robots.txt":
        return "robots"
    site = running.world.site(r.site_id)
    res = site.lookup(r.path.split("?")[0]) or site.lookup(r.path)
    return res.role if res is not None else "missing"


def run_counts(db: str, run_id: int) -> dict:
    from sqlalchemy import create_engine, text
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            counts = conn.execute(text("SELECT counts FROM crawl_runs WHERE id = :r"), {"r": run_id}).scalar_one()
            stored = {(normalize_name(n), y) for n, y in conn.execute(text(
                "SELECT a.name, r.year FROM reports r JOIN agencies a ON a.id = r.agency_id"))}
    finally:
        engine.dispose()
    counts = json.loads(counts) if isinstance(counts, str) else counts
    return {"counts": counts, "stored": stored}


def nights(world_old, world_new, label: str) -> dict:
    running = start_world(world_old, port=0)
    out = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            registry = write_registry(running, tmp / "sites.csv")
            db, archive = f"sqlite:///{tmp}/bench.db", tmp / "archive"
            mark = 0
            for run_id, name in enumerate(("first", "unchanged", "new reports"), start=1):
                if name == "new reports":
                    running.swap(world_new)
                wall = crawl(registry, db, archive, tmp / f"crawl{run_id}.log")
                log = [r for r in running.request_log[mark:] if r.site_id != OUTSIDE]
                mark = len(running.request_log)
                got = run_counts(db, run_id)
                expected = {(normalize_name(e.agency), e.year) for e in running.expected_reports()}
                if os.environ.get("BENCH_SHOW"):
                    for r in log:
                        print(f"    [{name}] {r.site_id} {r.method} {r.path[:90]} {r.status} {role_of(running, r)}")
                out[name] = {"wall": wall, "requests": len(log), "per_site": Counter(r.site_id for r in log), "by_role": Counter(role_of(running, r) for r in log),
                             "not_modified": sum(r.status == 304 for r in log), "counts": got["counts"],
                             "expected": expected, "stored": got["stored"]}
    finally:
        running.stop()
    first = out["first"]
    print(f"== {label}: {len(world_new.sites)} sites, {len(first['expected'])} reports at first, "
          f"{len(out['new reports']['expected'])} after new ones appeared")
    for name, n in out.items():
        c = n["counts"]
        roles = ", ".join(f"{k} {v}" for k, v in sorted(n["by_role"].items()))
        share = f" = {100 * n['requests'] / first['requests']:.1f} % of the first crawl" if name != "first" else ""
        print(f"  {name:<12} {n['wall']:6.1f} s, {n['requests']:5d} requests{share} ({roles}); "
              f"{n['not_modified']} answered 304; lists known from a page: {c.get('walks_stopped', 0)}, "
              f"list pages not asked: {c.get('list_pages_skipped', 0)}; reports new {c.get('reports_new', 0)}, "
              f"updated {c.get('reports_updated', 0)}, revised {c.get('reports_revised', 0)}")
    publishing = getattr(world_new, "expect", None)
    if publishing:           # variant worlds: the sites that publish apart from those that yield nothing
        ok = {sid for sid, e in publishing.items() if e == "ok"}
        for name in ("first", "unchanged"):
            out[name]["ok_requests"] = sum(out[name]["per_site"][sid] for sid in ok)
        u = out["unchanged"]
        print(f"  sites that publish ({len(ok)}): unchanged night {u['ok_requests']} requests = "
              f"{100 * u['ok_requests'] / max(1, first['ok_requests']):.1f} % of their first crawl "
              f"({first['ok_requests']}), at most {max(u['per_site'][sid] for sid in ok)} a site; the "
              f"{len(publishing) - len(ok)} sites that yield nothing (dead, no column, empty column): "
              f"{u['requests'] - u['ok_requests']} requests (looked for from the start page every night)")
    new = out["new reports"]["expected"] - first["expected"]
    found = new & out["new reports"]["stored"]
    print(f"  new reports found by the nightly: {len(found)} of {len(new)}; all reports stored: "
          f"{len(out['new reports']['stored'] & out['new reports']['expected'])} of {len(out['new reports']['expected'])}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3, help="variant seeds per family")
    ap.add_argument("--world", choices=("default", "variants", "both"), default="both")
    args = ap.parse_args()
    if args.world in ("default", "both"):
        from harvester.devportal.world import build_world
        nights(build_world(as_of=dt.date(2025, 3, 1)), build_world(), "default world (every family)")
    if args.world in ("variants", "both"):
        from harvester.devportal.variants import variant_world
        seeds = range(args.seeds)
        nights(variant_world(seeds, hold_back=1, many=True), variant_world(seeds, many=True),
               f"variant portals ({args.seeds} seeds x 5 families, ~20 reports a site)")


if __name__ == "__main__":
    main()
