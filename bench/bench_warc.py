"""WARC benchmark: the crawl of the simulated 7-site world with WARC capture (spiders/warcmw.py) and without
(HARVESTER_WARC=0), alternately, first run and unchanged second run each; and the disk the evidence takes.

    .venv/bin/python bench/bench_warc.py [--rounds 3] [--delay 0] [--per-domain 8]

Prints, per mode, the median wall time and CPU time (the crawl process and Chromium) of the first and second
crawl (the real `harvester crawl` in a subprocess), the ratio with/without (target ≤ 1.10), and with WARC: bytes of .warc.gz + CDXJ per report, the
records written, and — without WARC — what the plain SHA-256 archive took for the same crawl.

Exits 1 (and says which) when the median wall-time ratio of the first or the second crawl is above TARGET (1.10×);
the figures are printed either way. CPU ratios are printed, not checked.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.10          # crawl wall time with WARC capture ≤ 1.10 × without (issue 17)
sys.path.insert(0, str(ROOT))

from harvester.devportal.server import start_world, write_registry  # noqa: E402
from harvester.devportal.world import build_world  # noqa: E402


def crawl(registry: Path, db: str, archive: Path, warc: bool, delay: str, per_domain: str) -> tuple[float, float]:
    """Wall time and CPU time (user + system of the crawl process and what it waited for) of one crawl."""
    env = {**os.environ, "HARVESTER_DOWNLOAD_DELAY": delay, "HARVESTER_PER_DOMAIN": per_domain,
           "HARVESTER_ARCHIVE": str(archive), "HARVESTER_WARC": "1" if warc else "0"}
    env.pop("HARVESTER_DB", None)
    t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([sys.executable, "-m", "harvester.cli", "crawl", "--sites", str(registry), "--db", db,
                          "--log-file", str(registry.parent / "crawl.log")], cwd=ROOT, env=env,
                         stdout=subprocess.DEVNULL)
    if out.returncode != 0:
        raise SystemExit(f"crawl failed ({out.returncode}); see {registry.parent / 'crawl.log'}")
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - t0, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def size(path: Path, pattern: str = "*") -> int:
    return sum(p.stat().st_size for p in path.rglob(pattern) if p.is_file())


def measure(args) -> tuple[dict, dict, dict]:
    """Run the crawls: (wall times, CPU times — each {with WARC: {night: [s…]}}, disk per mode)."""
    from sqlalchemy import create_engine, text

    times = {True: {"first": [], "second": []}, False: {"first": [], "second": []}}
    cpu = {True: {"first": [], "second": []}, False: {"first": [], "second": []}}
    disk = {}
    for rnd in range(args.rounds):
        for warc in ((True, False) if rnd % 2 == 0 else (False, True)):
            with tempfile.TemporaryDirectory(prefix="bench-warc-") as tmp:
                tmp = Path(tmp)
                running = start_world(build_world(), port=0)
                try:
                    registry = write_registry(running, tmp / "sites.csv")
                    db = f"sqlite:///{tmp / 'h.db'}"
                    for night in ("first", "second"):
                        wall, used = crawl(registry, db, tmp / "archive", warc, args.delay, args.per_domain)
                        times[warc][night].append(wall)
                        cpu[warc][night].append(used)
                    engine = create_engine(db)
                    with engine.connect() as conn:
                        reports = conn.execute(text("SELECT COUNT(*) FROM reports")).scalar_one()
                        records = conn.execute(text("SELECT COUNT(*) FROM warc_captures")).scalar_one()
                    engine.dispose()
                    arch = tmp / "archive"
                    disk[warc] = {"reports": reports, "records": records,
                                  "warc": size(arch / "warc", "*.warc.gz"), "cdxj": size(arch / "warc", "*.cdxj"),
                                  "plain": size(arch) - size(arch / "warc")}
                finally:
                    running.stop()
            print(f"round {rnd + 1} {'with' if warc else 'without'} WARC: first {times[warc]['first'][-1]:.2f} s "
                  f"(CPU {cpu[warc]['first'][-1]:.2f} s), second {times[warc]['second'][-1]:.2f} s "
                  f"(CPU {cpu[warc]['second'][-1]:.2f} s)", flush=True)
    return times, cpu, disk


def report(times: dict, cpu: dict, disk: dict, rounds: int, target: float = TARGET) -> int:
    """Print the table and the disk figures; 0 when both median wall ratios are ≤ target, else 1 (said why)."""
    med = {w: {n: statistics.median(v) for n, v in t.items()} for w, t in times.items()}
    mcpu = {w: {n: statistics.median(v) for n, v in t.items()} for w, t in cpu.items()}
    print()
    print(f"| crawl of the 7-site world (median of {rounds}) | without WARC | with WARC | × |")
    print("|---|---|---|---|")
    ratios = {}
    for night in ("first", "second"):
        ratios[night] = med[True][night] / med[False][night]
        print(f"| {night} run, wall s | {med[False][night]:.2f} | {med[True][night]:.2f} | {ratios[night]:.3f} |")
        print(f"| {night} run, CPU s | {mcpu[False][night]:.2f} | {mcpu[True][night]:.2f} | "
              f"{mcpu[True][night] / mcpu[False][night]:.3f} |")
    w, p = disk[True], disk[False]
    print()
    print(f"with WARC: {w['reports']} reports, {w['records']} records (requests not counted) after two runs; "
          f".warc.gz {w['warc'] / 1e6:.2f} MB + CDXJ {w['cdxj'] / 1e3:.1f} kB = "
          f"{(w['warc'] + w['cdxj']) / w['reports'] / 1e3:.1f} kB per report; plain archive files {w['plain']} B")
    print(f"without WARC: the SHA-256 archive {p['plain'] / 1e6:.2f} MB = {p['plain'] / p['reports'] / 1e3:.1f} kB "
          f"per report")
    over = {n: r for n, r in ratios.items() if r > target}
    print()
    if over:
        print("FAIL: WARC capture costs more than the target: "
              + ", ".join(f"{n} run {r:.3f}× wall > {target:.2f}×" for n, r in over.items()), file=sys.stderr)
        return 1
    print(f"ok: wall-time ratio ≤ {target:.2f}× (first run {ratios['first']:.3f}×, second {ratios['second']:.3f}×)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--delay", default="0")
    ap.add_argument("--per-domain", default="8")
    args = ap.parse_args(argv)
    times, cpu, disk = measure(args)
    return report(times, cpu, disk, args.rounds)


if __name__ == "__main__":
    sys.exit(main())
