"""Hostile-document benchmark: every file of tests/hostile/gen.py (PDF, DOCX, XLSX, XLS, OFD, RTF, HTML,
images, ZIP, text) read through the sandbox under the production limits (or the ones given), each in a
worker process; the caller is a process of its own so that its peak memory is the caller's alone.

    .venv/bin/python bench/bench_hostile.py [--memory-mib 2048] [--timeout 180] [--json F]

Prints per file the expected and the actual status, seconds and the worker's peak memory, then the count
by status, the files whose status differs from the expected one, the caller's peak resident memory and
the wall time. Files that carry their own limits in the manifest (a tight budget to show a kill) keep them.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--memory-mib", type=int, default=2048)
    ap.add_argument("--timeout", type=float, default=180.0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    subprocess.run([sys.executable, str(ROOT / "tests/hostile/gen.py"), str(tmp)], check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, str(ROOT / "tests/hostile/run.py"), str(tmp), "--memory-mib", str(args.memory_mib),
                           "--timeout", str(args.timeout)], env=env, capture_output=True, text=True)
    if proc.returncode:
        print(proc.stderr[-3000:])
        print(f"the caller died: exit {proc.returncode}")
        return 1
    *rows, summary = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    print(f"{'file':<36} {'expected':<13} {'status':<13} {'s':>7} {'MiB':>7}")
    for r in rows:
        mark = "" if r["status"] == r["expected"] else "  ≠"
        print(f"{r['name'][:36]:<36} {r['expected']:<13} {r['status']:<13} {r['seconds']:7.2f} {r['peak_mib'] or 0:7.0f}{mark}")
    by = Counter(r["status"] for r in rows)
    wrong = [r["name"] for r in rows if r["status"] != r["expected"]]
    print(f"\nfiles: {len(rows)}; by status: " + ", ".join(f"{k} {v}" for k, v in sorted(by.items())))
    print(f"status as expected: {len(rows) - len(wrong)}/{len(rows)}" + (f" (differs: {', '.join(wrong)})" if wrong else ""))
    print(f"caller crashes: 0, hangs: 0, caller peak RSS {summary['caller_peak_mib']:.0f} MiB, "
          f"slowest file {max(r['seconds'] for r in rows):.1f} s, wall {summary['seconds']:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, **summary}, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if not wrong else 2


if __name__ == "__main__":
    sys.exit(main())
