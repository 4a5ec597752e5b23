"""extract_html: decoding, content container, text with tables in place, span-expanded grids, attachments."""
from __future__ import annotations

from pathlib import Path

import pytest

from harvester.extract import extract, sniff
from harvester.extract.html import decode_html, extract_html

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "real"

BODY = ("<div class='nav'>首页 | 政务公开 | 登录</div><div class='TRS_Editor'>"
        "<p>　　一、总体情况</p><p>本年度我局认真贯彻落实《条例》。</p>"
        "<table><tr><td colspan='2' rowspan='2'>甲</td><td>乙</td></tr><tr><td>丙<br/>丁</td></tr>"
        "<tr><td>1</td><td>&nbsp;</td><td>3</td></tr></table><p>二、主动公开政府信息情况</p></div>"
        "<div class='footer'>版权所有</div>")


def page(charset_decl: str = "utf-8", body: str = BODY) -> str:
    return f"<html><head><meta http-equiv='Content-Type' content='text/html; charset={charset_decl}'></head><body>{body}</body></html>"


@pytest.mark.parametrize("declared,encoding", [
    ("utf-8", "gb18030"),      # the declared charset lies: bytes are GBK
    ("gb2312", "gb18030"),     # GB2312 declared, GBK characters used: read as GB18030
    ("gbk", "utf-8"),          # declared GBK, bytes are UTF-8
    ("iso-8859-1", "gb18030"), # a single-byte declaration is never trusted for CJK pages
])
def test_decoding_when_the_declared_charset_lies(declared, encoding):
    data = page(declared).encode(encoding)
    ex = extract_html(data)
    assert "一、总体情况" in ex.text and "本年度我局认真贯彻落实《条例》。" in ex.text


def test_decoding_bom_header_big5_and_charset_normalizer_fallback():
    assert decode_html("\ufeff<p>中文</p>".encode("utf-8"))[0] == "<p>中文</p>"
    text, enc = decode_html("<p>政府信息公开</p>".encode("gb18030"), content_type="text/html; charset=GBK")
    assert text == "<p>政府信息公开</p>" and enc == "gb18030"
    big5 = "<html><body><p>政府資訊公開工作年度報告，依申請公開情況。</p></body></html>".encode("big5")
    text, _ = decode_html(big5, content_type="text/html; charset=big5")
    assert "政府資訊公開" in text
    # neither UTF-8 nor GB18030 (a lone 0x80 byte) and nothing declared: charset-normalizer decides
    latin = "<html><body><p>Prix: 12 € — café crème, déjà vu.</p></body></html>".encode("cp1252")
    text, enc = decode_html(latin)
    assert enc not in ("utf-8", "gb18030") and "12 €" in text


def test_container_text_and_tables_in_place():
    ex = extract_html(page().encode())
    assert ex.problem is None
    assert "首页" not in ex.text and "版权所有" not in ex.text          # page chrome outside the container
    lines = ex.text.split("\n")
    assert lines[0] == "一、总体情况"                                      # full-width indentation stripped
    i = lines.index("甲\t乙")
    assert lines[i + 1] == "丙丁" and lines[i + 2] == "1\t\t3"            # table rows in place, own cells tab-separated
    assert lines[i + 3] == "二、主动公开政府信息情况"
    assert ex.tables == [[["甲", "甲", "乙"], ["甲", "甲", "丙丁"], ["1", "", "3"]]]
    ids = ex.table_cell_ids[0]
    assert ids[0][0] == ids[0][1] == ids[1][0] == ids[1][1]               # colspan 2 × rowspan 2: one cell
    assert len({ids[2][0], ids[2][1], ids[2][2]}) == 3


@pytest.mark.parametrize("wrapper", ['<div id="zoom">', '<div id="ivs_content">', '<div class="xxgk_content">',
                                     '<div class="article_content article_content_01">'])
def test_container_selectors(wrapper):
    html = (f"<html><body><div class='menu'>导航 栏目 首页 新闻 公开 其他很多链接文字</div>{wrapper}"
            "<p>正文第一段，内容足够长，用于判断容器中有真实文本。</p></div><div>页脚</div></body></html>")
    ex = extract_html(html.encode())
    assert ex.text == "正文第一段，内容足够长，用于判断容器中有真实文本。"


def test_body_fallback_and_script_style_dropped():
    html = ("<html><head><style>p{color:red}</style></head><body><script>var a='一、总体情况';</script>"
            "<p>一、总体情况</p><p>正文内容，足够长的一段文字，说明工作情况。</p></body></html>")
    ex = extract_html(html.encode())
    assert ex.text == "一、总体情况\n正文内容，足够长的一段文字，说明工作情况。"


def test_rowspan_reaching_past_the_last_own_cell():
    html = ("<html><body><table><tr><td>a</td><td rowspan='3'>b</td></tr><tr><td>c</td></tr>"
            "<tr><td>d</td><td>e</td></tr></table><p>正文内容，足够长的一段文字，说明工作情况。</p></body></html>")
    ex = extract_html(html.encode())
    assert ex.tables[0] == [["a", "b", ""], ["c", "b", ""], ["d", "b", "e"]]   # rectangular: short rows padded
    ids = ex.table_cell_ids[0]
    assert ids[0][1] == ids[1][1] == ids[2][1] and len({ids[0][2], ids[1][2], ids[2][2]}) == 3


def test_layout_tables_are_rendered_as_text_not_grids():
    html = ("<html><body><table><tr><td><p>一、总体情况</p><p>说明工作情况的正文一段，足够长。</p>"
            "<table><tr><td>规章</td><td>0</td></tr></table></td></tr></table></body></html>")
    ex = extract_html(html.encode())
    assert ex.tables == [[["规章", "0"]]]
    assert "一、总体情况" in ex.text and "规章\t0" in ex.text


def test_attachments_absolutised_with_link_text():
    html = ("<html><body><div class='TRS_Editor'><p>附件：</p>"
            "<a href='./P020240131512345678901.pdf'>年度报告（PDF版）</a>"
            "<a href='/module/download/downfile.jsp?classid=0&filename=abc123.pdf'>下载</a>"
            "<a href='../files/report.DOCX'>Word版</a><a href='./P020240131512345678902'>P0 无扩展名</a>"
            "<a href='report.wps' title='WPS版'></a><a href='http://other.gov.cn/x.xlsx'>统计表</a>"
            "<a href='./P020240131512345678901.pdf'>重复链接</a><a href='/index.html'>首页</a>"
            "<a href='javascript:void(0)'>打印</a></div></body></html>")
    ex = extract_html(html.encode(), url="http://www.x.gov.cn/zfxxgk/nb/202401/t20240131_1.html")
    urls = [a["url"] for a in ex.attachments]
    assert urls == ["http://www.x.gov.cn/zfxxgk/nb/202401/P020240131512345678901.pdf",
                    "http://www.x.gov.cn/module/download/downfile.jsp?classid=0&filename=abc123.pdf",
                    "http://www.x.gov.cn/zfxxgk/nb/files/report.DOCX",
                    "http://www.x.gov.cn/zfxxgk/nb/202401/P020240131512345678902",
                    "http://www.x.gov.cn/zfxxgk/nb/202401/report.wps",
                    "http://other.gov.cn/x.xlsx"]
    assert ex.attachments[0]["text"] == "年度报告（PDF版）" and ex.attachments[4]["text"] == "WPS版"
    assert ex.problem == "attachment_only"


def test_image_only_and_empty_pages():
    img = extract_html(b"<html><body><div class='TRS_Editor'><p><img src='a.png'/></p></div></body></html>")
    assert img.problem == "image_only"
    empty = extract_html(b"<html><body><div></div></body></html>")
    assert empty.problem == "empty"
    assert extract_html(b"   ").problem == "empty"


def test_metadata_from_the_page():
    data = (CORPUS / "pingtan" / "2025-平潭综合实验区.html").read_bytes()
    ex = extract(data, url="https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202603/t20260313_105587.htm")
    assert sniff(data) == "html"
    assert ex.meta["publish_date"] == "2026-03-10"
    assert ex.meta["title"] == "平潭综合实验区2025年度政府信息公开工作年度报告"
    assert len(ex.tables) == 3
    t3 = ex.tables[1]
    assert all(len(r) == 10 for r in t3)
    assert [r[0] for r in t3[5:27]] == [t3[5][0]] * 22                     # 三、本年度办理结果 rowspan=22
    assert "首页" not in ex.text.split("\n")[0]


def test_shanghai_grid_blank_cells_and_irregular_colspans():
    ex = extract_html((CORPUS / "shanghai-2019-上海市人民政府办公厅.html").read_bytes())
    t2 = ex.tables[0]
    assert t2[2] == ["规章", "13", "13", "13", "524"]                        # colspan 2 repeated in the grid
    ids = ex.table_cell_ids[0][2]
    assert ids[1] != ids[2] == ids[3] != ids[4]
    t3 = ex.tables[1]
    granted = next(r for r in t3 if "（一）予以公开" in r)
    assert granted[3:] == ["258", "12", "", "", "1", "1", ""]


def test_metadata_block_in_the_chrome_or_inside_the_content():
    chrome = ("<html><head><meta name='PubDate' content='2024-01-20 09:00'></head><body>"
              "<table class='xxgk_table'><tr><td>索引号：</td><td>000014348/2024-00012</td><td>发布机构：</td>"
              "<td>测试县人民政府办公室</td></tr></table><div class='TRS_Editor'><p>一、总体情况</p>"
              "<p>正文内容，足够长的一段文字，说明工作情况。</p></div></body></html>")
    ex = extract_html(chrome.encode())
    assert ex.meta["index_no"] == "000014348/2024-00012" and ex.meta["publisher"] == "测试县人民政府办公室"
    assert ex.meta["publish_date"] == "2024-01-20" and "索引号" not in ex.text
    inside = ("<html><body><div id='zoom'><p>索引号：11340000/2023-00001</p><p>发布机构：某某局</p>"
              "<p>一、总体情况</p><p>正文内容，足够长的一段文字，说明工作情况。</p></div></body></html>")
    ex = extract_html(inside.encode())
    assert ex.meta["index_no"] == "11340000/2023-00001" and ex.meta["publisher"] == "某某局"
    assert ex.text.startswith("索引号：11340000/2023-00001")


def _spans_page(colspan: int, rowspan: int) -> bytes:
    return ("<html><head><meta charset='utf-8'><title>2023年年度报告</title></head><body><div class='content'>"
            "<p>" + "政府信息公开工作年度报告正文。" * 5 + "</p><table>"
            f"<tr><td colspan='{colspan}'>表头</td></tr>"
            f"<tr><td rowspan='{rowspan}'>合并</td><td>1</td></tr><tr><td>2</td></tr>"
            "</table></div></body></html>").encode()


def test_html_spans_over_their_budgets_are_capped_there_and_noted(monkeypatch):
    # within the budgets: spans as written, nothing noted
    ex = extract_html(_spans_page(3, 2))
    assert ex.tables[0][0] == ["表头"] * 3 and [r[0] for r in ex.tables[0][1:]] == ["合并", "合并"] and ex.notes == []
    # over the defaults (colspan 100, rowspan 1000): capped at the budget, as browsers do — not quietly 1
    ex = extract_html(_spans_page(5000, 10 ** 6))
    assert len(ex.tables[0][0]) == 100
    assert any("colspan 5,000 capped at 100 (HARVESTER_MAX_HTML_COLSPAN)" in n for n in ex.notes), ex.notes
    assert any("rowspan 1,000,000 capped at 1,000 (HARVESTER_MAX_HTML_ROWSPAN)" in n for n in ex.notes), ex.notes
    assert all(n.startswith("table 1, row ") for n in ex.notes)
    # named settings, read at call time from the environment
    monkeypatch.setenv("HARVESTER_MAX_HTML_COLSPAN", "4")
    monkeypatch.setenv("HARVESTER_MAX_HTML_ROWSPAN", "1")
    ex = extract_html(_spans_page(6, 2))
    assert len(ex.tables[0][0]) == 4 and len(ex.notes) == 2, ex.notes
    assert ex.tables[0][2][0] == "2"                 # the rowspan capped at 1: the next row's cell is its own
