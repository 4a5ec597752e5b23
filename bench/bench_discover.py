"""Discovery benchmark: the simulated province (harvester/devportal/province.py) discovered from its home page.

    .venv/bin/python bench/bench_discover.py [--delay 0] [--workers 6] [--runs 3]

Prints per run the wall time, pages fetched, requests sent (robots.txt included), sites and columns found
against the ground truth, and what was refused. Discovery runs in this process (it is plain HTTP, no
reactor); the province is served on loopback.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harvester.devportal.province import province_world, seed_url, start_province  # noqa: E402
from harvester.discovery.discover import Discovery, Fetcher, norm_url  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--delay", type=float, default=0.0, help="seconds between two requests to one host")
    ap.add_argument("--workers", type=int, default=6)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    pw = province_world()
    running = start_province(pw)
    try:
        truth = {norm_url(t["url"]) for t in pw.truth(running)}
        for run in range(1, args.runs + 1):
            t0 = time.perf_counter()
            fetcher = Fetcher("bench", delay=args.delay)
            result = Discovery(fetcher, workers=args.workers).run([seed_url(running)])
            dt = time.perf_counter() - t0
            got = {norm_url(r["start_url"]) for r in result.rows}
            s = result.summary()
            print(f"run {run}: {dt:.2f} s, {s['pages']} pages, {len(fetcher.requests)} requests; "
                  f"{s['sites']} sites + {s['columns']} columns, {len(got & truth)}/{len(truth)} of the truth, "
                  f"{len(got - truth)} extra; refused {s['refused']}")
    finally:
        running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
