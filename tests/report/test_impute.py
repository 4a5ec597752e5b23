"""§7 imputation on generated reports: blank all-zero rows, columns and 四 blocks become 0 (imputed) in
every input shape that keeps blank cells; blanks that may hide a number stay null and fail a check."""
from __future__ import annotations

import pytest
from reportgen import COLS, make_cells, t3_row_defs, to_docx, to_html, to_tsv

from harvester.report import FAIL, PASS, parse_bytes
from harvester.report.schema import table4_cell_ids

SHAPES = {"html": lambda fmt, c, y: to_html(fmt, c, year=y).encode(),
          "docx": lambda fmt, c, y: to_docx(fmt, c, year=y)}


def _rows(fmt: str) -> list[str]:
    return [r["id"] for r in t3_row_defs(fmt)]


def _blank(cells: dict, ids) -> dict:
    return {k: (None if k in set(ids) else v) for k, v in cells.items()}


def _zero_rows(fmt: str, cells: dict) -> list[str]:
    return [r for r in _rows(fmt) if all(cells[f"apply.{r}.{c}"] == 0 for c in COLS)]


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("fmt,year,seed", [("gov2021", 2023, 4), ("gov2019", 2020, 5)])
def test_blank_zero_rows_become_imputed_zeros(shape, fmt, year, seed):
    cells = make_cells(fmt, seed=seed, zero_share=0.8)
    rows = _zero_rows(fmt, cells)
    assert len(rows) >= 3
    cells.update({k: 0 for k in table4_cell_ids()[10:]})          # 复议后起诉: none
    blocks = [ids for ids in (table4_cell_ids()[b:b + 5] for b in (0, 5, 10)) if not any(cells[i] for i in ids)]
    blanks = [f"apply.{r}.{c}" for r in rows for c in COLS] + [i for ids in blocks for i in ids]
    rep = parse_bytes(SHAPES[shape](fmt, _blank(cells, blanks), year))
    assert rep.status == "parsed" and not rep.failed_checks
    assert sorted(rep.imputed_cells) == sorted(blanks)
    for cid in blanks:
        cell = rep.cells[cid]
        assert (cell.value, cell.imputed, cell.flags, cell.raw) == (0, True, ["blank", "imputed"], "")
        assert cell.source.reader == "imputed" and cell.source.table is not None and cell.col is not None
    assert all(rep.cells[k].value == v for k, v in cells.items() if k in rep.cells)
    assert all(c.status == PASS for c in rep.checks if c.id.startswith(("t3.", "t4.")))


def test_a_column_blank_throughout_is_imputed():
    cells = make_cells("gov2021", seed=6)
    for r in _rows("gov2021"):          # no research institution applied: the column is printed blank
        cells[f"apply.{r}.total"] -= cells[f"apply.{r}.research"]
        cells[f"apply.{r}.research"] = 0
    blanks = [f"apply.{r}.research" for r in _rows("gov2021")]
    rep = parse_bytes(to_html("gov2021", _blank(cells, blanks)).encode())
    assert sorted(rep.imputed_cells) == sorted(blanks) and not rep.failed_checks
    assert "column research" in rep.cells[blanks[0]].source.text


def test_a_blank_in_a_row_and_column_with_numbers_stays_null():
    cells = make_cells("gov2021", seed=7, zero_share=0.3)
    r, c = next((r, c) for r in _rows("gov2021") for c in COLS[:6]
                if cells[f"apply.{r}.{c}"] == 0 and cells[f"apply.{r}.total"] > 0)
    rep = parse_bytes(to_html("gov2021", _blank(cells, [f"apply.{r}.{c}"])).encode())
    cell = rep.cells[f"apply.{r}.{c}"]
    assert cell.value is None and not cell.imputed and cell.flags == ["blank"]
    assert not rep.failed_checks               # the blank counts as 0 in the checks, and they hold


def test_a_blank_row_whose_totals_are_not_zero_stays_null_and_fails():
    cells = make_cells("gov2021", seed=8, zero_share=0.3)
    row = next(r for r in ("granted", "partial", "unable.not_held") if cells[f"apply.{r}.total"] > 0)
    ids = [f"apply.{row}.{c}" for c in COLS]
    rep = parse_bytes(to_html("gov2021", _blank(cells, ids)).encode())
    assert all(rep.cells[i].value is None and not rep.cells[i].imputed for i in ids)
    nonzero = [c for c in COLS if cells[f"apply.{row}.{c}"]]
    assert set(rep.failed_checks) == {f"t3.results.{c}" for c in nonzero}
    fail = next(c for c in rep.checks if c.id == "t3.results.total")
    assert fail.status == FAIL and f"apply.{row}.total" in fail.detail and "≠" in fail.detail
    # the row's own sum H2 is 0 = 0 with its blanks as 0: not a failure
    assert next(c for c in rep.checks if c.id == f"t3.rowsum.{row}").status == PASS


def test_a_block_printing_only_its_total_is_not_imputed_and_fails():
    cells = make_cells("gov2021", seed=9)
    cells.update({"appeal.review.maintained": 2, "appeal.review.corrected": 0, "appeal.review.other": 0,
                  "appeal.review.pending": 0, "appeal.review.total": 2})
    parts = ["appeal.review.maintained", "appeal.review.corrected", "appeal.review.other", "appeal.review.pending"]
    rep = parse_bytes(to_html("gov2021", _blank(cells, parts)).encode())
    assert not any(rep.cells[p].imputed for p in parts) and "t4.sum.review" in rep.failed_checks
    detail = next(c.detail for c in rep.checks if c.id == "t4.sum.review")
    assert "2 ≠ blank + blank + blank + blank" in detail and "appeal.review.total=2" in detail


def test_markers_and_table_two_are_never_imputed():
    cells = make_cells("gov2021", seed=10, zero_share=0.9)
    rows = _zero_rows("gov2021", cells)
    marked = {f"apply.{rows[0]}.{c}": "-" for c in COLS}
    t2 = "active.fees.amount_wan_yuan"
    rep = parse_bytes(to_html("gov2021", {**_blank(cells, [t2]), **marked}).encode())
    assert all(rep.cells[k].value is None and rep.cells[k].flags == ["marker"] for k in marked)
    assert rep.cells[t2].value is None and rep.cells[t2].flags == ["blank"] and not rep.cells[t2].imputed


def test_text_lines_keep_their_blank_cells_and_impute_them():
    """PDF-text shape: a zero row printed '0 <blank> … 0' (tab-separated) is read with its blanks."""
    cells = make_cells("gov2021", seed=11, zero_share=0.9)
    row = _zero_rows("gov2021", cells)[0]
    inner = [f"apply.{row}.{c}" for c in COLS[1:6]]
    rep = parse_bytes(to_tsv("gov2021", _blank(cells, inner)).encode())
    assert sorted(rep.imputed_cells) == sorted(inner) and not rep.failed_checks
    cell = rep.cells[inner[0]]
    assert cell.source.reader == "imputed" and cell.line is not None and "(text_runs)" in cell.source.text


def test_a_cell_lost_in_reading_confirms_no_zero_beside_it():
    """A blank next to a hard check that cannot be assessed because the reading lost a cell (a total missing)
    stays null; the other blanks of its row, and the blank blocks of table 四, are imputed."""
    from harvester.report.checks import specs, sum_check, sum_targets
    from harvester.report.impute import impute

    cells = make_cells("gov2021", seed=4, zero_share=0.8)
    rows = _zero_rows("gov2021", cells)
    cells.update({k: 0 for k in table4_cell_ids()[10:]})          # 复议后起诉: none
    t3_blanks = [f"apply.{r}.{c}" for r in rows for c in COLS]
    t4_blanks = table4_cell_ids()[10:]
    rep = parse_bytes(to_html("gov2021", _blank(cells, t3_blanks + t4_blanks)).encode())
    assert sorted(rep.imputed_cells) == sorted(t3_blanks + t4_blanks)
    for cid in t3_blanks + t4_blanks:   # back to what the grid read: printed blank
        cell = rep.cells[cid]
        cell.value, cell.imputed, cell.flags = None, False, ["blank"]
    lost = rep.cells["apply.total.natural_person"]
    lost.value, lost.flags = None, ["missing"]
    layout = (tuple(_rows("gov2021")), "gov2021", True)
    targets = sum_targets(*layout)
    beside = {c for spec in specs(*layout) if "apply.total.natural_person" in (*spec[1], *spec[2])
              and sum_check(spec, rep.cells, targets).status != PASS for c in (*spec[1], *spec[2])}
    kept = sorted(set(t3_blanks) & beside)
    assert kept                         # blank cells of the natural_person column sit beside the lost total
    again = impute(rep, *layout)
    assert sorted(again) == sorted(set(t3_blanks + t4_blanks) - set(kept))
    assert all(rep.cells[c].value is None and not rep.cells[c].imputed for c in kept)
    for spec in specs(*layout):         # no check on an imputed cell fails
        if set(again) & {*spec[1], *spec[2]}:
            assert sum_check(spec, rep.cells, targets).status != FAIL


def test_blank_totals_of_the_document_do_not_stop_imputation():
    """SH2019 prints no 总计: checks on the totals cannot be assessed (S7), but no cell was lost in reading —
    its blank all-zero rows are imputed (91 cells), and no check fails."""
    from pathlib import Path
    doc = next((Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "real").glob("shanghai-2019*"))
    rep = parse_bytes(doc.read_bytes())
    assert any(c.status == "NOT_ASSESSABLE" for c in rep.checks)
    assert len(rep.imputed_cells) == 91 and not rep.failed_checks
