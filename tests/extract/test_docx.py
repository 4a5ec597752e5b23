"""extract_docx: body order, merged cells counted once (python-docx repeats them), content controls, problems."""
from __future__ import annotations

import copy
import io

import docx
from docx.oxml.ns import qn

from harvester.extract import extract, sniff
from harvester.extract.docx import extract_docx


def _save(d) -> bytes:
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_body_order_and_merged_cells():
    d = docx.Document()
    d.add_paragraph("测试镇 2023 年政府信息公开工作年度报告")
    d.add_paragraph("一、总体情况")
    t = d.add_table(rows=3, cols=4)
    t.cell(0, 0).merge(t.cell(1, 1)).text = "合并"          # 2×2 merge
    t.cell(0, 2).merge(t.cell(0, 3)).text = "横向"          # gridSpan
    t.cell(1, 2).text, t.cell(1, 3).text = "a", "b"
    for c, v in enumerate(["1", "", "3", "4"]):
        t.cell(2, c).text = v
    d.add_paragraph("二、主动公开政府信息情况")
    ex = extract_docx(_save(d))
    assert ex.problem is None
    assert ex.text.split("\n") == ["测试镇 2023 年政府信息公开工作年度报告", "一、总体情况",
                                   "合并\t横向", "\ta\tb", "1\t\t3\t4", "二、主动公开政府信息情况"]
    assert ex.tables == [[["合并", "合并", "横向", "横向"], ["合并", "合并", "a", "b"], ["1", "", "3", "4"]]]
    ids = ex.table_cell_ids[0]
    assert ids[0][0] == ids[0][1] == ids[1][0] == ids[1][1] and ids[0][2] == ids[0][3]
    assert len({ids[2][0], ids[2][1], ids[2][2], ids[2][3]}) == 4


def test_content_controls_and_line_breaks():
    d = docx.Document()
    p = d.add_paragraph("一、总体情况")
    sdt = d.element.body.makeelement(qn("w:sdt"), {})
    content = sdt.makeelement(qn("w:sdtContent"), {})
    inner = copy.deepcopy(p._p)
    inner.xpath(".//w:t")[0].text = "控件里的段落"
    content.append(inner)
    sdt.append(content)
    p._p.addnext(sdt)
    run = d.add_paragraph("第一行").add_run()
    run.add_break()
    run.add_text("第二行")
    ex = extract_docx(_save(d))
    assert ex.text.split("\n") == ["一、总体情况", "控件里的段落", "第一行", "第二行"]


def test_problems():
    assert extract_docx(b"PK\x03\x04 broken").problem == "corrupt"
    empty = extract_docx(_save(docx.Document()))
    assert empty.problem == "empty"
    data = _save(docx.Document())
    assert sniff(data) == "docx" and extract(data).kind == "docx"


def test_metadata_block_read_from_text():
    d = docx.Document()
    for line in ("索引号：000014348/2023-00200", "发布机构：测试乡人民政府", "发布日期：2024-01-15",
                 "测试乡2023年政府信息公开工作年度报告"):
        d.add_paragraph(line)
    ex = extract_docx(_save(d))
    assert ex.meta.get("publish_date") == "2024-01-15" and ex.meta.get("publisher") == "测试乡人民政府"
