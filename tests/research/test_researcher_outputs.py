"""Derived figures computed from the cells, provinces in every spelling, query CSV for Excel."""
from __future__ import annotations

import csv
import io
import math
import subprocess
import sys
from pathlib import Path

import pytest

from harvester.research.derived import DERIVED_IDS
from harvester.report.schema import all_cell_ids

ROOT = Path(__file__).resolve().parents[2]
REASONS = {
    "derived.denied.total": [c for c in all_cell_ids() if c.startswith("apply.denied.") and c.endswith(".total")],
    "derived.unable.total": [c for c in all_cell_ids() if c.startswith("apply.unable.") and c.endswith(".total")],
    "derived.not_processed.total": [c for c in all_cell_ids()
                                    if c.startswith("apply.not_processed.") and c.endswith(".total")],
}


def expected_derived(cells: dict) -> dict:
    """The derived figures from one report's cells, written out here independently of harvester.research.derived."""
    def total(ids):
        vals = [cells.get(i) for i in ids]
        return None if any(v is None for v in vals) else sum(vals)

    def rate(num, den):
        a, b = total(num), total(den)
        return None if a is None or b in (None, 0) else a / b

    out = {k: total(ids) for k, ids in REASONS.items()}
    out["derived.disclosure_rate"] = rate(["apply.granted.total", "apply.partial.total"], ["apply.total.total"])
    out["derived.review_correction_rate"] = rate(["appeal.review.corrected"], ["appeal.review.total"])
    out["derived.litigation_correction_rate"] = rate(
        ["appeal.lit_direct.corrected", "appeal.lit_after_review.corrected"],
        ["appeal.lit_direct.total", "appeal.lit_after_review.total"])
    return out


def same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)) or a == "":
        return b is None
    return b is not None and abs(float(a) - float(b)) < 1e-9


def test_reason_lists_are_the_specification_rows():
    assert len(REASONS["derived.denied.total"]) == 8
    assert len(REASONS["derived.unable.total"]) == 3
    assert len(REASONS["derived.not_processed.total"]) == 5


def test_derived_figures_in_open_db_and_export(sqlite_world, tmp_path):
    from harvester.research.export import export_reports
    from harvester.research import open_db

    with open_db(sqlite_world.url) as db:
        wide = db.reports().set_index("report_id")
    export_reports(sqlite_world.url, tmp_path)
    exported = {}
    for p in tmp_path.glob("reports_*.csv"):
        for r in csv.DictReader(io.StringIO(p.read_text("utf-8-sig"))):
            exported[int(r["report_id"])] = r
    seen = {k: 0 for k in DERIVED_IDS}
    for rep in sqlite_world.reports:
        want = expected_derived(rep["cells"])
        for k in DERIVED_IDS:
            assert same(wide.loc[rep["report_id"], k], want[k]), (rep["agency"], rep["year"], k)
            assert same(exported[rep["report_id"]][k], want[k]), (rep["agency"], rep["year"], k)
            seen[k] += want[k] is not None
    assert all(n >= 3 for n in seen.values()), seen       # the figures are really computed, not all empty
    # a report without tables has none (never a quiet 0)
    unparsed = next(r for r in sqlite_world.reports if r["parsed"] is None)
    assert all(exported[unparsed["report_id"]][k] == "" for k in DERIVED_IDS)


@pytest.mark.parametrize("spelling", ["江苏", "江苏省", "Jiangsu", "jiangsu province", "32"])
def test_provinces_in_every_spelling(sqlite_world, tmp_path, spelling):
    from harvester.research import coverage as cov
    from harvester.research.export import export_reports
    from harvester.research import open_db

    with open_db(sqlite_world.url) as db:
        ids = sorted(db.reports(province=spelling, cells=False)["report_id"])
        assert ids == sorted(r["report_id"] for r in sqlite_world.reports if r["province"] == "江苏省")
        assert {e.province for e in cov.compute(db, province=spelling)} == {"江苏省"}
    paths = export_reports(sqlite_world.url, tmp_path, province=spelling)
    assert sorted(p.name for p in paths if p.name.startswith("reports_")) == ["reports_32.csv"]


def harvester(*args, stdout=subprocess.PIPE):
    return subprocess.run([sys.executable, "-m", "harvester.cli", *map(str, args)], cwd=ROOT,
                          stdout=stdout, stderr=subprocess.PIPE)


SQL = "SELECT a.name, r.year, c.value FROM cells c JOIN reports r ON r.id = c.report_id " \
      "JOIN agencies a ON a.id = r.agency_id WHERE c.cell_id = 'apply.new.total' ORDER BY r.id"


def test_query_csv_for_excel(sqlite_world, tmp_path):
    # -o FILE: UTF-8 with BOM
    out = tmp_path / "new.csv"
    proc = harvester("query", "--db", sqlite_world.url, "-o", out, SQL)
    assert proc.returncode == 0, proc.stderr
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["name", "year", "value"] and len(rows) > 5
    assert all(r[2].isdigit() for r in rows[1:])                      # integers as integers, not 1615.0
    assert any("淮安" in r[0] for r in rows[1:])
    # --csv > file: a BOM too; through a pipe: none (other tools read it)
    redirected = tmp_path / "redirected.csv"
    with redirected.open("wb") as fh:
        assert harvester("query", "--db", sqlite_world.url, "--csv", SQL, stdout=fh).returncode == 0
    assert redirected.read_bytes() == data
    piped = harvester("query", "--db", sqlite_world.url, "--csv", SQL)
    assert piped.stdout == data[3:]
