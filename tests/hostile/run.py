"""Read every file of a generated hostile set through the sandbox, one JSON line per file, then the
caller's own peak resident memory: ``python tests/hostile/run.py DIR [--memory-mib N] [--timeout S]``.

Run as its own process so that its peak memory is the caller's alone (the files are generated elsewhere)."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("directory")
    ap.add_argument("--memory-mib", type=int, default=1024)
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args(argv)
    from harvester.sandbox.read import read_document
    d = Path(args.directory)
    t0 = time.monotonic()
    for m in json.loads((d / "manifest.json").read_text(encoding="utf-8")):
        data = (d / m["name"]).read_bytes()
        r = read_document(data, url=f"http://hostile.test/{m['name']}", memory_mib_limit=m.get("memory_mib", args.memory_mib),
                          timeout=m.get("timeout", args.timeout), settings=m.get("env"))
        del data
        print(json.dumps({"name": m["name"], "expected": m["expected"], "status": r.status, "detail": r.detail[:300],
                          "problem": r.extracted.problem if r.extracted else None, "seconds": round(r.seconds, 3),
                          "peak_mib": r.peak_mib, "parse_status": getattr(r.parsed, "status", None)}, ensure_ascii=False),
              flush=True)
    from harvester.procinfo import peak_rss_kb     # VmHWM: ru_maxrss would count the pytest process that started us
    print(json.dumps({"caller_peak_mib": peak_rss_kb() / 1024,
                      "seconds": round(time.monotonic() - t0, 2)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
