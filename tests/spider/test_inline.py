"""Lists without links (spiders/platforms/inline.py): report items in inline data wherever it sits, list
fragments loaded from URLs written only in scripts, and the pager of those fragments."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from scrapy.http import HtmlResponse, Request, TextResponse

from spiders.platforms import ADAPTERS, inline
from spiders.platforms.base import page_links

URL = "http://h/xxgk/nb/index.htm"


def html(body: str, url: str = URL, encoding: str = "utf-8", meta: dict | None = None) -> HtmlResponse:
    return HtmlResponse(url=url, body=body.encode(encoding), encoding=encoding, request=Request(url, meta=meta or {}))


def text(url: str, body: str, meta: dict | None = None) -> TextResponse:
    return TextResponse(url=url, body=body.encode("utf-8"), encoding="utf-8", request=Request(url, meta=meta or {}))


# the legacy case: a GBK page whose list an inline script builds from an array
LEGACY = """<html><head><title>政府信息公开年报</title></head><body><ul id="list"></ul>
<script language="javascript">
var arr = new Array();
arr[0] = ["某县2019年政府信息公开工作年度报告", "/info/1001.htm", "2019-03-28"];
arr[1] = ['某县教育局2018年度政府信息公开年报', 'info/1002.htm', '2019-01-20'];
arr[2] = ["某县召开2019年度政务公开工作会议", "/info/1003.htm", "2019-04-01"];
var html = ""; for (var i = 0; i < arr.length; i++) { html += "<li><a href='" + arr[i][1] + "'>" + arr[i][0] + "</a><span>" + arr[i][2] + "</span></li>"; }
document.getElementById("list").innerHTML = html;
</script></body></html>"""


def test_the_legacy_gbk_array_list():
    items = inline.data_items(html(LEGACY, encoding="gbk"))
    assert [(i.url, i.title, i.date) for i in items] == [
        ("http://h/info/1001.htm", "某县2019年政府信息公开工作年度报告", "2019-03-28"),
        ("http://h/xxgk/nb/info/1002.htm", "某县教育局2018年度政府信息公开年报", "2019-01-20"),
        ("http://h/info/1003.htm", "某县召开2019年度政务公开工作会议", "2019-04-01")]


def test_records_anywhere_in_any_spelling():
    page = """<script>var listData = {total: 2, rows: [{bt: '甲镇2022年政府信息公开工作年度报告', link: './a/1.html', fbrq: '2023-01-09',},
  {bt: '乙镇2022年政府信息公开工作年度报告', link: '/b/2.html', fbrq: '2023-01-10', attachment: [{name: '乙镇.pdf', url: '/f/2.pdf'}]}]};
var d = JSON.parse('{"data": {"list": [{"title": "丙局2021年政府信息公开年报", "url": "/c/3.html"}]}}');
</script>
<script type="application/json" id="x">{"items": [{"name": "丁县2020年政府信息公开工作年度报告", "href": "/d/4.pdf"}]}</script>
<div data-list='[["戊乡2023年政府信息公开年度报告", "/e/5.html"]]'></div>
<script>var nested = {"json": "{\\"rows\\": [{\\"title\\": \\"己街道2023年政府信息公开工作年度报告\\", \\"url\\": \\"/f/6.html\\"}]}"};
var frag = {html: '<li><a href="/g/7.html" title="庚镇2024年政府信息公开工作年度报告">庚镇2024年…</a><b>2025-01-02</b></li>'};</script>"""
    got = {i.url.rsplit("/", 1)[1]: (i.title[:2], i.date, i.is_document) for i in inline.data_items(html(page))}
    assert got == {"1.html": ("甲镇", "2023-01-09", False), "2.html": ("乙镇", "2023-01-10", False),
                   "3.html": ("丙局", None, False), "4.pdf": ("丁县", None, True), "5.html": ("戊乡", None, False),
                   "6.html": ("己街", None, False), "7.html": ("庚镇", "2025-01-02", False)}   # no attachment as an item


def test_links_that_are_not_anchors():
    page = """<ul><li onclick="window.location.href='/nb/1.html'"><span>甲县2023年政府信息公开工作年度报告</span><span>2024-01-05</span></li>
<li data-url="/nb/2.html">乙县2023年政府信息公开年报 <em>2024-01-06</em></li>
<tr onclick="location.href = &quot;/nb/3.html&quot;"><td>丙</td></tr></ul>
<a href="javascript:void(0)" onclick="window.open('/nb/4.html')">丁县2022年政府信息公开工作年度报告</a>"""
    from spiders.platforms.base import item_date
    got = [(u.rsplit("/", 1)[1], t, item_date(el)) for u, t, el in page_links(html(page), URL)]
    assert got == [("1.html", "甲县2023年政府信息公开工作年度报告", "2024-01-05"),
                   ("2.html", "乙县2023年政府信息公开年报", "2024-01-06"),
                   ("3.html", "丙", None),                                   # an entity-quoted onclick
                   ("4.html", "丁县2022年政府信息公开工作年度报告", None)]


def test_fragments_written_in_scripts_with_their_parameters():
    page = """<script>
var listParams = {channelId: 1207, page: 1, size: 6};
$.ajax({url: '/api/list.do', type: 'POST', data: listParams, success: function (r) { show(r); }});
$.getJSON("/api/years.json", {col: 'nb', pageNo: curPage});
fetch('/api/v2/items?col=9&pageIndex=1').then(function (r) { return r.json(); });
var x = new XMLHttpRequest(); x.open('GET', '/frag/list_1.html'); x.send();
$.ajax({url: '/api/' + kind + '/list'});
$.get('/js/app.js');
</script>"""
    fetches = inline.fragment_fetches(html(page))
    got = [(f.method, urlsplit(f.url).path, f.state["page_key"], f.body) for f in fetches]
    assert got == [("POST", "/api/list.do", "page", "channelId=1207&page=1&size=6"),
                   ("GET", "/api/years.json", "pageNo", None), ("GET", "/api/v2/items", "pageIndex", None),
                   ("GET", "/frag/list_1.html", None, None)]           # not the computed URL, not a script
    assert parse_qs(urlsplit(fetches[1].url).query) == {"col": ["nb"], "pageNo": ["1"]}   # the loop variable: page 1
    assert fetches[0].headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    skip = {("POST", "/api/list.do")}           # what the family adapter asks for already is not asked twice
    assert "/api/list.do" not in [urlsplit(f.url).path for f in inline.fragment_fetches(html(page), skip)]


def test_list_forms_and_frames():
    page = """<form name="pageForm" method="post" action="/col/list.do"><input type="hidden" name="colId" value="7">
<input type="hidden" name="pageNo" value="1"><select name="year"><option value="">全部</option><option value="2023" selected>2023</option></select></form>
<form action="/search/" method="get"><input type="text" name="q"><button>搜索</button></form>
<iframe src="./frame/index.html"></iframe><iframe src="about:blank"></iframe>"""
    (form,) = inline.fragment_fetches(html(page), forms=True)
    assert (form.method, form.url, parse_qs(form.body)) == ("POST", "http://h/col/list.do",
                                                            {"colId": ["7"], "pageNo": ["1"], "year": ["2023"]})
    assert inline.fragment_fetches(html(page)) == []             # forms only when asked
    assert inline.frame_urls(html(page)) == ["http://h/xxgk/nb/frame/index.html"]


def _answer(fetch, body, content_type="json"):
    meta = {"adapter_state": fetch.state}
    if content_type == "json":
        return text(fetch.url, json.dumps(body, ensure_ascii=False), meta)
    return html(body, fetch.url, meta=meta)


def _rows(lo, hi):
    return [{"title": f"{i}号镇2023年政府信息公开工作年度报告", "url": f"/a/{i}.html"} for i in range(lo, hi)]


def test_fragment_pages_up_to_the_declared_total():
    frag = ADAPTERS["fragment"]
    (f,) = inline.fragment_fetches(html("<script>$.getJSON('/api/l.json', {page: 1, rows: 5});</script>"))
    first = _answer(f, {"data": {"list": _rows(0, 5), "total": 12}})
    assert len(frag.list_items(first)) == 5
    pages = [parse_qs(urlsplit(x.url).query)["page"][0] for x in frag.page_requests(first)]
    assert pages == ["2", "3"]                                        # 12 records, 5 a page
    later = frag.page_requests(first)[0]
    assert frag.page_requests(_answer(later, {"data": {"list": _rows(5, 10), "total": 12}})) == []   # asked once
    counted = _answer(f, {"rows": _rows(0, 5), "pageCount": 4})
    assert len(frag.page_requests(counted)) == 3


def test_fragment_pages_without_a_total_stop_at_the_first_page_with_nothing_new():
    frag = ADAPTERS["fragment"]
    (f,) = inline.fragment_fetches(html("<script>$.post('/api/l.do', {pageNo: 1});</script>"))
    (p2,) = frag.page_requests(_answer(f, {"rows": _rows(0, 3)}))
    assert parse_qs(p2.body)["pageNo"] == ["2"]
    (p3,) = frag.page_requests(_answer(p2, {"rows": _rows(3, 6)}))
    # an API that answers every page number with its last page: page 4 brings nothing new, the pager stops
    assert frag.page_requests(_answer(p3, {"rows": _rows(3, 6)})) == []
    assert frag.page_requests(_answer(p3, {"rows": []})) == []


def test_html_fragment_answers_and_their_declared_pages():
    frag = ADAPTERS["fragment"]
    (f,) = inline.fragment_fetches(html(
        '<form method="post" action="/col/list.do"><input type="hidden" name="pageNo" value="1"></form>'), forms=True)
    body = ('<div><ul><li><a href="/a/1.html">甲镇2023年政府信息公开工作年度报告</a><span>2024-01-02</span></li></ul>'
            '<input type="hidden" name="totalPage" value="3"></div>')
    answer = _answer(f, body, "html")
    assert [(i.title, i.date) for i in frag.list_items(answer)] == [("甲镇2023年政府信息公开工作年度报告", "2024-01-02")]
    assert [parse_qs(x.body)["pageNo"][0] for x in frag.page_requests(answer)] == ["2", "3"]


def test_captured_browser_calls_become_fetches_and_a_remembered_api():
    captured = [{"url": "http://h/api/list.jsp?channelId=8&page=1&size=6", "method": "GET", "type": "xhr",
                 "headers": {"referer": URL}, "body": ""},
                {"url": "http://h/api/save.do", "method": "POST", "type": "fetch",
                 "headers": {"content-type": "application/json"}, "body": '{"col": 8, "pageNo": 1}'},
                {"url": "http://h/js/x.js", "method": "GET", "type": "xhr"},
                {"url": "http://h/frame/list.html", "method": "GET", "type": "document"}]
    fetches, frames = inline.captured_fetches(captured, URL)
    assert [(f.method, urlsplit(f.url).path, f.state["page_key"], f.state["captured"]) for f in fetches] == [
        ("GET", "/api/list.jsp", "page", True), ("POST", "/api/save.do", "pageNo", True)]
    assert json.loads(fetches[1].body) == {"col": "8", "pageNo": "1"} and frames == ["http://h/frame/list.html"]
    spec = inline.api_spec(fetches[0].state, URL)
    again = inline.api_fetch(spec)
    assert (again.url, again.state["remembered"], again.state["page_key"]) == (fetches[0].url, True, "page")
