"""One test per extraction-mangling pattern of spec §8 (P-M1…P-M11, H-M1…H-M10, D-M1…D-M3).

Each builds a small report from known cell values (``reportgen``), applies the one mangling and
checks the parser still reads the values it was given (or, where the spec says so, reports the loss
instead of guessing).
"""
from __future__ import annotations

import re

import pytest
from reportgen import COLS, make_cells, to_docx, to_glued, to_html, to_lines, to_tsv

from harvester.extract.base import Extracted
from harvester.extract.docx import extract_docx
from harvester.extract.html import extract_html
from harvester.extract.text import extract_text
from harvester.report import AMBIGUOUS, FAIL, NOT_ASSESSABLE, PASS, parse_bytes, parse_extracted
from harvester.report.schema import table4_cell_ids


def rows_of_t2(cid: str) -> tuple:
    from harvester.report.schema import table2_cells_by_row
    return table2_cells_by_row("gov2021")[cid.split(".")[1]]


def parse_text(text: str):
    return parse_extracted(extract_text(text.encode("utf-8")))


def row(cells: dict, rid: str) -> list:
    return [cells[f"apply.{rid}.{c}"] for c in COLS]


def got(rep, rid: str) -> list:
    return [rep.cells[f"apply.{rid}.{c}"].value for c in COLS]


def tabbed(vals) -> str:
    return "\t".join(str(v) for v in vals)


def replace_line(text: str, needle: str, new: str) -> str:
    lines = text.split("\n")
    i = next(i for i, ln in enumerate(lines) if needle in ln)
    lines[i] = new
    return "\n".join(lines)


def check(rep, rid: str):
    return next(c for c in rep.checks if c.id == rid)


def assert_cells(rep, cells: dict, prefix: str = ""):
    wrong = {k: (v, rep.cells[k].value if k in rep.cells else "<absent>")
             for k, v in cells.items() if k.startswith(prefix) and (k not in rep.cells or rep.cells[k].value != v)}
    assert not wrong, wrong


@pytest.fixture
def c21():
    return make_cells("gov2021", seed=7, zero_share=0.3)


# ---- PDF text ------------------------------------------------------------------------------------

def test_P_M1_wrapped_label_continuation_lines(c21):
    text = to_tsv("gov2021", c21)
    text = replace_line(text, "（二）部分公开", "\t（二）部分公开（区分处理的，只计这一\t" + tabbed(row(c21, "partial"))
                        + "\n\n理结果\t情形，不计其他情形）\t\t\t\t\t\t\t\t")
    text = replace_line(text, "收费通知", "\t\t2.申请人逾期未按收费通知要求缴\t" + tabbed(row(c21, "other.fee_unpaid"))
                        + "\n\n\t纳费用、行政机关不再处理其政府\t\t\t\t\t\t\t\n\t信息公开申请\t\t\t\t\t\t\t")
    rep = parse_text(text)
    assert_cells(rep, c21, "apply.")
    assert rep.status == "parsed"


def test_P_M2_spaces_inside_words(c21):
    text = to_tsv("gov2021", c21, agency="余关镇人民政府", year=2023)
    text = text.replace("余关镇人民政府2023年政府信息公开工作年度报告", "余关镇人民政府 2023 年政府信息公开工作年度报 告")
    text = text.replace("结果维持", "结 果 维 持").replace("尚未审结", "尚 未 审 结")
    text = text.replace("三、本年度办理结果", "三、本 年度办").replace("逾期不补正、行政机关", "逾期不补正、 行政机关")
    rep = parse_text(text)
    assert (rep.agency, rep.year) == ("余关镇人民政府", 2023)
    assert_cells(rep, c21, "apply.")
    assert_cells(rep, c21, "appeal.")


def test_P_M3_variable_column_offsets(c21):
    text = to_tsv("gov2021", c21)
    # leading empties vary per row, the values of （七） start one column later, trailing empties
    text = replace_line(text, "（七）总计", "（七）总计\t" + tabbed(row(c21, "total")) + "\t\t")
    text = replace_line(text, "3.其他", "3.其他\t\t" + tabbed(row(c21, "other.other")) + "\t")
    text = replace_line(text, "2.重复申请", "\t\t\t2.重复申请\t\t" + tabbed(row(c21, "not_processed.repeat")))
    rep = parse_text(text)
    assert_cells(rep, c21, "apply.")


def test_P_M4_enumerator_in_its_own_cell(c21):
    text = to_tsv("gov2021", c21)
    text = replace_line(text, "本年新收", "一、\t本年新收政府信息公开申请数量\t" + tabbed(row(c21, "new")))
    text = replace_line(text, "上年结转", "二、\t上年结转政府信息公开申请数量\t" + tabbed(row(c21, "carried_over")))
    rep = parse_text(text)
    assert got(rep, "new") == row(c21, "new") and got(rep, "carried_over") == row(c21, "carried_over")


def test_P_M5_garbled_header_rows(c21):
    text = to_tsv("gov2021", c21)
    garbled = ("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t申请人情况\n"
               "------------------------------------\t-------\n\n"
               "\t\t法人或其他组织\t\t\t\t\t\t总计\t\t\n\t\t自然人\t法人或其他组织\t\t\t\t\t\t\t\n"
               "\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t\t\t")
    lines = text.split("\n")
    i = next(i for i, ln in enumerate(lines) if "本列数据" in ln)
    lines[i:i + 3] = [garbled]
    rep = parse_text("\n".join(lines))
    assert_cells(rep, c21, "apply.")


def test_P_M6_extra_numeric_cell():
    cells = make_cells("gov2021", seed=3, zero_share=0.2)
    text = to_tsv("gov2021", cells)
    # an all-zero row with 8 zeros: every drop gives the same 7 values
    zero_rows = [r for r in ("other.fee_unpaid", "not_processed.massive", "denied.state_secret")
                 if not any(row(cells, r))]
    # a non-zero row with an extra 0 inserted after its first value: only one reading keeps H2
    vals = row(cells, "granted")
    assert any(vals), "fixture needs a non-zero row"
    text = replace_line(text, "（一）予以公开", "\t（一）予以公开\t" + tabbed(vals[:1] + [0] + vals[1:]))
    for r, needle in (("other.fee_unpaid", "收费通知"), ("not_processed.massive", "大量反复"), ("denied.state_secret", "国家秘密")):
        if r in zero_rows:
            text = replace_line(text, needle, f"\t\t{needle}\t" + tabbed([0] * 8))
    rep = parse_text(text)
    assert got(rep, "granted") == vals
    assert "extra_value_dropped" in rep.cells["apply.granted.total"].flags
    assert_cells(rep, cells, "apply.")
    assert not rep.failed_checks


def test_P_M6_extra_cell_ambiguous_is_flagged_not_guessed():
    cells = {k: 0 for k in make_cells("gov2021", seed=0)}
    text = to_tsv("gov2021", cells)
    eight = "\t".join(["0", "2", "0", "0", "0", "0", "2", "2"])
    text = replace_line(text, "本年新收", "一、本年新收政府信息公开申请数量\t\t" + eight)
    text = replace_line(text, "（一）予以公开", "\t（一）予以公开\t" + eight)
    text = replace_line(text, "（七）总计", "\t（七）总计\t" + eight)
    rep = parse_text(text)
    for r in ("new", "granted", "total"):
        assert got(rep, r) == [None] * 7
        assert "ambiguous" in rep.cells[f"apply.{r}.commercial"].flags
    assert check(rep, "t3.balance.commercial").status == AMBIGUOUS
    assert rep.status == "partial"


def test_P_M7_missing_numeric_cells(c21):
    text = to_tsv("gov2021", c21)
    lines = text.split("\n")
    i = next(i for i, ln in enumerate(lines) if "复议后起诉" in ln) + 2   # the T4 data row
    lines[i] = "\t\t\t\t\t" + "\t".join(["0"] * 11)
    text = "\n".join(lines)
    text = replace_line(text, "2.重复申请", "\t\t2.重复申请\t" + tabbed(row(c21, "not_processed.repeat")[:5]))
    rep = parse_text(text)
    assert all(rep.cells[cid].value is None and "missing" in rep.cells[cid].flags for cid in table4_cell_ids())
    assert got(rep, "not_processed.repeat") == [None] * 7
    assert rep.status == "partial"
    assert any("T4 incomplete" in p for p in rep.problems) and any("not_processed.repeat" in p for p in rep.problems)
    assert check(rep, "t4.sum.review").status == NOT_ASSESSABLE
    assert check(rep, "t3.rowsum.not_processed.repeat").status == NOT_ASSESSABLE
    assert got(rep, "granted") == row(c21, "granted")


def test_P_M8_blank_lines_inside_tables(c21):
    text = to_tsv("gov2021", c21)
    text = text.replace("信息内容\t本年处理决定数量\n", "信息内容\t本年处理决定数量\t\t\n\n\n")
    text = text.replace("\n\t（三）不予公开", "\n\n\n\t（三）不予公开").replace("\n四、结转下年度", "\n\n四、结转下年度")
    rep = parse_text(text)
    assert_cells(rep, c21)


def test_P_M9_punctuation_and_width_variants(c21):
    text = to_tsv("gov2021", c21)
    fw = str.maketrans("0123456789", "０１２３４５６７８９")
    text = replace_line(text, "（一）予以公开", "\t(一) 予以公开\t" + tabbed(row(c21, "granted")).translate(fw))
    text = text.replace("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "(二) 部分公开 (区分处理的, 只计这一情形, 不计其他情形)")
    text = text.replace("1.属于国家秘密", "1. 属于国家秘密").replace("（七）总计", "(七) 总计")
    rep = parse_text(text)
    assert_cells(rep, c21)


def test_P_M10_label_wording_variants(c21):
    text = to_tsv("gov2021", c21)
    text = text.replace("行政规范性文件", "规范性文件")
    text = text.replace("2.其他法律行政法规禁止公开", "2.其他法律行政止公开")       # misprint: placed by position
    text = text.replace("2.其他法律行政止公开", "2. 其他法律行政止公开")
    rep = parse_text(text)
    assert_cells(rep, c21)
    c19 = make_cells("gov2019", seed=7)
    text19 = to_tsv("gov2019", c19, year=2020).replace("2.其他法律行政法规禁止公开", "2. 其他法律法规禁止公开")
    rep19 = parse_text(text19)
    assert_cells(rep19, c19)


def test_P_M11_narrative_broken_across_pages():
    cells = make_cells("gov2021", seed=5)
    n = cells["apply.new.total"]
    text = to_tsv("gov2021", cells)
    split = text.replace(f"共收到政府信息公开申请{n}件", f"共收到政府信息公开申请\n\n{n}件")
    split = split.replace("一是公开内容", "**一是**公开内容")
    rep = parse_text(split)
    assert check(rep, "text.vs.tables").status == PASS
    assert "**" not in rep.sections["s5_problems"]
    assert f"申请{n}件" in rep.sections["s1_overall"]
    wrong = text.replace(f"共收到政府信息公开申请{n}件", f"共收到政府信息公开申请\n\n{n + 5}件")
    assert check(parse_text(wrong), "text.vs.tables").status == FAIL


# ---- HTML text -----------------------------------------------------------------------------------

def test_H_M1_one_cell_per_line(c21):
    rep = parse_text(to_lines("gov2021", c21))
    assert_cells(rep, c21)
    assert rep.status == "parsed" and not rep.failed_checks


def test_H_M2_enumerators_stripped_from_cells(c21):
    text = to_lines("gov2021", c21)
    text = re.sub(r"第二十条第（[一二三四五六七八九]）项", "第二十条第", text)
    for a, b in (("（一）予以公开", "予以公开"), ("（七）总计", "总计"), ("（三）不予公开", "不予公开"),
                 ("（四）无法提供", "无法提供"), ("（五）不予处理", "不予处理"), ("（六）其他处理", "其他处理"),
                 ("本年收费金额（单位：万元）", "本年收费金额单位万元"), ("3.危及“三安全一稳定”", "3.危及三安全一稳定"),
                 ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "部分公开区分处理的只计这一情形不计其他情形")):
        text = text.replace(a, b)
    rep = parse_text(text)
    assert_cells(rep, c21)
    assert rep.cells["active.fees.amount_wan_yuan"].unit == "万元"


def test_H_M3_br_inside_header_cells(c21):
    text = to_lines("gov2021", c21)
    for a, b in (("商业企业", "商业\n\n企业"), ("科研机构", "科研\n\n机构"), ("尚未审结", "尚未\n\n审结"),
                 ("结果纠正", "结果\n\n纠正")):
        text = text.replace(a, b)
    assert_cells(parse_text(text), c21)
    html = to_html("gov2021", c21).replace("<p>商业企业</p>", "<p>商业<br/>企业</p>")
    ex = extract_html(html.encode())
    assert any("商业企业" in row for g in ex.tables for row in g)
    assert_cells(parse_extracted(ex), c21)


def test_H_M4_header_order_differs_from_data_order(c21):
    # row-major header text: 自然人 / 法人或其他组织 / 总计 / 商业企业 …; the data keep 总计 last
    text = to_lines("gov2021", c21)
    assert text.index("总计") < text.index("商业企业")
    rep = parse_text(text)
    assert got(rep, "new") == row(c21, "new")
    assert rep.cells["apply.new.total"].value == c21["apply.new.total"]


def test_H_M5_cms_chrome_before_title(c21):
    chrome = ("登录 | 注册\n  • 索引号\n    000014348/2023-00200\n  • 发布机构\n    大寨乡人民政府\n  • 文号\n"
              "  • 发布日期\n    2023-02-02\n  • 时效性\n    有效\n\n")
    text = chrome + to_lines("gov2021", c21, agency="大寨乡", year=2022)
    rep = parse_text(text)
    assert (rep.agency, rep.year, rep.publish_date) == ("大寨乡人民政府", 2022, "2023-02-02")
    assert rep.meta.get("index_no") == "000014348/2023-00200"
    assert_cells(rep, c21)


def test_H_M6_full_width_space_indentation(c21):
    text = "\n".join("\u3000\u3000" + ln if ln and "\t" not in ln else ln for ln in to_tsv("gov2021", c21).split("\n"))
    rep = parse_text(text)
    assert set(rep.sections) == {"s1_overall", "s2_active", "s3_requests", "s4_review_litigation", "s5_problems", "s6_other"}
    assert_cells(rep, c21)


def test_H_M7_glued_cells_decoded_by_arithmetic(c21):
    rep = parse_text(to_glued("gov2021", c21))
    assert_cells(rep, c21, "apply.")        # every T3 row: unique with H2, or jointly with H1/H3
    assert_cells(rep, c21, "appeal.")       # T4: unique with the three block sums
    assert "glued" in rep.cells["apply.new.total"].flags
    # table 二 has no arithmetic: a row with several readings is left empty and flagged, never guessed
    for cid, v in c21.items():
        if cid.startswith("active."):
            cell = rep.cells[cid]
            assert cell.value in (v, None)
            if cell.value is None:           # the readings are kept in the provenance, the true one among them
                assert "glued_ambiguous" in cell.flags
                src = cell.source
                assert src.reader == "glued" and src.readings > 1 and len(src.candidates) == min(src.readings, 20)
                if src.readings <= 20:
                    i = [d["id"] for d in rows_of_t2(cid)].index(cid)
                    assert any(float(c[i].rstrip("万元")) == float(v) for c in src.candidates), (cid, v, src)


def test_H_M7_glued_joint_decode_breaks_row_ties():
    """'（一）予以公开330000033' reads 33|0|…|33 or 3|30|…|33 (both keep H2); the 商业企业 column decides
    (H3: 总计 2 = 予以公开 + 部分公开 2), as in the real pingtan 2025 text."""
    cells = {k: 0 for k in make_cells("gov2021", seed=0)}
    for rid, vals in (("new", [40, 2]), ("total", [40, 2]), ("granted", [33, 0]), ("partial", [7, 2])):
        cells[f"apply.{rid}.natural_person"], cells[f"apply.{rid}.commercial"] = vals
        cells[f"apply.{rid}.total"] = sum(vals)
    text = to_glued("gov2021", cells)
    assert "予以公开330000033" in text
    rep = parse_text(text)
    assert got(rep, "granted") == [33, 0, 0, 0, 0, 0, 33]
    assert_cells(rep, cells, "apply.")
    src = rep.cells["apply.granted.natural_person"].source      # the decode keeps the readings it chose from
    assert src.reader == "glued" and src.text.endswith("予以公开330000033")
    assert {("33", "0", "0", "0", "0", "0", "33"), ("3", "30", "0", "0", "0", "0", "33")} <= set(src.candidates)
    assert rep.cells["apply.granted.total"].provenance()["col"] == 7


def test_H_M7_glued_rows_both_consistent_stay_empty():
    """If every reading keeps all the hard checks, the row is ambiguous: empty and flagged."""
    cells = {k: 0 for k in make_cells("gov2021", seed=0)}
    for rid in ("new", "granted", "total"):
        cells[f"apply.{rid}.natural_person"] = cells[f"apply.{rid}.total"] = 33
    rep = parse_text(to_glued("gov2021", cells))
    assert got(rep, "granted") == [None] * 7
    assert "ambiguous" in rep.cells["apply.granted.natural_person"].flags
    assert check(rep, "t3.results.natural_person").status == AMBIGUOUS


def test_H_M8_table_split_repeats_group_label(c21):
    text = to_glued("gov2021", c21).replace("（四）无法提供", "三、本年度办理结果（四）无法提供")
    assert_cells(parse_text(text), c21, "apply.")
    lines = to_lines("gov2021", c21).replace("（四）无法提供", "三、本年度办理结果\n\n（四）无法提供")
    assert_cells(parse_text(lines), c21, "apply.")


def test_H_M9_blank_cells_are_null_and_blank_totals_not_assessable():
    cells = make_cells("gov2019", seed=2, zero_share=0.3)
    blanked = dict(cells)
    for cid, v in cells.items():
        if cid.startswith("apply.") and v == 0:
            blanked[cid] = None            # &nbsp; for zeros
    blanked["apply.granted.total"] = None  # 总计 left blank on a non-zero row (SH2019)
    rep = parse_bytes(to_html("gov2019", blanked, year=2019).encode())
    for cid, v in blanked.items():
        assert rep.cells[cid].value == v, cid
        if cid.startswith("apply.") and v is None:
            assert "blank" in rep.cells[cid].flags
    assert check(rep, "t3.rowsum.granted").status == NOT_ASSESSABLE
    assert check(rep, "t3.results.total").status == NOT_ASSESSABLE
    assert check(rep, "t3.balance.natural_person").status == PASS
    assert not rep.failed_checks


def test_H_M10_units_and_signs_in_cells():
    cells = make_cells("gov2019", seed=4)
    cells["active.penalty.delta"] = -18
    cells["active.licensing.delta"] = 1035         # rendered '+1035'
    cells["active.procurement.amount"] = 251000    # rendered '251000元'
    html = to_html("gov2019", cells, year=2019)
    assert "+1035" in html and "251000元" in html
    rep = parse_bytes(html.encode())
    assert rep.cells["active.penalty.delta"].value == -18
    assert rep.cells["active.licensing.delta"].value == 1035
    amount = rep.cells["active.procurement.amount"]
    assert (amount.value, amount.unit, amount.raw) == (251000, "元", "251000元")
    assert check(rep, "domain").status == PASS
    c = make_cells("gov2021", seed=4)
    rep21 = parse_bytes(to_html("gov2021", c).encode())
    fees = rep21.cells["active.fees.amount_wan_yuan"]
    assert (fees.value, fees.unit) == (c["active.fees.amount_wan_yuan"], "万元")


# ---- DOCX ----------------------------------------------------------------------------------------

def test_D_M1_python_docx_repeats_merged_cells(c21):
    data = to_docx("gov2021", c21)
    ex = extract_docx(data)
    t3 = next(i for i, g in enumerate(ex.tables) if any("本年新收" in c for r in g for c in r))
    grid, ids = ex.tables[t3], ex.table_cell_ids[t3]
    assert all(len(r) == 10 for r in grid)
    assert grid[0][:3] == [grid[0][0]] * 3 and ids[0][:3] == [ids[0][0]] * 3       # note: colspan 3 × rowspan 3
    assert ids[1][0] == ids[0][0] and ids[2][0] == ids[0][0]
    col1 = [r[0] for r in grid[5:]]                                               # 三、本年度办理结果, rowspan 22
    assert col1[:22] == ["三、本年度办理结果"] * 22
    rep = parse_extracted(ex)
    assert_cells(rep, c21)
    assert rep.status == "parsed" and not rep.failed_checks
    # the grid is python-docx's: row.cells repeats merged cells; same texts, same _tc partition
    import io

    import docx
    tables = docx.Document(io.BytesIO(data)).tables
    for table, grid, ids in zip(tables, ex.tables, ex.table_cell_ids):
        for row, g, i in zip(table.rows, grid, ids):
            cells = row.cells
            assert [c.text for c in cells] == g
            assert [[a._tc is b._tc for b in cells] for a in cells] == [[x == y for y in i] for x in i]


def test_D_M2_vmerge_continuations_left_empty(c21):
    """Other DOCX readers leave vMerge continuation cells empty; no identity grid is available."""
    ex = extract_docx(to_docx("gov2021", c21))
    grids = []
    for grid, ids in zip(ex.tables, ex.table_cell_ids):
        g = [list(r) for r in grid]
        for r in range(1, len(g)):
            for c in range(len(g[r])):
                if ids[r][c] == ids[r - 1][c]:
                    g[r][c] = ""
        grids.append(g)
    ex2 = Extracted(kind="docx", text=ex.text, tables=grids, meta=ex.meta)   # no table_cell_ids
    assert_cells(parse_extracted(ex2), c21)


def test_D_M3_plain_text_docx_dump(c21):
    """docx2txt-style dump: paragraphs and each table cell on its own line, blank lines between."""
    dump = to_lines("gov2021", c21).replace("\n", "\n\n")
    rep = parse_bytes(dump.encode("utf-8"))
    assert_cells(rep, c21)


def test_H_M7_too_many_readings_are_never_truncated_into_a_guess():
    from harvester.report.rows import Row
    from harvester.report.tables import map_t3, map_t4
    long_digits = "1234567890" * 4
    t4 = map_t4([Row("行政复议行政诉讼总计", [long_digits], glued=True)])
    assert all(c.value is None and "ambiguous" in c.flags for c in t4.cells.values()) and t4.incomplete
    rows = [Row(label, [long_digits], glued=True) for label in ("本年新收", "上年结转", "予以公开", "部分公开")]
    t3 = map_t3(rows, "gov2021")
    assert t3.cells["apply.new.total"].value is None and "ambiguous" in t3.cells["apply.new.total"].flags


def test_grid_locations_after_a_spacer_cell(c21):
    """A spacer cell before a row's values (P-M3 in a grid): each cell's table/row/column holds its text."""
    html = to_html("gov2021", c21)
    label = "<td colspan=\"2\"><p>（一）予以公开</p></td>"
    assert label in html
    ex = extract_html(html.replace(label, label + "<td><p>&nbsp;</p></td>", 1).encode())
    rep = parse_extracted(ex)
    assert got(rep, "granted") == row(c21, "granted")
    for cid in [f"apply.granted.{c}" for c in COLS]:
        cell, src = rep.cells[cid], rep.cells[cid].source
        assert ex.tables[src.table - 1][src.row - 1][cell.col - 1].strip() == cell.raw, cid
    assert [rep.cells[f"apply.granted.{c}"].col for c in COLS] == list(range(5, 12))   # after the spacer


def test_table_four_values_on_two_grid_rows_keep_each_row():
    from harvester.report.rows import Row
    from harvester.report.tables import map_t4
    vals = [str(v) for v in (1, 0, 0, 1, 2, 0, 0, 0, 0, 0, 3, 0, 0, 0, 3)]
    t4 = map_t4([Row("", vals[:10], source="grid", table=3, row=4, pos=list(range(1, 11))),
                 Row("", vals[10:], source="grid", table=3, row=5, pos=list(range(2, 7)))])
    ids = table4_cell_ids()
    assert [t4.cells[i].value for i in ids] == [int(v) for v in vals]
    assert [(t4.cells[i].source.row, t4.cells[i].col) for i in ids] == (
        [(4, c) for c in range(1, 11)] + [(5, c) for c in range(2, 7)])
