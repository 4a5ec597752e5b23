"""Crawl benchmark: the whole simulated world, first run and an unchanged second run.

    .venv/bin/python bench/bench_crawl.py [--delay 0]

Prints wall time, requests sent, reports found and stored, and peak memory of the crawl process.
The crawl runs through the real `harvester crawl` command in a subprocess, as a user runs it.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harvester.devportal.server import start_world, write_registry  # noqa: E402
from harvester.devportal.world import build_world  # noqa: E402


def crawl(registry: Path, db: str, delay: str) -> tuple[float, int]:
    env = {**os.environ, "HARVESTER_DOWNLOAD_DELAY": delay}
    env.pop("HARVESTER_DB", None)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "harvester.cli", "crawl", "--sites", str(registry), "--db", db,
                    "--log-file", str(registry.parent / "crawl.log")], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak_kb


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay", default="0", help="HARVESTER_DOWNLOAD_DELAY for the run (politeness off by default)")
    args = ap.parse_args()
    running = start_world(build_world(), port=0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            registry = write_registry(running, Path(tmp) / "sites.csv")
            db = f"sqlite:///{tmp}/bench.db"
            n_expected = len(running.expected_reports())
            wall1, peak1 = crawl(registry, db, args.delay)
            req1 = len(running.request_log)
            wall2, peak2 = crawl(registry, db, args.delay)
            req2 = len(running.request_log) - req1
    finally:
        running.stop()
    print(f"simulated world: {len(running.sites)} sites, {n_expected} reports (HTML, PDF, DOCX), delay {args.delay}s")
    print(f"first run : {wall1:6.1f} s wall, {req1} requests, {req1 / n_expected:.2f} requests/report, "
          f"{n_expected / wall1:.1f} reports/s, peak RSS {peak1 / 1024:.0f} MiB")
    print(f"second run: {wall2:6.1f} s wall, {req2} requests (unchanged world), peak RSS {peak2 / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
