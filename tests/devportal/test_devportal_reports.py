"""Generated reports: every cell of the format, hard checks H1–H4 by computation, narrative agreeing
with the tables, renderings that carry the same numbers (HTML grid, PDF text, DOCX merged cells)."""
from __future__ import annotations

import io
import random
import re

import docx
import pypdfium2 as pdfium
import pytest
from devportal_helpers import lxml_doc, t3_values_from_rows, t4_values, table_grid

from harvester.devportal.reports import COLS, COLS6, T4_BLOCKS, T4_PARTS, _result_rows, _rows3, hard_check_failures, make_report

from harvester.devportal.render import render_docx, render_html, render_pdf
from harvester.report.schema import format_cell_ids

CASES = [("淮安市人民政府", "government", None), ("淮安市洪泽区人民政府", "government", None),
         ("淮安市洪泽区教育体育局", "department", None), ("淮安市洪泽区老子山镇人民政府", "township", None)]


def _chain(agency, kind, seed, years=range(2019, 2025)):
    prev, out = None, []
    for y in years:
        r = make_report(agency, y, "gov2019" if y <= 2020 else "gov2021", random.Random(f"{seed}{agency}{y}"),
                        kind=kind, prev=prev)
        out.append(r)
        prev = r
    return out


def _h_checks_by_hand(c: dict, fmt: str) -> None:
    """H1–H4 written out independently of the generator's own checker."""
    A = lambda r, col: c[f"apply.{r}.{col}"]  # noqa: E731
    for col in COLS:
        assert A("new", col) + A("carried_over", col) == A("total", col) + A("carry_forward", col)      # H1
    for row in [r["id"] for r in _rows3(fmt)]:
        assert A(row, "total") == sum(A(row, col) for col in COLS6)                                     # H2
    for col in COLS:
        assert A("total", col) == sum(A(r, col) for r in _result_rows(fmt))                             # H3
    for b in T4_BLOCKS:
        assert c[f"appeal.{b}.total"] == sum(c[f"appeal.{b}.{p}"] for p in T4_PARTS)                   # H4
    for k, v in c.items():                                                                              # H5
        if k.startswith(("apply.", "appeal.")):
            assert isinstance(v, int) and v >= 0, k


@pytest.mark.parametrize("agency,kind,level", CASES)
@pytest.mark.parametrize("seed", range(12))
def test_cells_complete_and_hard_checks_hold(agency, kind, level, seed):
    for r in _chain(agency, kind, seed):
        assert list(r.cells) == format_cell_ids(r.fmt)
        assert len(r.cells) == (200 if r.fmt == "gov2021" else 198)
        _h_checks_by_hand(r.cells, r.fmt)
        assert hard_check_failures(r.cells, r.fmt) == []


def test_chained_years_carry_over():
    rs = _chain("淮安市洪泽区人民政府", "government", 7)
    for prev, r in zip(rs, rs[1:]):
        for c in COLS:
            assert r.cells[f"apply.carried_over.{c}"] == prev.cells[f"apply.carry_forward.{c}"]   # S1
    r19, r20 = rs[0], rs[1]
    for row in ("licensing", "penalty", "coercion", "other_mgmt_services"):                      # S3
        assert r20.cells[f"active.{row}.prev_year_items"] == (r19.cells[f"active.{row}.prev_year_items"]
                                                               + r19.cells[f"active.{row}.delta"])


def test_magnitudes_by_kind():
    town = [make_report("某镇人民政府", 2023, "gov2021", random.Random(i), kind="township") for i in range(60)]
    city = [make_report("淮安市人民政府", 2023, "gov2021", random.Random(i)) for i in range(20)]
    county = [make_report("淮安市洪泽区人民政府", 2023, "gov2021", random.Random(i)) for i in range(20)]
    assert sum(r.cells["apply.new.total"] == 0 for r in town) >= 25           # townships: mostly nothing
    assert max(r.cells["apply.new.total"] for r in town) <= 10
    assert all(r.cells["active.fees.amount_wan_yuan"] == 0 for r in town)
    assert all(r.cells["active.rules.valid"] == 0 for r in town + county)     # no rule-making below cities
    assert min(r.cells["apply.new.total"] for r in city) >= 300
    assert min(r.cells["active.licensing.decisions"] for r in city) >= 100000
    assert 20 <= sorted(r.cells["apply.new.total"] for r in county)[10] <= 250


def _numbers_in_text(text: str, pattern: str) -> list[int]:
    return [int(x) for x in re.findall(pattern, text)]


@pytest.mark.parametrize("seed", range(40))
def test_narrative_agrees_with_tables(seed):
    kind = ["government", "department", "township"][seed % 3]
    r = make_report("测试机关", 2022 + seed % 3, "gov2021" if seed % 4 else "gov2019", random.Random(seed), kind=kind)
    text = r.text()
    c = r.cells
    n = c["apply.new.total"]
    if n == 0 and c["apply.carried_over.total"] == 0:
        assert "未收到政府信息公开申请" in text
    else:
        assert set(_numbers_in_text(text, r"收到政府信息公开申请(\d+)件")) == {n}
    rv = c["appeal.review.total"]
    lt = c["appeal.lit_direct.total"] + c["appeal.lit_after_review.total"]
    if rv == lt == 0:
        assert re.search(r"(未发生|无).{0,20}行政复议、行政诉讼", text)
        assert not re.search(r"行政复议\d+件", text)
    else:
        assert set(_numbers_in_text(text, r"行政复议(\d+)件")) == {rv}
        assert set(_numbers_in_text(text, r"行政诉讼(\d+)件")) == {lt}
    for sid in ("s1_overall", "s5_problems", "s6_other"):
        assert r.sections[sid], sid
    if c.get("apply.other.fee_unpaid.total"):
        assert "信息处理费" in "".join(r.sections["s6_other"])   # S6


@pytest.mark.parametrize("fmt", ["gov2021", "gov2019"])
def test_html_tables_carry_the_cells(fmt):
    r = make_report("淮安市洪泽区人民政府", 2020 if fmt == "gov2019" else 2023, fmt, random.Random(3))
    doc = lxml_doc(render_html(r))
    assert doc.findtext(".//title") == r.title
    tables = doc.findall(".//table")
    assert len(tables) == 3
    t3 = table_grid(tables[1])
    assert len(t3) == (28 if fmt == "gov2021" else 26) and all(len(row) == 10 for row in t3)
    assert t3_values_from_rows(t3[3:], fmt) == {k: v for k, v in r.cells.items() if k.startswith("apply.")}
    assert tables[1].xpath('.//td[@rowspan="%d"]' % (22 if fmt == "gov2021" else 20))
    t4 = table_grid(tables[2])
    assert len(t4) == 4 and len(t4[3]) == 15
    assert t4_values(t4[3]) == {k: v for k, v in r.cells.items() if k.startswith("appeal.")}
    headings = [h for h in r.headings.values()]
    body_text = doc.text_content()
    for h in headings:
        assert h in body_text


def test_html_header_cells_have_br_in_some_reports():
    styles = [make_report("某县人民政府", 2023, "gov2021", random.Random(i)).style["br_headers"] for i in range(20)]
    assert any(styles) and not all(styles)
    r = next(make_report("某县人民政府", 2023, "gov2021", random.Random(i)) for i in range(20)
             if make_report("某县人民政府", 2023, "gov2021", random.Random(i)).style["br_headers"])
    html = render_html(r)
    assert "商业<br/>企业" in html and "结果<br/>纠正" in html


def test_pdf_text_has_title_and_numbers():
    r = make_report("淮安市洪泽区卫生健康委员会", 2023, "gov2021", random.Random(11), kind="department")
    data = render_pdf(r)
    assert data.startswith(b"%PDF")
    pdf = pdfium.PdfDocument(data)
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    flat = re.sub(r"\s+", "", text)
    assert r.title in flat
    for heading in r.headings.values():
        assert heading in flat
    assert "三安全一稳定" in flat and "本年新收政府信息公开申请数量" in flat
    assert f"- {len(pdf)} -" in text                          # page numbers like real reports
    assert re.search(r"（二）部分公开（区分处理的[^\n]*\n[^\n]*不计其他情形）", text)   # row labels wrap
    assert re.search(r"逾期不补正[^\n]*\n[^\n]*不再处理", text)


def test_docx_opens_with_merged_cells():
    r = make_report("淮安市洪泽区财政局", 2022, "gov2021", random.Random(5), kind="department")
    d = docx.Document(io.BytesIO(render_docx(r)))
    assert d.paragraphs[0].text == r.title
    assert len(d.tables) == 3
    t3 = d.tables[1]
    assert len(t3.rows) == 28
    assert all(len(row.cells) == 10 for row in t3.rows)     # python-docx repeats merged cells (D-M1)
    rows = [[c.text for c in row.cells] for row in t3.rows]
    assert rows[0][0] == rows[2][2] and rows[0][0].startswith("（本列数据的勾稽关系")
    assert t3_values_from_rows(rows[3:], "gov2021") == {k: v for k, v in r.cells.items() if k.startswith("apply.")}
    t4 = [[c.text for c in row.cells] for row in d.tables[2].rows]
    assert t4_values(t4[3]) == {k: v for k, v in r.cells.items() if k.startswith("appeal.")}


def test_deterministic_for_a_seed():
    a = make_report("淮安市洪泽区人民政府", 2021, "gov2021", random.Random(42))
    b = make_report("淮安市洪泽区人民政府", 2021, "gov2021", random.Random(42))
    c = make_report("淮安市洪泽区人民政府", 2021, "gov2021", random.Random(43))
    assert a.cells == b.cells and a.text() == b.text() and a.cells != c.cells
    assert render_pdf(a) == render_pdf(b)
    assert render_docx(a) == render_docx(b)
    assert render_html(a) == render_html(b)
