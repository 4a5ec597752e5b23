"""Benchmark of every document format on one core: extract + parse, documents/s and peak memory.

    .venv/bin/python bench/bench_formats.py [--reports N] [--repeat N] [--formats a,b,…]

Documents: N generated reports (``make_report``: city, county department and township bodies, gov2021
and gov2019) rendered in each format as tests/extract/formatgen.py makes them — HTML, PDF, DOCX,
XLSX, XLS, OFD, RTF (written by LibreOffice, read natively), DOC and WPS (written by LibreOffice,
read through LibreOffice → DOCX), the table page as a PNG (OCR off: detection only; OCR on:
Tesseract) and the same page as a scanned PDF with OCR.

Each format runs in a fresh child process pinned to one core (``sched_setaffinity``) with the
documents already loaded: the time of a document is the median of ``--repeat`` runs (one run for
the converter and OCR formats), documents/s is documents over the sum of those medians. Peak memory:
the child's peak RSS (VmHWM) ("RSS MB") and that minus the max RSS of a child that only imports, loads the
documents and parses their HTML twins ("+MB"); converters
(LibreOffice, Tesseract) run as separate processes, so their own peak RSS is given apart
(``RUSAGE_CHILDREN``). ``cells ok`` counts documents whose cells equal the HTML twin's.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "extract"))

from harvester.procinfo import peak_rss_kb  # noqa: E402

BODIES = [("淮安市人民政府", "government", 2024, "gov2021"),
          ("淮安市洪泽区教育体育局", "department", 2022, "gov2021"),
          ("淮安市洪泽区老子山镇人民政府", "township", 2020, "gov2019"),
          ("淮安市洪泽区人民政府", "government", 2019, "gov2019")]
FORMATS = ["html", "pdf", "docx", "xlsx", "xls", "ofd", "rtf", "doc", "wps", "png", "png+ocr", "scan-pdf+ocr"]
SLOW = {"doc", "wps", "png+ocr", "scan-pdf+ocr"}


def make_documents(n: int, formats: list[str]) -> dict:
    import formatgen as G

    from harvester.devportal import reports as R
    from harvester.devportal import render as renderings
    docs: dict[str, list] = {f: [] for f in formats}
    for k in range(n):
        agency, kind, year, fmt = BODIES[k % len(BODIES)]
        r = R.make_report(agency, year, fmt, random.Random(f"bench{k}"), kind=kind)
        html = G.html_twin(r)
        render = {
            "html": lambda: html, "pdf": lambda: renderings.render_pdf(r), "docx": lambda: renderings.render_docx(r),
            "xlsx": lambda: G.to_xlsx(r), "xls": lambda: G.to_xls(r), "ofd": lambda: G.to_ofd(r),
            "rtf": lambda: G.to_rtf_lo(r), "doc": lambda: G.to_doc(r), "wps": lambda: G.to_wps(r),
            "png": lambda: G.to_png(r, dpi=300), "png+ocr": lambda: G.to_png(r, dpi=300),
            "scan-pdf+ocr": lambda: G.image_pdf(G.to_png(r, dpi=300)),
        }
        for f in formats:
            docs[f].append({"data": render[f](), "html": html})
    return docs


def child(fmt: str, path: str, repeat: int, baseline: bool) -> dict:
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except (AttributeError, OSError):
        pass
    if fmt.endswith("+ocr"):
        os.environ["HARVESTER_OCR"] = "1"
    else:
        os.environ.pop("HARVESTER_OCR", None)
    from harvester.report import parse_bytes
    docs = pickle.loads((Path(path) / f"{fmt}.pickle").read_bytes())
    if baseline:  # the same process without the format's own work: imports, documents, the HTML twins
        for d in docs:
            parse_bytes(d["html"])
        return {"rss_kb": peak_rss_kb()}
    times, ok, statuses = [], 0, {}
    reps = 1 if fmt in SLOW else repeat
    for d in docs:
        twin = {k: c.value for k, c in parse_bytes(d["html"]).cells.items()}
        runs = []
        rep = None
        for _ in range(reps):
            t = time.perf_counter()
            rep = parse_bytes(d["data"])
            runs.append(time.perf_counter() - t)
        times.append(statistics.median(runs))
        statuses[rep.status] = statuses.get(rep.status, 0) + 1
        if {k: c.value for k, c in rep.cells.items()} == twin:
            ok += 1
    return {"times": times, "ok": ok, "statuses": statuses,
            "rss_kb": peak_rss_kb(),
            "child_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            "bytes": sum(len(d["data"]) for d in docs)}


def run_child(fmt: str, path: str, repeat: int, baseline: bool = False) -> dict:
    cmd = [sys.executable, __file__, "--child", fmt, "--docs", path, "--repeat", str(repeat)]
    if baseline:
        cmd.append("--baseline")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--child")
    ap.add_argument("--docs")
    ap.add_argument("--baseline", action="store_true")
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child, a.docs, a.repeat, a.baseline)))
        return
    formats = [f for f in a.formats.split(",") if f]
    t0 = time.perf_counter()
    docs = make_documents(a.reports, formats)
    with tempfile.TemporaryDirectory(prefix="bench-formats-") as tmp:
        path = tmp
        for fmt, ds in docs.items():   # one file per format: a child loads only its own documents
            (Path(tmp) / f"{fmt}.pickle").write_bytes(pickle.dumps(ds))
        print(f"# {a.reports} reports per format, made in {time.perf_counter() - t0:.0f} s; one core; "
              f"median of {a.repeat} runs (1 for {', '.join(sorted(SLOW))})")
        print(f"# {'format':<13} {'docs/s':>8} {'ms/doc':>8} {'KB/doc':>7} {'RSS MB':>7} {'+MB':>6} {'converter MB':>12}  "
              f"{'cells = HTML twin':<18} statuses")
        for fmt in formats:
            base = run_child(fmt, path, a.repeat, baseline=True)
            res = run_child(fmt, path, a.repeat)
            n = len(res["times"])
            total = sum(res["times"])
            peak = max(0, res["rss_kb"] - base["rss_kb"]) / 1024
            conv = res["child_rss_kb"] / 1024
            print(f"  {fmt:<13} {n / total:8.2f} {1000 * total / n:8.1f} {res['bytes'] / n / 1024:7.0f} "
                  f"{res['rss_kb'] / 1024:7.0f} {peak:6.1f} {(f'{conv:.0f}' if conv > 1 else '-'):>12}  {res['ok']}/{n:<16} "
                  f"{', '.join(f'{k} {v}' for k, v in sorted(res['statuses'].items()))}", flush=True)


if __name__ == "__main__":
    main()
