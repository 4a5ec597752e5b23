"""The acceptance test: every hand-checked case parses to exactly its expected cells and checks.

Cases: ``tests/fixtures/corpus/expected/*.json`` (the project's corpus; ``document`` is relative to
the corpus directory) and ``tests/report/cases/*.json`` (this module's own cases; ``document`` is
relative to the case file: a file beside it, or one of the corpus). A cell listed in
``uncertain_cells`` may be empty instead of its value — and where its value is null (a blank that
plausibly means 0, as the corpus marks them), it may instead be a 0 *imputed* by the §7 rule; every
other cell must be equal. ``failed_checks`` must be exactly the checks with status FAIL; agency and
year must match; ``format``, ``status`` and ``metadata.publish_date`` too where the case states them;
``imputed_cells`` must be exactly the cells imputed, and each cell of ``provenance`` must carry
those fields, where the case states them.

Every case also checks that each cell read says where: a grid cell's table/row/column holds its raw
text in the extracted grid, a text cell's line holds it in the extracted text, a PDF's cells have a
page, an imputed cell is a printed blank set to 0.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harvester.extract import extract
from harvester.report import parse_file
from harvester.report.model import READERS
from harvester.report.normalize import nfkc, parse_value

HERE = Path(__file__).parent
CORPUS = HERE.parent / "fixtures" / "corpus"
CASES = sorted((CORPUS / "expected").glob("*.json")) + sorted((HERE / "cases").glob("*.json"))


def _document(case_path: Path, case: dict) -> Path:
    base = CORPUS if case_path.parent == CORPUS / "expected" else case_path.parent
    return base / case["document"]


@pytest.fixture(scope="module", params=CASES, ids=[p.stem for p in CASES])
def case(request):
    path = request.param
    expected = json.loads(path.read_text(encoding="utf-8"))
    doc = _document(path, expected)
    return expected, parse_file(doc), extract(doc.read_bytes())   # the extraction as the parser saw it


def test_cells_exact(case):
    expected, rep, _ = case
    uncertain = set(expected.get("uncertain_cells", []))
    wrong = []
    for cid, want in expected["cells"].items():
        cell = rep.cells.get(cid)
        got = cell.value if cell is not None else "<absent>"
        if got == want and (want is None or type(got) in (int, float)):
            continue
        if cid in uncertain and (got is None or (want is None and got == 0 and cell.imputed)):
            continue
        wrong.append(f"{cid}: expected {want!r}, got {got!r}")
    assert not wrong, f"{len(wrong)} of {len(expected['cells'])} cells wrong:\n" + "\n".join(wrong[:40])


def test_failed_checks_exact(case):
    expected, rep, _ = case
    assert sorted(rep.failed_checks) == sorted(expected["failed_checks"]), \
        [(c.id, c.status, c.detail) for c in rep.checks if c.status == "FAIL"]


def test_identity(case):
    expected, rep, _ = case
    assert rep.agency == expected["agency"]
    assert rep.year == expected["year"]
    if "format" in expected:
        assert rep.report_format == expected["format"]
    if "status" in expected:
        assert rep.status == expected["status"], rep.problems
    date = expected.get("metadata", {}).get("publish_date")
    if date:
        assert rep.publish_date == date


def test_json_shape(case):
    """What ``harvester parse --json`` prints carries the cells, checks and failed checks."""
    expected, rep, _ = case
    j = json.loads(json.dumps(rep.to_json(), ensure_ascii=False))
    assert j["agency"] == expected["agency"] and j["year"] == expected["year"]
    assert set(expected["cells"]) <= set(j["cells"])
    assert j["failed_checks"] == [c["id"] for c in j["checks"] if c["status"] == "FAIL"]
    assert all({"id", "status", "cells"} <= set(c) for c in j["checks"])


def test_imputed_exact(case):
    expected, rep, _ = case
    for cid in rep.imputed_cells:
        cell = rep.cells[cid]
        assert cell.value == 0 and cell.raw == "" and cell.flags == ["blank", "imputed"], (cid, cell)
        assert cell.source.reader == "imputed" and "blank or 0 throughout" in cell.source.text
    if "imputed_cells" in expected:
        assert sorted(rep.imputed_cells) == sorted(expected["imputed_cells"])


def test_provenance_stated(case):
    expected, rep, _ = case
    wrong = []
    for cid, want in expected.get("provenance", {}).items():
        got = rep.cells[cid].provenance()
        if {k: got.get(k) for k in want} != want:
            wrong.append(f"{cid}: expected {want}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_every_cell_read_says_where(case):
    """The location of each cell read holds its text; PDF cells have a page within the document."""
    _, rep, extracted = case
    lines = None
    wrong = []
    for cid, cell in rep.cells.items():
        src = cell.source
        if src is None:
            assert cell.value is None, cid       # a number always says where it came from
            continue
        assert src.reader in READERS, (cid, src)
        if src.reader == "grid" and cell.flags not in (["missing"], ["ambiguous"]):
            grid = extracted.tables[src.table - 1]
            text = grid[src.row - 1][cell.col - 1]
            if (parse_value(text) or parse_value("")).raw != cell.raw:
                wrong.append(f"{cid}: table {src.table} row {src.row} col {cell.col} holds {text!r}, not {cell.raw!r}")
        elif src.reader in ("text_runs", "cell_per_line", "glued") and cell.value is not None:
            if lines is None:
                lines = nfkc(extracted.text).split("\n")
            line = lines[(cell.line or src.line) - 1]
            digits = cell.raw.rstrip("元万")
            if digits not in line.replace(" ", "") and digits not in line:
                wrong.append(f"{cid}: line {cell.line or src.line} {line[:80]!r} does not hold {cell.raw!r}")
            if src.reader == "glued" and digits not in src.text.replace(" ", ""):
                wrong.append(f"{cid}: glued digits {src.text!r} do not hold {cell.raw!r}")
        if extracted.kind == "pdf" and cell.value is not None and not cell.imputed:
            if not (cell.page and 1 <= cell.page <= extracted.meta.get("pages", 0)):
                wrong.append(f"{cid}: page {cell.page} of a {extracted.meta.get('pages')}-page PDF")
    assert not wrong, f"{len(wrong)} cells:\n" + "\n".join(wrong[:30])
