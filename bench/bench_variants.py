"""Variant benchmark: the variant portals of harvester/devportal/variants.py — N seeds of every CMS family, every
detail portals.md leaves open drawn from the seed — crawled once by the real `harvester crawl` command.

    .venv/bin/python bench/bench_variants.py [--seeds 100] [--families trs,hanweb,gkmlpt,legacy,scripted] [--json F]

Prints recall (reports found / reports published) per variant — every drawn dimension and each of its values —
and in total, the sites whose outcome is the expected one (a site without reports must be alarmed: no_reports,
no_report_column, unreachable), duplicates and reports stored that were never published, renders, requests and
wall time. No download delay, 8 requests at a time per domain (as bench_crawl.py).
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

from harvester.devportal.server import start_world, write_registry  # noqa: E402
from harvester.devportal.variants import FAMILIES, score, variant_world  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=100, help="seeds per family (0 … N-1)")
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--json", default=None, help="also write the full score here")
    args = ap.parse_args()
    world = variant_world(range(args.seeds), families=tuple(args.families.split(",")))
    tmp = Path(tempfile.mkdtemp(prefix="bench-variants-"))
    running = start_world(world, port=0)
    try:
        registry = write_registry(running, tmp / "sites.csv")
        db = f"sqlite:///{tmp / 'harvester.db'}"
        env = {**os.environ, "HARVESTER_DOWNLOAD_DELAY": "0", "HARVESTER_PER_DOMAIN": "8",
               "HARVESTER_ARCHIVE": str(tmp / "archive")}
        env.pop("HARVESTER_DB", None)
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "harvester.cli", "crawl", "--sites", str(registry), "--db", db,
                              "--log-file", str(tmp / "crawl.log")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             text=True)
        wall = time.perf_counter() - t0
        if out.returncode not in (0, 1):
            raise SystemExit(f"crawl failed ({out.returncode}); see {tmp / 'crawl.log'}")
    finally:
        running.stop()
    from sqlalchemy import create_engine, text
    engine = create_engine(db)
    with engine.connect() as conn:
        stored: dict[str, list] = {}
        for sid, name, year in conn.execute(text("SELECT r.site_id, a.name, r.year FROM reports r "
                                                 "JOIN agencies a ON a.id = r.agency_id")):
            stored.setdefault(sid, []).append((name, year))
        outcomes = dict(conn.execute(text("SELECT site_id, outcome FROM site_outcomes WHERE run_id = 1")).all())
        counts = conn.execute(text("SELECT counts FROM crawl_runs WHERE id = 1")).scalar_one()
    engine.dispose()
    counts = json.loads(counts) if isinstance(counts, str) else counts
    result = score(world, stored, outcomes)
    t = result["total"]
    print(f"{len(world.sites)} sites ({args.seeds} seeds x {len(args.families.split(','))} families), "
          f"{t['expected']} reports published; crawl {wall:.1f} s, {counts.get('requests')} requests, "
          f"{counts.get('renders')} renders")
    print(f"recall {t['found']}/{t['expected']} = {t['found'] / max(t['expected'], 1):.2%}; duplicates {t['duplicates']}; "
          f"stored but never published {t['extra']}; expected outcome {t['outcome_ok']}/{len(world.sites)} sites")
    print()
    print(f"{'variant':<16} {'value':<22} {'sites':>5} {'reports':>8} {'found':>6} {'recall':>8} {'outcome ok':>11}")
    for dim in sorted(result["variants"]):
        if dim == "per_page":        # a number, not a variant
            continue
        for value, v in sorted(result["variants"][dim].items()):
            recall = f"{v['found'] / v['expected']:.1%}" if v["expected"] else "—"
            print(f"{dim:<16} {value:<22} {v['sites']:>5} {v['expected']:>8} {v['found']:>6} {recall:>8} "
                  f"{v['outcome_ok']:>5}/{v['sites']:<5}")
    bad = {sid: s for sid, s in result["sites"].items() if s["found"] < s["expected"] or not s["outcome_ok"]
           or s["duplicates"] or s["extra"]}
    for sid, s in sorted(bad.items()):
        print(f"MISSED {sid}: {s} {world.draws[sid]}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
