"""Public API and parse_status: every kind of input gets a status and a reason, never an exception."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from reportgen import make_cells, to_docx, to_html, to_tsv

from harvester.extract.base import Extracted
from harvester.report import ParsedReport, parse_bytes, parse_extracted, parse_file
from harvester.report.schema import format_cell_ids


def test_parse_file_and_to_json(tmp_path):
    cells = make_cells("gov2021", seed=2)
    p = tmp_path / "r.docx"
    p.write_bytes(to_docx("gov2021", cells, agency="洪泽区人民政府", year=2024))
    rep = parse_file(str(p))
    assert isinstance(rep, ParsedReport) and rep.status == "parsed"
    j = rep.to_json()
    json.dumps(j, ensure_ascii=False)
    assert {"agency", "year", "report_format", "cells", "checks", "failed_checks", "status", "problems"} <= set(j)
    assert j["cells"] == {k: cells[k] for k in format_cell_ids("gov2021")} | {
        k: v for k, v in j["cells"].items() if k not in cells}
    assert j["units"]["active.fees.amount_wan_yuan"] == "万元"


@pytest.mark.parametrize("data,status", [
    (b"", "empty"),
    (b"%PDF-1.7\n%garbage that is not a pdf", "corrupt"),
    (b"PK\x03\x04word/document.xml not really a zip", "corrupt"),
    (b"\x00\x01\x02\x03" * 400, "unsupported_type"),
])
def test_bad_input_gets_a_status(data, status):
    rep = parse_bytes(data)
    assert rep.status == status
    assert rep.problems and status in rep.problems[0]
    assert rep.cells == {}


@pytest.mark.parametrize("problem", ["image_only", "encrypted", "corrupt", "no_unicode_map", "too_large"])
def test_every_extraction_problem_is_the_status(problem):
    rep = parse_extracted(Extracted(kind="pdf", problem=problem, detail="why"))
    assert rep.status == problem and rep.problems == [f"{problem}: why"] and rep.cells == {} and rep.checks == []


def test_extraction_problem_passes_through():
    rep = parse_extracted(Extracted(kind="pdf", problem="encrypted", detail="password required",
                                    meta={"title": "某县2023年政府信息公开工作年度报告"}))
    assert rep.status == "encrypted" and rep.problems == ["encrypted: password required"]
    assert (rep.agency, rep.year) == ("某县", 2023)


def test_not_a_report():
    rep = parse_bytes("今天天气很好，我们去公园散步。\n明天还要上班。".encode())
    assert rep.status == "not_a_report" and rep.problems


def test_report_without_tables_is_no_tables():
    text = to_tsv("gov2021", make_cells("gov2021", seed=1))
    cut = "\n".join(ln for ln in text.split("\n") if "\t" not in ln and not ln.strip().isdigit())
    rep = parse_bytes(cut.encode())
    assert rep.status == "no_tables" and rep.report_format == "gov2021"
    assert all(c.value is None for c in rep.cells.values())
    assert "no statistical table" in rep.problems[-1]


def test_table_lost_is_partial_with_reason():
    text = to_tsv("gov2021", make_cells("gov2021", seed=1))
    start = text.index("四、政府信息公开行政复议")
    end = text.index("五、存在的主要问题")
    rep = parse_bytes((text[:start] + "四、政府信息公开行政复议、行政诉讼情况\n（表格为图片）\n" + text[end:]).encode())
    assert rep.status == "partial" and any("四" in p for p in rep.problems)
    assert rep.cells["appeal.review.total"].value is None and "missing" in rep.cells["appeal.review.total"].flags


def test_pre2019_text_only_and_year_from_statistics_period():
    text = ("某某局信息公开年度报告\n本报告中所列数据的统计期限自2016年1月1日起至2016年12月31日止。\n"
            "一、概述\n我局认真贯彻条例。\n二、主动公开政府信息情况\n全年主动公开信息45条。\n"
            "三、依申请公开情况\n未收到申请。\n四、因政府信息公开申请行政复议、提起行政诉讼的情况\n无。\n"
            "五、存在的主要问题和改进措施\n公开形式单一。\n")
    rep = parse_bytes(text.encode())
    assert rep.year == 2016 and rep.report_format == "pre2019" and rep.status == "text_only"
    assert set(rep.cells) == set(format_cell_ids("pre2019")) and all(c.value is None for c in rep.cells.values())
    assert {"s1_overall", "s2_active", "s3_requests", "s4_review_litigation", "s5_problems"} <= set(rep.sections)


def test_year_from_statistics_period_when_the_title_has_none():
    cells = make_cells("gov2021", seed=8)
    text = to_tsv("gov2021", cells, agency="头营镇", year=2023).replace(
        "头营镇2023年政府信息公开工作年度报告", "头营镇政府信息公开工作年度报告").replace(
        "本报告所列数据的统计期限自2023年1月1日至2023年12月31日。", "本报告统计数据从2023年1月1日至12月31日。")
    rep = parse_bytes(text.encode())
    assert rep.year == 2023 and rep.report_format == "gov2021" and rep.status == "parsed"


def test_title_spacing_normalised():
    text = to_tsv("gov2021", make_cells("gov2021", seed=8), agency="余关镇人民政府", year=2023).replace(
        "余关镇人民政府2023年政府信息公开工作年度报告", "余关镇人民政府 2023 年政府信息公开工作年度报 告")
    rep = parse_bytes(text.encode())
    assert rep.title == "余关镇人民政府2023年政府信息公开工作年度报告" and rep.agency == "余关镇人民政府"


def test_pre2019_statistics_table_in_html():
    rows = [("主动公开信息数", "条", "120", "860"), ("其中：1.网站公开", "条", "100", "700"), ("2.政府公报公开", "条", "20", "160"),
            ("受理依申请公开信息总数", "件", "6", "31"), ("对申请的答复数", "件", "6", "31"), ("1.同意公开", "件", "4", "20"),
            ("2.同意部分公开", "件", "1", "6"), ("3.否决公开", "件", "1", "5"), ("行政复议数", "件", "1", "2"),
            ("行政诉讼数", "件", "0", "1"), ("行政申诉数", "件", "0", "0")]
    trs = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    html = ("<html><head><meta charset='utf-8'><title>某县2011年政府信息公开工作年度报告</title></head><body>"
            "<p>某县2011年政府信息公开工作年度报告</p><p>一、概述</p><p>……</p><p>二、主动公开政府信息情况</p><p>……</p>"
            "<p>七、政府信息公开情况统计表</p><table><tr><td>指标名称</td><td>计量单位</td><td>2011年度</td><td>历年累计</td></tr>"
            + trs + "</table></body></html>")
    rep = parse_bytes(html.encode())
    assert (rep.report_format, rep.status, rep.year) == ("pre2019", "parsed", 2011)
    v = rep.values()
    assert (v["pre2019.active.total"], v["pre2019.active.website"], v["pre2019.active.gazette"]) == (120, 100, 20)
    assert (v["pre2019.requests.total"], v["pre2019.replies.total"], v["pre2019.replies.granted"],
            v["pre2019.replies.partial"], v["pre2019.replies.denied"]) == (6, 6, 4, 1, 1)
    assert (v["pre2019.review.total"], v["pre2019.litigation.total"], v["pre2019.appeals.total"]) == (1, 0, 0)


def test_title_and_meta_arguments_win():
    cells = make_cells("gov2021", seed=3)
    html = to_html("gov2021", cells, agency="测试县人民政府", year=2023)
    rep = parse_bytes(html.encode(), title="测试县教育局2023年政府信息公开工作年度报告",
                      meta={"publish_date": "2024-01-31"}, url="http://example.gov.cn/a/t1.html")
    assert (rep.agency, rep.year, rep.publish_date) == ("测试县教育局", 2023, "2024-01-31")
    assert rep.meta["url"] == "http://example.gov.cn/a/t1.html"


def test_html_attachment_only_page():
    html = ("<html><head><meta charset='utf-8'></head><body><div class='TRS_Editor'>"
            "<p>附件：<a href='./P020240131512345678901.pdf'>某镇2023年政府信息公开工作年度报告.pdf</a></p></div></body></html>")
    rep = parse_bytes(html.encode(), url="http://www.x.gov.cn/zfxxgk/202401/t20240131_1.html")
    assert rep.status == "attachment_only"


def test_never_raises_on_odd_extracted():
    odd = Extracted(kind="html", text="三、收到和处理政府信息公开申请情况\n本年新收\t1\n\t\t\n",
                    tables=[[["本年新收", "1"], ["上年结转"], []], [], [[""]]], table_cell_ids=[[[0, 1], [2]], [], [[0]]])
    rep = parse_extracted(odd)
    assert isinstance(rep, ParsedReport) and rep.status


def test_docx_and_html_from_zip_bytes_sniffed():
    data = to_docx("gov2019", make_cells("gov2019", seed=9), year=2020)
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert parse_bytes(data).report_format == "gov2019"
