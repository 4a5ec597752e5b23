"""Realistic reports in both formats built from known cell values, in every shape.

``reportgen`` chooses consistent values and renders HTML (spec §3.3/§4.2 rowspan/colspan), DOCX
(python-docx merged cells), PDF-style TSV, one-cell-per-line and glued text; the parser must return
exactly those values. The project's portal simulator (``harvester.devportal.reports``) renders its
own reports (HTML, PDF via reportlab, DOCX); they must parse to their ground-truth cells too.
"""
from __future__ import annotations

import random

import pytest
from reportgen import make_cells, to_docx, to_glued, to_html, to_lines, to_tsv

from harvester.devportal import render as renderings
from harvester.devportal import reports
from harvester.report import PASS, parse_bytes
from harvester.report.schema import format_cell_ids

YEAR = {"gov2021": 2023, "gov2019": 2020}
SHAPES = {
    "html": lambda f, c, **k: to_html(f, c, **k).encode("utf-8"),
    "html-gbk": lambda f, c, **k: to_html(f, c, charset="gb2312", container='<div id="zoom">', **k).encode("gb18030"),
    "docx": to_docx,
    "tsv": lambda f, c, **k: to_tsv(f, c, **k).encode("utf-8"),
    "lines": lambda f, c, **k: to_lines(f, c, **k).encode("utf-8"),
}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fmt", ["gov2021", "gov2019"])
def test_generated_report_parses_exactly(fmt, shape, seed):
    cells = make_cells(fmt, seed=seed * 7 + 1)
    agency = ["原州区头营镇人民政府", "淮安市人民政府", "平潭综合实验区", "红寺堡区红寺堡镇人民政府"][seed]
    rep = parse_bytes(SHAPES[shape](fmt, cells, agency=agency, year=YEAR[fmt]))
    assert (rep.agency, rep.year, rep.report_format, rep.status) == (agency, YEAR[fmt], fmt, "parsed"), rep.problems
    wrong = {k: (v, rep.cells[k].value) for k, v in cells.items() if rep.cells[k].value != v}
    assert not wrong
    assert set(format_cell_ids(fmt)) <= set(rep.cells)
    assert not rep.failed_checks
    assert all(c.status == PASS for c in rep.checks if c.id.startswith(("t3.", "t4.")))


@pytest.mark.parametrize("fmt", ["gov2021", "gov2019"])
@pytest.mark.parametrize("seed", range(3))
def test_generated_glued_report(fmt, seed):
    """Glued text: tables 三 and 四 decode exactly; table 二 cells are exact or empty and flagged."""
    cells = make_cells(fmt, seed=seed + 100)
    rep = parse_bytes(to_glued(fmt, cells, year=YEAR[fmt]).encode("utf-8"))
    for cid, v in cells.items():
        cell = rep.cells[cid]
        if cid.startswith("active."):
            assert cell.value == v or (cell.value is None and "glued_ambiguous" in cell.flags), cid
        else:
            assert cell.value == v, cid
    assert not rep.failed_checks


@pytest.mark.parametrize("fmt", ["gov2021", "gov2019"])
def test_generated_inconsistent_table_fails_its_check(fmt):
    """A value changed after the fact: the checks point at the broken row and column."""
    cells = make_cells(fmt, seed=42)
    cells["apply.granted.natural_person"] += 1          # breaks H2 on granted, H3 on natural_person
    rep = parse_bytes(to_html(fmt, cells, year=YEAR[fmt]).encode("utf-8"))
    assert rep.cells["apply.granted.natural_person"].value == cells["apply.granted.natural_person"]
    assert set(rep.failed_checks) == {"t3.rowsum.granted", "t3.results.natural_person"}
    fail = next(c for c in rep.checks if c.id == "t3.rowsum.granted")
    assert "apply.granted.total" in fail.cells and "apply.granted.natural_person" in fail.cells


DEVPORTAL = [("淮安市人民政府", "government"), ("淮安市洪泽区教育体育局", "department"),
             ("淮安市洪泽区老子山镇人民政府", "township")]


@pytest.mark.parametrize("year", [2019, 2020, 2022, 2024])
@pytest.mark.parametrize("agency,kind", DEVPORTAL)
@pytest.mark.parametrize("render", ["render_html", "render_pdf", "render_docx"])
def test_devportal_reports_parse_to_their_cells(render, agency, kind, year):
    fmt = "gov2019" if year <= 2020 else "gov2021"
    r = reports.make_report(agency, year, fmt, random.Random(f"parser{agency}{year}"), kind=kind)
    data = getattr(renderings, render)(r)
    rep = parse_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    wrong = {k: (v, rep.cells[k].value if k in rep.cells else "<absent>")
             for k, v in r.cells.items() if k not in rep.cells or rep.cells[k].value != v}
    assert not wrong
    assert (rep.agency, rep.year, rep.report_format, rep.status) == (agency, year, fmt, "parsed"), rep.problems
    assert not rep.failed_checks, [(c.id, c.detail) for c in rep.checks if c.status == "FAIL"]
    for cid, unit in r.units.items():
        assert rep.cells[cid].unit == unit, cid
