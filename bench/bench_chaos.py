"""Failing-web benchmark: the whole simulated world crawled twice by the real `harvester crawl` — once as it
is, once with the chaos fault on every site (harvester/devportal/chaos.py: RATE of requests — pages, list APIs,
documents — 503, reset, stalled past the download timeout, dripped at 1 byte/s, cut short, a 100 MB body, a
gzip bomb or a redirect loop, once each; every robots.txt one of the last three for ever) — and compared.

    .venv/bin/python bench/bench_chaos.py [--rate 0.05] [--timeout 10] [--json F]

Prints the faults injected by kind, the reports found in each world, the reports lost or changed (key,
parse status and document), what the faulty run counted against what was injected, per kind
(tests/e2e/crawlhelp.py ``fault_tally``), and the wall time of each crawl. Exits 2 when a report is lost or
changed, 3 when a kind's count differs from what was injected.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from crawlhelp import fault_tally, query, run_cli, snapshot  # noqa: E402

from harvester.devportal import chaos  # noqa: E402
from harvester.devportal.server import start_world, write_registry  # noqa: E402
from harvester.devportal.world import build_world  # noqa: E402


def crawl(tmp: Path, name: str, rate: float | None, timeout: float):
    world = build_world()
    if rate is not None:
        for s in world.sites:
            s.faults.add("chaos")
            s.fault_state.update(chaos_rate=rate, chaos_stall=timeout + 2)
    running = start_world(world, port=0)
    try:
        registry = write_registry(running, tmp / f"{name}.csv")
        db = f"sqlite:///{tmp / name}.db"
        t0 = time.monotonic()
        result = run_cli("crawl", "--sites", registry, "--db", db, timeout=7200,
                         env={"HARVESTER_ARCHIVE": str(tmp / f"{name}-archive"), "HARVESTER_DOWNLOAD_TIMEOUT": str(timeout)})
        wall = time.monotonic() - t0
        injected = Counter()
        for s in world.sites:
            injected.update(chaos.counts(s))
    finally:
        running.stop()
    return db, injected, wall, result.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=0.05)
    ap.add_argument("--timeout", type=float, default=10.0, help="HARVESTER_DOWNLOAD_TIMEOUT of both crawls")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-chaos-"))
    clean, _, wall_clean, rc1 = crawl(tmp, "clean", None, args.timeout)
    faulty, injected, wall_faulty, rc2 = crawl(tmp, "chaos", args.rate, args.timeout)
    got, ref = snapshot(faulty), snapshot(clean)
    ref_keys = {(a, y): (s, d) for a, y, s, d in ref["report_keys"]}
    got_keys = {(a, y): (s, d) for a, y, s, d in got["report_keys"]}
    lost = sorted(set(ref_keys) - set(got_keys))
    changed = sorted(k for k in set(ref_keys) & set(got_keys) if ref_keys[k] != got_keys[k])
    (counts,), = query(faulty, "SELECT counts FROM crawl_runs ORDER BY id DESC LIMIT 1")
    counts = json.loads(counts) if isinstance(counts, str) else counts
    print(f"faults injected: {sum(injected.values())} — " + ", ".join(f"{k} {v}" for k, v in sorted(injected.items())))
    print(f"reports: {len(ref_keys)} without faults, {len(got_keys)} with; lost {len(lost)}, changed {len(changed)}, "
          f"extra {len(set(got_keys) - set(ref_keys))}")
    print(f"the faulty run counted: backoffs {counts.get('backoffs')}, " +
          ", ".join(f"{k} {v}" for k, v in sorted((counts.get('faults') or {}).items())))
    counted, want = fault_tally(injected, counts)
    print("per kind, counted / injected: " + ", ".join(f"{k} {counted[k]}/{want[k]}" for k in want))
    print(f"wall: {wall_clean:.0f} s without faults, {wall_faulty:.0f} s with; exit codes {rc1}, {rc2}")
    for k in lost + changed:
        print(f"  {'lost' if k in lost else 'changed'}: {k} {ref_keys.get(k)} → {got_keys.get(k)}")
    if args.json:
        Path(args.json).write_text(json.dumps({"injected": injected, "counts": counts, "lost": lost, "changed": changed,
                                               "counted_per_kind": counted, "injected_per_kind": want,
                                               "reports": len(ref_keys)}, ensure_ascii=False, indent=1, default=str))
    if lost or changed:
        return 2
    return 0 if counted == want else 3


if __name__ == "__main__":
    sys.exit(main())
