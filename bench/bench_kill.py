"""Kill benchmark: the whole simulated world crawled by the real `harvester crawl`, SIGKILLed (the process
group: the crawl, its sandbox fork server, monitors and workers) at N random moments and resumed each time,
then compared with an uninterrupted crawl.

    .venv/bin/python bench/bench_kill.py [--kills 20] [--seed 13] [--json F]

Prints each kill's moment (seconds after the start) and the reports stored by then, then reports lost,
duplicated and changed, PRAGMA integrity_check, archive files no row names, rows whose file is missing,
partial files left, and sandbox processes that outlived their crawl.
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

from killhelp import integrity, kill_and_resume, orphans, query, run_cli, snapshot  # noqa: E402

from harvester.db.store import normalize_name  # noqa: E402
from harvester.devportal.server import start_world, write_registry  # noqa: E402
from harvester.devportal.world import build_world  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-kill-"))
    running = start_world(build_world(), port=0)
    try:
        registry = write_registry(running, tmp / "sites.csv")
        expected = {(normalize_name(e.agency), e.year) for e in running.expected_reports()}
        env = {"HARVESTER_ARCHIVE": str(tmp / "archive")}
        reference = f"sqlite:///{tmp / 'reference.db'}"
        t0 = time.monotonic()
        assert run_cli("crawl", "--sites", registry, "--db", reference, timeout=7200,
                       env={"HARVESTER_ARCHIVE": str(tmp / "ref-archive")}).returncode == 0
        duration = time.monotonic() - t0
        db, moments, tries = kill_and_resume(registry, tmp, kills=args.kills, seed=args.seed, duration=duration,
                                             env=env, total=len(expected), max_tries=args.kills * 3)
    finally:
        running.stop()
    keys = Counter((normalize_name(n), y) for n, y in query(db, "SELECT a.name, r.year FROM reports r JOIN agencies a ON a.id = r.agency_id"))
    got, ref = snapshot(db), snapshot(reference)
    lost = sorted(expected - set(keys))
    dup = sorted(k for k, n in keys.items() if n > 1)
    changed = len(set(map(tuple, ref["report_keys"])) ^ set(map(tuple, got["report_keys"])))
    left = orphans(db, tmp / "archive")
    survivors = sum(len(m[2]) for m in moments)
    print(f"reference crawl: {duration:.0f} s, {len(expected)} reports published")
    for delay, stored, _, begun in moments:
        print(f"  killed at {delay:6.2f} s, {stored} reports stored" + ("" if begun else " (before the run began)"))
    print(f"kills survived: {sum(1 for m in moments if m[3])} of a run under way, {len(moments)} in all "
          f"(of {tries} starts; the others finished first)")
    print(f"reports lost {len(lost)}, duplicated {len(dup)}, differing from the uninterrupted crawl {changed}")
    print(f"integrity_check: {integrity(tmp / 'killed.db')}; archive files no row names {len(left['unreferenced'])}, "
          f"rows without their file {len(left['missing'])}, partial files left {len(left['partial'])}; "
          f"sandbox processes left behind {survivors}")
    if args.json:
        Path(args.json).write_text(json.dumps({"moments": moments, "lost": lost, "dup": dup, "changed": changed, **left},
                                              ensure_ascii=False, indent=1))
    intact = integrity(tmp / "killed.db") == "ok"
    return 0 if intact and not (lost or dup or changed or any(left.values()) or survivors) else 2


if __name__ == "__main__":
    sys.exit(main())
