"""Export memory against database size: the researchers' export streams its report rows, so its peak memory
must not grow with the number of reports.

    .venv/bin/python bench/bench_export.py [--reports 500,2000,8000] [--format csv|parquet]

For each size, a SQLite database of that many synthetic reports (every cell of the 2021 format, four
provinces) is written through the Store, then `export_reports` runs in a process of its own, which reports
its wall time and peak resident memory (VmHWM). Prints one row per size, and exits 1 when the largest
export's peak is more than 10 % above the smallest's.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SITES = [("js", "淮安市人民政府", "江苏省", "淮安市"), ("zj", "湖州市人民政府", "浙江省", "湖州市"),
         ("gd", "佛山市人民政府", "广东省", "佛山市"), ("sc", "成都市人民政府", "四川省", "成都市")]
DEPARTMENTS = ("教育局", "财政局", "民政局", "卫生健康委员会", "自然资源局", "交通运输局", "市场监督管理局", "水利局")

CHILD = """
import json, sys, time
from harvester.procinfo import peak_rss_kb
from harvester.research.export import export_reports
t = time.perf_counter()
paths = export_reports(sys.argv[1], sys.argv[2], fmt=sys.argv[3])
print(json.dumps({"seconds": time.perf_counter() - t, "peak_kb": peak_rss_kb(),
                  "bytes": sum(p.stat().st_size for p in paths)}))
"""


def build(db_url: str, n: int) -> None:
    from harvester.db import Store
    from harvester.report.model import Cell, Check, ParsedReport
    from harvester.report.schema import format_cell_ids

    ids = format_cell_ids("gov2021")
    rng = random.Random(n)
    with Store(db_url) as store:
        store.upsert_sites([{"site_id": s, "name": name, "province": p, "city": c} for s, name, p, c in SITES])
        k = 0
        while k < n:
            site, gov, province, city = SITES[k % len(SITES)]
            agency = f"{city}{DEPARTMENTS[(k // len(SITES)) % len(DEPARTMENTS)]}{k // (len(SITES) * len(DEPARTMENTS))}"
            for year in range(2019, 2025):
                if k >= n:
                    break
                rid, _ = store.upsert_report(site_id=site, agency=agency, year=year,
                                             fields={"title": f"{agency}{year}年政府信息公开工作年度报告",
                                                     "page_url": f"http://{site}.example/{k}.html"})
                cells = {cid: Cell(v, str(v)) for cid in ids for v in [rng.choice((0, 0, 0, 1, 2, 7, 31))]}
                store.save_parse(rid, ParsedReport(year=year, report_format="gov2021", cells=cells,
                                                   checks=[Check("t3.balance.total", "PASS"), Check("domain", "PASS")]))
                k += 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", default="500,2000,8000")
    ap.add_argument("--format", default="csv", choices=("csv", "parquet"))
    args = ap.parse_args()
    sizes = [int(x) for x in args.reports.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        for n in sizes:
            db = f"sqlite:///{tmp}/h{n}.db"
            t = time.perf_counter()
            build(db, n)
            built = time.perf_counter() - t
            proc = subprocess.run([sys.executable, "-c", CHILD, db, f"{tmp}/out{n}", args.format],
                                  capture_output=True, text=True, cwd=ROOT)
            if proc.returncode:
                print(proc.stderr[-3000:])
                return 1
            got = json.loads(proc.stdout.strip().splitlines()[-1])
            db_mib = Path(f"{tmp}/h{n}.db").stat().st_size / 2**20
            rows.append((n, built, got["seconds"], got["peak_kb"] / 1024, got["bytes"] / 2**20, db_mib))
    print(f"{'reports':>8} {'build s':>8} {'export s':>9} {'reports/s':>10} {'peak MiB':>9} {'files MiB':>10} {'DB MiB':>7}")
    for n, built, sec, peak, out, db_mib in rows:
        print(f"{n:>8} {built:>8.1f} {sec:>9.2f} {n / sec:>10.0f} {peak:>9.1f} {out:>10.1f} {db_mib:>7.1f}")
    growth = rows[-1][3] / rows[0][3] - 1
    verdict = "ok" if growth <= 0.10 else "FAIL"
    print(f"peak memory, {rows[-1][0]} against {rows[0][0]} reports: {growth:+.1%} (target ≤ +10 %): {verdict}")
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
