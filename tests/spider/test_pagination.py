"""The four TRS pagination signatures of portals.md, decoded to page URLs."""
from scrapy.http import HtmlResponse

from spiders.platforms import adapter_for
from spiders.platforms.trs import parse_pagination


def page(url, body):
    return HtmlResponse(url=url, body=body.encode("utf-8"), encoding="utf-8")


def test_signature_1_pages_current_name_ext():
    p = parse_pagination('<script>createPageHTML(9, 0, "index", "html");</script>')
    assert (p.signature, p.pages, p.current) == (1, 9, 0)
    assert p.filenames() == ["index.html"] + [f"index_{i}.html" for i in range(1, 9)]


def test_signature_2_inline_variables():
    p = parse_pagination("var currentPage = 1; var countPage = 3 //共多少页\nvar countnum= 6348;",
                         "http://127.0.0.2/zwgk/nb/index_1.shtml")
    assert (p.signature, p.pages, p.current) == (2, 3, 1)
    assert p.filenames() == ["index.shtml", "index_1.shtml", "index_2.shtml"]


def test_signature_3_div_one_based():
    p = parse_pagination("createPageHTML('page_div',5, 1,'fg','shtml',89);")
    assert (p.signature, p.pages, p.current, p.records) == (3, 5, 0, 89)
    assert p.filenames() == ["fg.shtml", "fg_2.shtml", "fg_3.shtml", "fg_4.shtml", "fg_5.shtml"]


def test_signature_4_records_first():
    p = parse_pagination('createPageHTML(191, 13, 0, "index", "html")')
    assert (p.signature, p.pages, p.records) == (4, 13, 191)
    assert p.filenames()[-1] == "index_12.html" and len(p.filenames()) == 13


def test_no_pagination():
    assert parse_pagination("<html><body>nothing</body></html>") is None


def test_adapter_lists_absolute_pages_relative_to_column():
    r = page("http://127.0.0.2:8080/zwgk/zfxxgk/zfxxgknb/index.html",
             '<ul><li><a href="./202403/t20240315_1.html">x</a></li></ul>'
             '<script>createPageHTML(3, 0, "index", "html");</script>')
    adapter = adapter_for(r)
    assert adapter.name == "trs"
    assert adapter.list_pages(r) == [
        "http://127.0.0.2:8080/zwgk/zfxxgk/zfxxgknb/index.html",
        "http://127.0.0.2:8080/zwgk/zfxxgk/zfxxgknb/index_1.html",
        "http://127.0.0.2:8080/zwgk/zfxxgk/zfxxgknb/index_2.html",
    ]


def test_single_page_column_has_no_other_pages():
    r = page("http://h/nb/index.html", 'createPageHTML(1, 0, "index", "html");')
    assert adapter_for(r, "trs").list_pages(r) == []


def test_shell_page_target():
    r = page("http://h/zwgk/xzjd/index.html",
             '<html><script>location.replace("../xzjd/c100234/index.html")</script></html>')
    assert adapter_for(r, "trs").shell_target(r) == "http://h/zwgk/xzjd/c100234/index.html"
    r2 = page("http://h/a/b.html", '<meta http-equiv="refresh" content="0;url=/nb/index.html">')
    assert adapter_for(r2, "generic").shell_target(r2) == "http://h/nb/index.html"


def test_list_items_prefer_full_title_and_find_dates():
    r = page("http://h/nb/index.html",
             '<ul><li><a href="./202403/t20240315_9.html" title="甲镇2023年政府信息公开工作年度报告">甲镇2023年政府信息...</a>'
             '<span>2024-03-15</span></li>'
             '<li><a href="./P020240315389614168185.pdf">乙局2023年政府信息公开年报</a><b>2024-01-30</b></li></ul>')
    items = adapter_for(r, "trs").list_items(r)
    assert [(i.title, i.date, i.is_document) for i in items] == [
        ("甲镇2023年政府信息公开工作年度报告", "2024-03-15", False),
        ("乙局2023年政府信息公开年报", "2024-01-30", True),
    ]


def test_trs_like_details_with_plain_next_links_follow_the_links():
    """A list whose details look like TRS (t20240116_112010.htm) but whose pages are linked by 下一页 (no
    createPageHTML): the next page is the link's (read as TRS, no page was found past the third)."""
    html = ('<div class="list"><a href="/gk/202401/t20240116_112010.htm" title="2023年度政府信息公开工作年度报告">x</a>'
            '</div><div class="pager">第3/7页 <a href="index_1.htm">上一页</a> <a href="index_3.htm">下一页</a></div>')
    r = page("http://example.gov.cn/gk/nb/index_2.htm", html)
    assert adapter_for(r).name == "trs"
    assert adapter_for(r).list_pages(r) == ["http://example.gov.cn/gk/nb/index_3.htm"]
