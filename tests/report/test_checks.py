"""Consistency checks H1–H5, S5, S7 and the cross-year S1 (carry_chain_check)."""
from __future__ import annotations

import pytest
from reportgen import COLS, make_cells, to_html, to_tsv

from harvester.extract.text import extract_text
from harvester.report import AMBIGUOUS, FAIL, NOT_ASSESSABLE, PASS, carry_chain_check, parse_bytes, parse_extracted
from harvester.report.model import Cell, ParsedReport


def parse_text(text: str) -> ParsedReport:
    return parse_extracted(extract_text(text.encode("utf-8")))


def status(rep: ParsedReport, cid: str) -> str:
    return next(c.status for c in rep.checks if c.id == cid)


@pytest.fixture(scope="module")
def cells():
    return make_cells("gov2021", seed=21, zero_share=0.3)


def test_all_checks_present_and_pass(cells):
    rep = parse_bytes(to_html("gov2021", cells).encode())
    ids = {c.id for c in rep.checks}
    assert {f"t3.balance.{c}" for c in COLS} <= ids and {f"t3.results.{c}" for c in COLS} <= ids
    assert len([i for i in ids if i.startswith("t3.rowsum.")]) == 25
    assert {"t4.sum.review", "t4.sum.lit_direct", "t4.sum.lit_after_review", "domain", "text.vs.tables"} <= ids
    assert all(c.status == PASS for c in rep.checks), [(c.id, c.status, c.detail) for c in rep.checks if c.status != PASS]
    h1 = next(c for c in rep.checks if c.id == "t3.balance.commercial")
    assert h1.cells == ["apply.new.commercial", "apply.carried_over.commercial", "apply.total.commercial",
                        "apply.carry_forward.commercial"]


def test_H1_balance_fails_on_the_broken_column(cells):
    bad = dict(cells)
    bad["apply.carry_forward.research"] += 2
    bad["apply.carry_forward.total"] += 2
    rep = parse_bytes(to_html("gov2021", bad).encode())
    assert set(rep.failed_checks) == {"t3.balance.research", "t3.balance.total"}


def test_a_failed_check_names_the_cells_and_the_arithmetic(cells):
    bad = dict(cells)
    bad.update({"apply.new.natural_person": 12, "apply.carried_over.natural_person": 3,
                "apply.total.natural_person": 14, "apply.carry_forward.natural_person": 0})
    rep = parse_bytes(to_html("gov2021", bad).encode())
    h1 = next(c for c in rep.checks if c.id == "t3.balance.natural_person")
    assert h1.status == FAIL
    assert h1.detail == ("一 + 二 = 三(七) + 四: 12 + 3 ≠ 14 + 0; apply.new.natural_person=12, "
                         "apply.carried_over.natural_person=3, apply.total.natural_person=14, "
                         "apply.carry_forward.natural_person=0")
    h3 = next(c for c in rep.checks if c.id == "t3.results.natural_person")   # 17 terms: non-zero ones named
    parts = [k for k in h3.cells[1:] if bad[k]]
    assert h3.status == FAIL and f"14 ≠ {' + '.join(str(bad[k]) for k in parts)} + 0×" in h3.detail
    assert all(f"{k}={bad[k]}" in h3.detail for k in parts) and "=0" not in h3.detail


def test_H4_block_sum_fails(cells):
    bad = dict(cells)
    bad["appeal.lit_direct.total"] += 1
    rep = parse_bytes(to_html("gov2021", bad).encode())
    assert rep.failed_checks == ["t4.sum.lit_direct"]


def test_H5_domain_rejects_negative_and_fractional_counts(cells):
    bad = dict(cells)
    bad["apply.granted.research"] = -1
    bad["appeal.review.pending"] = 1.5
    rep = parse_bytes(to_html("gov2021", bad).encode())
    dom = next(c for c in rep.checks if c.id == "domain")
    assert dom.status == FAIL and {"apply.granted.research", "appeal.review.pending"} <= set(dom.cells)


def test_H5_signed_deltas_and_decimal_amounts_are_in_domain():
    c = make_cells("gov2019", seed=1)
    c["active.penalty.delta"] = -30
    c["active.procurement.amount"] = 1234.5678
    rep = parse_bytes(to_html("gov2019", c, year=2020).encode())
    assert status(rep, "domain") == PASS


def test_S7_blank_total_is_not_assessable(cells):
    rid = next(r for r in ("granted", "partial", "unable.not_held", "denied.state_secret")
               if sum(cells[f"apply.{r}.{c}"] for c in COLS[:6]) > 0)
    blank = dict(cells)
    blank[f"apply.{rid}.total"] = None
    rep = parse_bytes(to_html("gov2021", blank).encode())
    assert rep.cells[f"apply.{rid}.total"].value is None and "blank" in rep.cells[f"apply.{rid}.total"].flags
    assert status(rep, f"t3.rowsum.{rid}") == NOT_ASSESSABLE
    assert status(rep, "t3.results.total") == NOT_ASSESSABLE
    assert not rep.failed_checks


def test_S5_text_vs_tables():
    cells = {k: 0 for k in make_cells("gov2021", seed=0)}
    for cid in ("appeal.lit_direct.corrected", "appeal.lit_direct.total"):
        cells[cid] = 2
    base = to_tsv("gov2021", cells)
    rep = parse_text(base.replace("均在法定期限内答复。", "均在法定期限内答复，无因政府信息公开申请引起的行政复议、行政诉讼案件。"))
    assert status(rep, "text.vs.tables") == FAIL and "table 四" in next(
        c.detail for c in rep.checks if c.id == "text.vs.tables")
    rep = parse_text(base.replace("均在法定期限内答复。", "均在法定期限内答复。全年发生行政诉讼2件。"))
    assert status(rep, "text.vs.tables") == PASS
    rep = parse_text(base.replace("均在法定期限内答复。", "均在法定期限内答复。全年发生行政复议1起。"))
    assert status(rep, "text.vs.tables") == FAIL
    c2 = dict(cells)
    for cid in ("apply.new.natural_person", "apply.new.total", "apply.granted.natural_person", "apply.granted.total",
                "apply.total.natural_person", "apply.total.total"):
        c2[cid] = 3
    rep = parse_text(to_tsv("gov2021", c2).replace("共收到政府信息公开申请3件", "未收到政府信息公开申请"))
    assert status(rep, "text.vs.tables") == FAIL
    rep = parse_text(to_tsv("gov2021", c2).replace("共收到政府信息公开申请3件", "共收到政府信息公开申请4件"))
    assert status(rep, "text.vs.tables") == FAIL
    no_claims = to_tsv("gov2021", c2).replace("共收到政府信息公开申请3件，均在法定期限内答复。", "依法办理。")
    assert status(parse_text(no_claims), "text.vs.tables") == NOT_ASSESSABLE


def _report(carried: dict) -> ParsedReport:
    rep = ParsedReport()
    for c in COLS:
        v = carried.get(c, 0)
        rep.cells[f"apply.carried_over.{c}"] = Cell(v, "" if v is None else str(v), None, ["blank"] if v is None else [])
    return rep


def test_S1_carry_chain():
    cur = _report({"natural_person": 4, "commercial": 2, "total": 6})
    prev = {f"apply.carry_forward.{c}": 0 for c in COLS}
    prev.update({"apply.carry_forward.natural_person": 4, "apply.carry_forward.commercial": 2,
                 "apply.carry_forward.total": 6})
    ok = carry_chain_check(cur, prev)
    assert (ok.id, ok.status) == ("t3.carry_chain", PASS)
    assert "apply.carried_over.total" in ok.cells and "previous:apply.carry_forward.total" in ok.cells
    prev["apply.carry_forward.total"] = 7
    bad = carry_chain_check(cur, prev)
    assert bad.status == FAIL and "total: 6 ≠ 7" in bad.detail
    assert carry_chain_check(cur, {}).status == NOT_ASSESSABLE
    half = {"apply.carry_forward.natural_person": 4, "apply.carry_forward.total": None}
    assert carry_chain_check(cur, half).status == PASS


def _chained(prev: dict, seed: int) -> dict:
    """Next year's cells with 上年结转 = last year's 结转下年度 (H1 kept by adjusting 本年新收)."""
    c = make_cells("gov2021", seed=seed)
    for col in COLS[:6]:
        c[f"apply.carried_over.{col}"] = prev[f"apply.carry_forward.{col}"]
        need = c[f"apply.total.{col}"] + c[f"apply.carry_forward.{col}"] - c[f"apply.carried_over.{col}"]
        if need < 0:
            c[f"apply.carry_forward.{col}"] -= need
            need = 0
        c[f"apply.new.{col}"] = need
    for r in ("new", "carried_over", "carry_forward"):
        c[f"apply.{r}.total"] = sum(c[f"apply.{r}.{col}"] for col in COLS[:6])
    return c


def test_S1_on_parsed_consecutive_years():
    y1 = make_cells("gov2021", seed=5)
    y1["apply.carry_forward.natural_person"] += 3
    y1["apply.carry_forward.total"] += 3
    y1["apply.new.natural_person"] += 3
    y1["apply.new.total"] += 3
    y2 = _chained(y1, seed=6)
    rep1 = parse_bytes(to_html("gov2021", y1, year=2022).encode())
    rep2 = parse_bytes(to_html("gov2021", y2, year=2023).encode())
    assert not rep1.failed_checks and not rep2.failed_checks
    assert carry_chain_check(rep2, rep1.values()).status == PASS
    broken = rep1.values()
    broken["apply.carry_forward.natural_person"] += 1
    res = carry_chain_check(rep2, broken)
    assert res.status == FAIL and "natural_person" in res.detail


def test_ambiguous_cells_make_checks_ambiguous_not_failed():
    rep = ParsedReport()
    for c in COLS:
        for r in ("new", "carried_over", "total", "carry_forward"):
            rep.cells[f"apply.{r}.{c}"] = Cell(0, "0")
    rep.cells["apply.new.total"] = Cell(None, "", None, ["ambiguous"])
    from harvester.report.checks import table_checks
    checks = {c.id: c.status for c in table_checks(rep, ["new"], "gov2021", False)}
    assert checks["t3.balance.total"] == AMBIGUOUS and checks["t3.balance.natural_person"] == PASS
