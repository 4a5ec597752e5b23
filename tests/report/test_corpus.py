"""The acceptance test: every hand-checked case parses to exactly its expected cells and checks.

Cases: ``tests/fixtures/corpus/expected/*.json`` (the project's corpus; ``document`` is relative to
the corpus directory) and ``tests/report/cases/*.json`` (this module's own cases; ``document`` is
relative to the case file and points into the corpus). A cell listed in ``uncertain_cells`` may be empty instead of its value; every other cell must
be equal. ``failed_checks`` must be exactly the checks with status FAIL; agency and year must match;
``format``, ``status`` and ``metadata.publish_date`` too where the case states them.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harvester.report import parse_file

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
    return expected, parse_file(_document(path, expected))


def test_cells_exact(case):
    expected, rep = case
    uncertain = set(expected.get("uncertain_cells", []))
    wrong = []
    for cid, want in expected["cells"].items():
        cell = rep.cells.get(cid)
        got = cell.value if cell is not None else "<absent>"
        if got == want and (want is None or type(got) in (int, float)):
            continue
        if cid in uncertain and got is None:
            continue
        wrong.append(f"{cid}: expected {want!r}, got {got!r}")
    assert not wrong, f"{len(wrong)} of {len(expected['cells'])} cells wrong:\n" + "\n".join(wrong[:40])


def test_failed_checks_exact(case):
    expected, rep = case
    assert sorted(rep.failed_checks) == sorted(expected["failed_checks"]), \
        [(c.id, c.status, c.detail) for c in rep.checks if c.status == "FAIL"]


def test_identity(case):
    expected, rep = case
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
    expected, rep = case
    j = json.loads(json.dumps(rep.to_json(), ensure_ascii=False))
    assert j["agency"] == expected["agency"] and j["year"] == expected["year"]
    assert set(expected["cells"]) <= set(j["cells"])
    assert j["failed_checks"] == [c["id"] for c in j["checks"] if c["status"] == "FAIL"]
    assert all({"id", "status", "cells"} <= set(c) for c in j["checks"])
