"""The family adapters read their page data in any spelling: gkmlpt `_CONFIG` as JSON (the issue's case), as a
JSON.parse string or property by property; Hanweb `jpage({...})` with quoted keys, string numbers, extra keys,
or from a variable; TRS pagination with quoted numbers, variables, or countPage in an object."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse

from spiders.platforms import ADAPTERS, adapter_for
from spiders.platforms.trs import parse_pagination


def html(url, body, meta=None):
    return HtmlResponse(url=url, body=body.encode("utf-8"), encoding="utf-8", request=Request(url, meta=meta or {}))


TREE = [{"id": 2331, "name": "机构职能", "children": [], "jump_url": "", "post_count": 12},
        {"id": 2340, "name": "政府信息公开年报", "jump_url": "", "post_count": 9,
         "children": [{"id": 2341, "name": "区政府", "children": [], "jump_url": "", "post_count": 6}]}]
JSON_TREE = json.dumps(TREE, ensure_ascii=False)


@pytest.mark.parametrize("script", [
    f'window._CONFIG = {{"SID": "755085", "TREE": {JSON_TREE}}};',                          # the JSON
    f'window._CONFIG = {{"DETAIL": null, "TREE": {JSON_TREE}, "SITE_ID": 2, "SID": 755085}};',   # order, a number
    "window._CONFIG = JSON.parse('" + json.dumps({"SID": "755085", "TREE": TREE}, ensure_ascii=False) + "');",
    f"window._CONFIG = window._CONFIG || {{}};\n_CONFIG.TREE = {JSON_TREE};\n_CONFIG.SID = '755085';",
    f"var _CONFIG = {{ SID : '755085' , TREE : {JSON_TREE.replace(chr(34) + 'id' + chr(34), 'id')} , }}",
])
def test_gkmlpt_config_in_any_spelling(script):
    r = html("http://h/nhq/gkmlpt/annualreport", f"<html><head><script>{script}</script></head><body><div id=app></div></body></html>")
    a = adapter_for(r)
    assert a.name == "gkmlpt" and a.is_report_column(r)
    (f,) = a.page_requests(r)
    assert f.url == "http://h/gkmlpt/api/all/2340?page=1&sid=755085"


def test_gkmlpt_whole_category_on_one_page_asks_no_page_2():
    r = html("http://h/nhq/gkmlpt/index", f"<script>window._CONFIG = {{SID: '9', TREE: {JSON_TREE}}};</script>")
    (f,) = ADAPTERS["gkmlpt"].page_requests(r)
    arts = [{"id": i, "title": f"{i}镇2023年政府信息公开工作年度报告", "url": f"/gkmlpt/content/0/1/post_{i}.html"}
            for i in range(150)]
    resp = TextResponse(url=f.url, body=json.dumps({"classify": {"post_count": 150}, "articles": arts},
                                                   ensure_ascii=False).encode(), encoding="utf-8",
                        request=Request(f.url, meta={"adapter_state": f.state}))
    assert len(ADAPTERS["gkmlpt"].list_items(resp)) == 150 and ADAPTERS["gkmlpt"].page_requests(resp) == []


HANWEB = """<html><head><meta name="ColumnName" content="政府信息公开年报"></head><body>
<div id="4561234"><script type="text/xml"><datastore><recordset>
<record><![CDATA[<li><a href="/art/2024/3/1/art_61490_1.html" title="某县2023年政府信息公开工作年度报告">某县…</a><b>2024-03-01</b></li>]]></record>
</recordset></datastore></script></div>
<script>{script}</script></body></html>"""


@pytest.mark.parametrize("script", [
    '$("#4561234").jpage({"ajaxParam": {"webname": "某县人民政府", "columnid": "61490", "unitid": "4561234", "webid": "39",'
    ' "permissiontype": "0", "_t": 99}, "totalRecord": "40", "perPage": "4", "proxyUrl": "/module/web/jpage/dataproxy.jsp",'
    ' "dataStore": dataStore});',
    "var jpConf = JSON.parse('{\"perPage\": 4, \"totalRecord\": 40, \"ajaxParam\": {\"columnid\": 61490, \"webid\": 39, "
    "\"unitid\": \"4561234\", \"webname\": \"某县人民政府\"}}');\njpConf.dataStore = dataStore;\n$('#4561234').jpage(jpConf);",
])
def test_hanweb_jpage_in_any_spelling(script):
    r = html("http://h/col/col61490/index.html", HANWEB.replace("{script}", script))
    fetches = ADAPTERS["hanweb"].page_requests(r)
    ranges = [parse_qs(urlsplit(f.url).query) for f in fetches]
    assert [(q["startrecord"][0], q["endrecord"][0]) for q in ranges] == [("5", "16"), ("17", "28"), ("29", "40")]
    form = parse_qs(fetches[0].body)
    assert form["columnid"] == ["61490"] and form["webid"] == ["39"] and form["webname"] == ["某县人民政府"]
    assert [i.title for i in ADAPTERS["hanweb"].list_items(r)][0] == "某县2023年政府信息公开工作年度报告"


@pytest.mark.parametrize("script, pages, current", [
    ('createPageHTML("9", "0", "index", "html");', 9, 0),
    ("var _nPageCount = 5; var _nCurPage = 2;\ncreatePageHTML('page_div', _nPageCount, _nCurPage, 'fg', 'shtml', 89);", 5, 1),
    ("var pageInfo = {countPage: 3, currentPage: 0, countnum: 40};", 3, 0),
    ('var currentPage = "1";//所在页从0开始\nvar countPage="4";', 4, 1),
])
def test_trs_pagination_in_any_spelling(script, pages, current):
    p = parse_pagination(script, "http://h/nb/index_1.html")
    assert (p.pages, p.current) == (pages, current)


def test_a_registry_saying_generic_does_not_hide_a_known_family():
    r = html("http://h/nb/index.html", '<ul><li><a href="./1.html">x</a></li></ul><script>createPageHTML(3, 0, "index", "html");</script>')
    assert adapter_for(r, "generic").name == "trs" and len(adapter_for(r, "generic").list_pages(r)) == 3


def test_a_page_named_as_the_report_column_by_its_title_or_breadcrumb_is_one():
    from spiders.reports import ReportsSpider

    looks = ReportsSpider._looks_like_column
    by_title = html("http://h/a/list.htm", "<html><head><title>信息公开年报-某县人民政府</title></head><body></body></html>")
    by_crumb = html("http://h/a/list.htm", '<div class="position">当前位置：<a href="/">首页</a> &gt; '
                                           '<a href="/x/">政府信息公开</a> &gt; 政府信息公开工作年度报告</div>')
    detail = html("http://h/a/t1.htm", "<title>某县2023年政府信息公开工作年度报告_某县人民政府</title>"
                                       '<div class="position">首页 &gt; 政府信息公开 &gt; 正文</div>')
    portal = html("http://h/xxgk/", "<title>政府信息公开_某县人民政府</title>")
    assert looks(None, by_title) and looks(None, by_crumb)
    assert not looks(None, detail) and not looks(None, portal)


def test_a_report_page_linked_as_a_column_is_read_as_the_report():
    """A township's list links its report by the report's title (…信息公开工作年度报告, a column's name too):
    the page it leads to is one report's page — its own title a report's, the 索引号/发布机构 block, only its
    attachment linked — and is read as that report, not its attachment as a list item. A column listing
    reports, or a later page of a walk, is not."""
    from types import SimpleNamespace

    from spiders.reports import ReportsSpider

    spider = SimpleNamespace(_site=lambda response: SimpleNamespace(platform=""))
    detail = ReportsSpider._is_detail_page
    head = "<html><head><title>某街道2024年度政府信息公开工作年度报告_某县人民政府</title></head><body>"
    block = "<table><tr><td>索引号：</td><td>11/2025-01</td><td>发布机构：</td><td>某街道办事处</td></tr></table>"
    pdf = '<a href="/nb/P1.pdf">某街道2024年度政府信息公开工作年度报告.pdf</a>'
    page = html("http://h/nb/t1.html", head + block + "<p>正文</p>" + pdf + "</body></html>")
    assert detail(spider, page)
    assert not detail(spider, html("http://h/nb/t1.html", head + "<p>正文</p>" + pdf + "</body></html>"))  # no block
    listing = html("http://h/nb/index.html", head + block + '<ul><li><a href="/nb/t1.html">某街道2024年度政府信息公开'
                   '工作年度报告</a></li><li><a href="/nb/t2.html">某街道2023年度政府信息公开工作年度报告</a></li></ul>')
    assert not detail(spider, listing)
    later = html("http://h/nb/t1.html", head + block + pdf, meta={"list_page": True})
    assert not detail(spider, later)
