"""Benchmark of the PDF path on one core: pypdfium2 bare text vs extract_pdf vs pdfplumber tables.

    .venv/bin/python bench/bench_pdf.py [--repeat N] [--plumber-repeat N] [--no-mem]

Documents: the three real reports in tests/fixtures/corpus/real, two whole reports as the simulated
portals render them (harvester.devportal), and generated stress documents with a ruled table 三
on every page (reportlab, built by tests/extract/pdfbuild.py). For each method the time of a document is the
median of N runs (methods interleaved per document); documents/s and pages/s are over the whole
set. Peak memory is the max RSS of a fresh child process running only that method over all
documents, minus the RSS of a child that only imports and loads the documents.

Also reported: how many of the hand-checked table 三 rows (tests/fixtures/corpus/expected) each
method recovers as one row of 7 numbers, and — when ``harvester.report.parse_extracted`` is
importable — extract+parse time and how many expected cells the parser gets right.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harvester.procinfo import peak_rss_kb  # noqa: E402

REAL = {
    "huaian-2024": "huaian-2024-淮安市人民政府.pdf",
    "hongze-2023": "hongze-2023-淮安市洪泽区人民政府.pdf",
    "hongze-2024": "hongze-2024-淮安市洪泽区人民政府.pdf",
}
COLS = ["natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org", "total"]


def _builders():
    spec = importlib.util.spec_from_file_location("pdf_builders", REPO / "tests" / "extract" / "pdfbuild.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def documents():
    docs = []
    for name, fn in REAL.items():
        docs.append((name, (REPO / "tests" / "fixtures" / "corpus" / "real" / fn).read_bytes()))
    try:  # whole reports as the simulated portals serve them (narrative + tables 二, 三, 四)
        import random

        from harvester.devportal.reports import make_report

        from harvester.devportal.render import render_pdf
        for fmt, year, seed in (("gov2021", 2023, 7), ("gov2019", 2019, 8)):
            r = make_report("某某县人民政府", year, fmt, random.Random(seed))
            docs.append((f"devportal-{fmt}", render_pdf(r)))
    except Exception as exc:  # pragma: no cover - the generator is another module's
        print(f"# (devportal reports not available: {exc})")
    b = _builders()
    # stress: a ruled table 三 on every page, narrative paragraphs above it
    docs.append(("generated-report-8p", b.make_report_pdf(pages=8)))
    docs.append(("generated-report-24p", b.make_report_pdf(pages=24)))
    docs.append(("generated-table-1p", b.make_table_pdf()))
    return docs


# ------------------------------------------------------------------------------------ methods

def bare(data: bytes):
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(data)
    out = []
    for i in range(len(doc)):
        page = doc[i]
        tp = page.get_textpage()
        out.append(tp.get_text_range())
        tp.close()
        page.close()
    doc.close()
    return out


def ours(data: bytes):
    from harvester.extract.pdf import extract_pdf
    return extract_pdf(data)


def _parser():
    try:
        from harvester.report import parse_extracted
        return parse_extracted
    except Exception:
        return None


def ours_parse(data: bytes):
    from harvester.extract.pdf import extract_pdf
    return _parser()(extract_pdf(data))


def plumber(data: bytes):
    import io

    import pdfplumber
    out = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            out.extend(page.extract_tables())
    return out


METHODS = {"bare": bare, "ours": ours, "ours+parse": ours_parse, "plumber": plumber}


def pages_of(data: bytes) -> int:
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(data)
    n = len(doc)
    doc.close()
    return n


def time_methods(docs, methods, repeat, plumber_repeat):
    times = {m: {} for m in methods}
    for name, data in docs:
        for m in methods:
            METHODS[m](data)  # warm up
        for _ in range(repeat):
            for m in methods:
                if m == "plumber" and len(times[m].get(name, [])) >= plumber_repeat:
                    continue
                t = time.perf_counter()
                METHODS[m](data)
                times[m].setdefault(name, []).append(time.perf_counter() - t)
    med = {m: {n: statistics.median(v) for n, v in d.items()} for m, d in times.items()}
    best = {m: {n: min(v) for n, v in d.items()} for m, d in times.items()}
    return med, best


# ------------------------------------------------------------------------------------ quality

NUM = re.compile(r"^\d+(?:\.\d+)?$")


def _expected_rows(name):
    exp = json.loads((REPO / "tests" / "fixtures" / "corpus" / "expected" / f"{name}.json").read_text("utf-8"))
    cells, unc = exp["cells"], set(exp.get("uncertain_cells", []))
    rows = []
    for key in sorted({k.rsplit(".", 1)[0] for k in cells if k.startswith("apply.")}):
        ids = [f"{key}.{c}" for c in COLS]
        if all(i in cells and i not in unc for i in ids):
            rows.append([str(cells[i]) for i in ids])
    return exp, rows


def _runs_from_rows(rows):
    runs = []
    for cells in rows:
        cells = [re.sub(r"\s+", "", c or "") for c in cells]
        run = []
        while cells and NUM.match(cells[-1]):
            run.insert(0, cells.pop())
        if run:
            runs.append(run)
    return runs


def quality(docs):
    parse = _parser()
    out = {}
    for name, data in docs:
        if name not in REAL:
            continue
        exp, rows = _expected_rows(name)
        text_runs = _runs_from_rows([ln.split("\t") for ln in ours(data).text.split("\n")])
        grid_runs = _runs_from_rows([r for t in plumber(data) for r in t])
        q = {"t3_rows": len(rows),
             "text_rows_found": sum(1 for r in rows if r in text_runs),
             "plumber_rows_found": sum(1 for r in rows if r in grid_runs)}
        if parse:
            from harvester.extract.pdf import extract_pdf
            for label, ex in (("parse_text", extract_pdf(data)), ("parse_text+plumber_tables",
                                                                   extract_pdf(data, tables=True))):
                got = parse(ex).cells
                vals = {k: getattr(v, "value", v) for k, v in got.items()}
                unc = set(exp.get("uncertain_cells", []))
                want = {k: v for k, v in exp["cells"].items() if k not in unc}
                q[label] = f"{sum(1 for k, v in want.items() if vals.get(k) == v)}/{len(want)}"
        out[name] = q
    return out


# ------------------------------------------------------------------------------------ memory


def child_mem(method: str, folder: str) -> None:
    docs = [(f.name, f.read_bytes()) for f in sorted(Path(folder).glob("*.pdf"))]
    if method in METHODS:  # import the method's libraries before the baseline
        METHODS[method](docs[-1][1])
    base = peak_rss_kb()
    if method != "none":
        for _ in range(2):
            for _, data in docs:
                METHODS[method](data)
    peak = peak_rss_kb()
    print(json.dumps({"base_kb": base, "peak_kb": peak}))


def memory(methods, docs):
    """Max RSS of a fresh process per method (documents read from files, libraries imported first)."""
    import tempfile
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        # the smallest document last: it warms the imports up before the baseline is taken
        for k, (name, data) in enumerate(sorted(docs, key=lambda d: -len(d[1]))):
            Path(tmp, f"{k:02d}-{name}.pdf").write_bytes(data)
        for m in methods:
            p = subprocess.run([sys.executable, __file__, "--child-mem", m, "--docs", tmp], capture_output=True,
                               text=True, cwd=str(REPO))
            if p.returncode != 0:
                res[m] = None
                sys.stderr.write(p.stderr[-2000:])
                continue
            res[m] = json.loads(p.stdout.strip().splitlines()[-1])
    return res


def tracemalloc_peak(fn, docs):
    import tracemalloc
    tracemalloc.start()
    for _, data in docs:
        fn(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


# ------------------------------------------------------------------------------------ main

def pin_one_core():
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[-1]})
        return cpus[-1]
    except (AttributeError, OSError):
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--plumber-repeat", type=int, default=2)
    ap.add_argument("--no-mem", action="store_true")
    ap.add_argument("--child-mem", help=argparse.SUPPRESS)
    ap.add_argument("--docs", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    cpu = pin_one_core()
    if args.child_mem:
        child_mem(args.child_mem, args.docs)
        return
    docs = documents()
    methods = ["bare", "ours"] + (["ours+parse"] if _parser() else []) + ["plumber"]
    npages = {n: pages_of(d) for n, d in docs}
    print(f"# PDF benchmark: {len(docs)} documents, {sum(npages.values())} pages, pinned to cpu {cpu}, "
          f"median of {args.repeat} runs ({args.plumber_repeat} for pdfplumber)")
    print("#   " + ", ".join(f"{n} ({npages[n]} p)" for n, _ in docs))
    med, best = time_methods(docs, methods, args.repeat, args.plumber_repeat)

    print("\nper document, median (best) of the runs")
    print(f"{'document':22s}" + "".join(f"{m:>20s}" for m in methods) + "   ours/bare")
    for name, _ in docs:
        row = "".join(f"{med[m][name] * 1e3:11.1f} ({best[m][name] * 1e3:5.1f}) ms"[-20:] for m in methods)
        print(f"{name:22s}{row}   {med['ours'][name] / med['bare'][name]:.2f} ({best['ours'][name] / best['bare'][name]:.2f})")

    P = sum(npages.values())
    for label, tt in (("median", med), ("best", best)):
        tot = {m: sum(tt[m].values()) for m in methods}
        print(f"\nall documents, {label} times: {'docs/s':>8s}{'pages/s':>10s}{'ratio to bare':>16s}")
        for m in methods:
            print(f"  {m:32s}{len(docs) / tot[m]:8.1f}{P / tot[m]:10.1f}{tot[m] / tot['bare']:16.2f}")
        real = [n for n, _ in docs if n in REAL]
        rt = {m: sum(tt[m][n] for n in real) for m in methods}
        print("  real reports only: " + ", ".join(f"{m}/bare {rt[m] / rt['bare']:.2f}" for m in methods if m != "bare"))

    print("\n# quality on the real reports (expected T3 rows recovered as one 7-number row; parser cells right)")
    for name, q in quality(docs).items():
        print(f"{name:14s} " + ", ".join(f"{k}={v}" for k, v in q.items()))

    print("\n# peak memory")
    tm = {m: tracemalloc_peak(METHODS[m], docs[:3]) for m in methods if m != "plumber"}
    print("tracemalloc peak (Python objects, real reports): " +
          ", ".join(f"{m} {v / 1e6:.1f} MB" for m, v in tm.items()))
    if not args.no_mem:
        mem = memory(methods, docs)
        for m in methods:
            r = mem.get(m)
            if r:
                print(f"max RSS {m:12s} {r['peak_kb'] / 1024:7.1f} MB  (+{(r['peak_kb'] - r['base_kb']) / 1024:.1f} MB "
                      f"while processing all documents twice, over the process after imports)")


if __name__ == "__main__":
    main()
