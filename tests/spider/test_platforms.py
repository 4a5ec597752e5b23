"""The family adapters on pages shaped like the real ones: Hanweb jcms (datastore, dataproxy POST, jpaas),
gkmlpt (_CONFIG shell, JSON API), the generic fallback, and the browser heuristic."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse

from spiders.platforms import ADAPTERS, adapter_for
from spiders.platforms.hanweb import pages_from_total


def html(url, body, meta=None):
    return HtmlResponse(url=url, body=body.encode("utf-8"), encoding="utf-8", request=Request(url, meta=meta or {}))


def text(url, body, cls=TextResponse, meta=None):
    return cls(url=url, body=body.encode("utf-8"), encoding="utf-8", request=Request(url, meta=meta or {}))


# ---- Hanweb jcms ---------------------------------------------------------------------------------

COLUMN = """<html><head><meta name="ColumnName" content="政府信息公开年报"></head><body>
<div class="left_nav"><a href="/col/col1229100007/index.html">部门年报</a></div>
<div id="4561234"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=3174&path=/&columnid=1229100005&unitid=4561234&webname=%E5%BE%B7%E6%B8%85&permissiontype=0"></a>]]></nextgroup><recordset>
<record><![CDATA[
<li><a href="/art/2024/3/1/art_1229100005_590123.html" title="德清县2023年政府信息公开工作年度报告" target="_blank">德清县2023年政府信息公开工...</a> <b>2024-03-01</b></li>
]]></record>
<record><![CDATA[
<li><a href="/art/2023/2/9/art_1229100005_580001.html" title="德清县教育局2022年度政府信息公开年度报告">德清县教育局2022年度政府信息...</a><span>
        2023-02-09
      </span></li>
]]></record>
<record><![CDATA[
<li class="line"></li>
]]></record>
<record><![CDATA[
<li><a href="http://www.huzhou.gov.cn/art/2024/2/2/art_1229_5900001.html" title="湖州市2023年政府信息公开工作年度报告">湖州市…</a> <b readlabel="1">2024-02-02</b></li>
]]></record>
</recordset></datastore></script></div>
<script>$(document).ready(function(){ $('#4561234').jpage({ dataStore: dataStore, proxyUrl: '/module/web/jpage/dataproxy.jsp',
 perPage: 4, totalRecord: 18, groupSize: 3,
 ajaxParam: { col: 1, appid: 1, webid: 3174, path: '/', columnid: 1229100005, sourceContentType: 1, unitid: '4561234', webname: '德清县人民政府', permissiontype: 0 } }); });</script>
</body></html>"""


def test_hanweb_column_first_page_from_the_embedded_datastore():
    r = html("http://h/col/col1229100005/index.html", COLUMN)
    a = adapter_for(r)
    assert a.name == "hanweb"
    items = {i.title: i for i in a.list_items(r)}
    gov = items["德清县2023年政府信息公开工作年度报告"]          # full title from title=, not the truncated text
    assert gov.url == "http://h/art/2024/3/1/art_1229100005_590123.html" and gov.date == "2024-03-01"
    assert items["德清县教育局2022年度政府信息公开年度报告"].date == "2023-02-09"   # date split over lines
    assert items["湖州市2023年政府信息公开工作年度报告"].url.startswith("http://www.huzhou.gov.cn/")  # the spider drops it
    assert "部门年报" in items                                       # the sub-column tab is an item too


def test_hanweb_later_pages_are_posts_three_pages_a_call_counted_from_totalrecord():
    r = html("http://h/col/col1229100005/index.html", COLUMN)
    fetches = ADAPTERS["hanweb"].page_requests(r)
    assert [f.method for f in fetches] == ["POST", "POST"]
    ranges = [parse_qs(urlsplit(f.url).query) for f in fetches]
    assert [(q["startrecord"][0], q["endrecord"][0], q["perpage"][0]) for q in ranges] == [("5", "16", "4"), ("17", "28", "4")]
    form = parse_qs(fetches[0].body)
    assert form["columnid"] == ["1229100005"] and form["webid"] == ["3174"] and form["unitid"] == ["4561234"]
    assert form["col"] == ["1"] and form["appid"] == ["1"] and form["permissiontype"] == ["0"] and form["path"] == ["/"]
    assert form["webname"] == ["德清县人民政府"] and form["sourceContentType"] == ["1"]
    assert fetches[0].headers["Referer"] == "http://h/col/col1229100005/index.html"
    assert fetches[0].headers["Content-Type"].startswith("application/x-www-form-urlencoded")


def test_hanweb_proxy_answer_records_and_a_totalpage_that_lies():
    r = html("http://h/col/col1229100005/index.html", COLUMN)
    state = ADAPTERS["hanweb"].page_requests(r)[0].state
    body = ('<?xml version="1.0" encoding="UTF-8"?><datastore><recordset>'
            + "".join(f'<record><![CDATA[<li><a href="/art/2021/1/{i}/art_1229100005_{i}.html" title="某局{2000 + i}年政府信息公开年报">某局…</a><b>2021-01-0{i % 9 + 1}</b></li>]]></record>'
                      for i in range(1, 13))
            + "</recordset><totalrecord>40</totalrecord><totalpage>3</totalpage></datastore>")
    resp = text("http://h/module/web/jpage/dataproxy.jsp?startrecord=5&endrecord=16&perpage=4", body, XmlResponse,
                meta={"adapter_state": state})
    a = ADAPTERS["hanweb"]
    assert len(a.list_items(resp)) == 12
    more = a.page_requests(resp)          # 40 records: 10 pages, not the 3 `totalpage` says
    starts = [parse_qs(urlsplit(f.url).query)["startrecord"][0] for f in more]
    assert starts == ["5", "17", "29"]
    assert pages_from_total(40, 4) == 10


def test_jpaas_column_goes_to_the_json_api_page_by_page_until_empty():
    page = """<html><body><ul class="jpaas-list" id="jpaas-list-1229100007"></ul><script>
var unitParams = {"webId": "3174", "pageId": "1229100007", "tplSetId": "5d4c1f6a", "pageType": "column", "tagId": "当前栏目list", "editType": "null", "pageNo": 1, "rows": 4};
function loadPage(n){ $.ajax({ url: '/api-gateway/jpaas-publish-server/front/page/build/unit', data: unitParams }); }
</script></body></html>"""
    r = html("http://h/col/col1229100007/index.html", page)
    a = adapter_for(r)
    (f,) = a.page_requests(r)
    q = parse_qs(urlsplit(f.url).query)
    assert urlsplit(f.url).path == "/api-gateway/jpaas-publish-server/front/page/build/unit"
    assert q["pageId"] == ["1229100007"] and q["pageNo"] == ["1"] and q["rows"] == ["4"] and q["webId"] == ["3174"]
    data = {"success": True, "data": {"html": '<li><a href="/art/2024/2/1/art_1229100007_1.html" title="德清县卫生健康局2023年政府信息公开工作年度报告">x</a><span class="date">2024-02-01</span></li>'}}
    resp = text(f.url, json.dumps(data, ensure_ascii=False), meta={"adapter_state": f.state})
    items = a.list_items(resp)
    assert [(i.title, i.date) for i in items] == [("德清县卫生健康局2023年政府信息公开工作年度报告", "2024-02-01")]
    (nxt,) = a.page_requests(resp)
    assert parse_qs(urlsplit(nxt.url).query)["pageNo"] == ["2"]
    empty = text(nxt.url, '{"success":true,"data":{"html":""}}', meta={"adapter_state": nxt.state})
    assert a.page_requests(empty) == [] and a.list_items(empty) == []


def test_hanweb_attachment_and_body():
    r = html("http://h/art/2024/3/1/art_1229100005_590123.html",
             '<div id="zoom"><p>附件：<a href="/module/download/downfile.jsp?classid=0&filename=0a1b2c3d4e5f60718293a4b5c6d7e8f9.pdf">报告.pdf</a></p></div>')
    a = adapter_for(r, "hanweb")
    assert a.body_selector(r).attrib["id"] == "zoom"
    from spiders.platforms.base import is_document_url
    assert is_document_url("http://h/module/download/downfile.jsp?classid=0&filename=0a1b2c3d4e5f60718293a4b5c6d7e8f9.pdf")


# ---- gkmlpt ------------------------------------------------------------------------------------

SHELL = """<!DOCTYPE html><html><head><script>window._CONFIG = {SID: '757006', SITE_ID: 2, SITE_NAME: '南海区', TREE: [
{"id": 2331, "name": "机构职能", "children": [], "jump_url": "", "post_count": 12},
{"id": 2340, "name": "政府信息公开年报", "jump_url": "", "post_count": 230, "children": [
  {"id": 2341, "name": "区政府", "children": [], "jump_url": "", "post_count": 6}]}], CATEGORY_TYPE: 'default'};</script>
</head><body><div id="app"></div></body></html>"""


def test_gkmlpt_shell_is_the_report_column_and_asks_the_api_from_page_1():
    r = html("http://h/nhq/gkmlpt/index", SHELL)
    a = adapter_for(r)
    assert a.name == "gkmlpt" and a.is_report_column(r)
    (f,) = a.page_requests(r)
    assert f.url == "http://h/gkmlpt/api/all/2340?page=1&sid=757006"


def test_gkmlpt_fragment_names_the_category():
    two = SHELL.replace('{"id": 2331, "name": "机构职能"', '{"id": 2360, "name": "部门信息公开年报", "children": [], '
                        '"jump_url": "", "post_count": 9},\n{"id": 2331, "name": "机构职能"')
    both = ADAPTERS["gkmlpt"].page_requests(html("http://h/nhq/gkmlpt/index", two))
    assert sorted(f.state["catid"] for f in both) == ["2340", "2360"]
    (f,) = ADAPTERS["gkmlpt"].page_requests(html("http://h/nhq/gkmlpt/index", two, meta={"fragment": "2360"}))
    assert "/gkmlpt/api/all/2360?" in f.url
    # a fragment inside a report category: the whole category (`all/` includes its children)
    (f,) = ADAPTERS["gkmlpt"].page_requests(html("http://h/nhq/gkmlpt/index", SHELL, meta={"fragment": "2341"}))
    assert "/gkmlpt/api/all/2340?" in f.url


def test_gkmlpt_api_items_and_pages_of_100():
    r = html("http://h/nhq/gkmlpt/index", SHELL)
    (f,) = ADAPTERS["gkmlpt"].page_requests(r)
    arts = [{"id": 963000 + i, "title": f"某镇{1900 + i}年政府信息公开工作年度报告", "created_at": "2024-03-01 10:00:00",
             "url": f"http://h/gkmlpt/content/0/963/post_{963000 + i}.html", "attachment": []} for i in range(100)]
    resp = text(f.url, json.dumps({"classify": {"post_count": 230}, "articles": arts}, ensure_ascii=False),
                meta={"adapter_state": f.state})
    a = ADAPTERS["gkmlpt"]
    items = a.list_items(resp)
    assert len(items) == 100 and items[0].url == "http://h/gkmlpt/content/0/963/post_963000.html"
    assert items[0].date == "2024-03-01"
    pages = [parse_qs(urlsplit(x.url).query)["page"][0] for x in a.page_requests(resp)]
    assert pages == ["2", "3"]              # page 0 would repeat page 1
    later = text(f.url.replace("page=1", "page=2"), '{"classify":{"post_count":230},"articles":[]}',
                 meta={"adapter_state": {**f.state, "page": 2}})
    assert a.page_requests(later) == []


def test_gkmlpt_detail_body():
    r = html("http://h/gkmlpt/content/0/963/post_963149.html",
             '<table class="classify"><tr><td>索引号：</td><td>1/2021-1</td></tr></table><div class="article-content"><p>x</p></div>'
             "<script>window._CONFIG = {SID: '1', DETAIL: {}};</script>")
    a = adapter_for(r)
    assert a.name == "gkmlpt" and a.body_selector(r).attrib["class"] == "article-content"


# ---- generic and the browser heuristic ---------------------------------------------------------

def test_generic_next_page_links():
    r = html("http://h/Category_88/Index.aspx",
             '<table><tr><td><a href="/Item/1.aspx">x</a></td></tr></table>'
             '<div class="pager">共4条 <span>上一页</span> <a href="/Category_88/Index_2.aspx">下一页</a></div>')
    a = adapter_for(r)
    assert a.name == "generic"
    assert a.list_pages(r) == ["http://h/Category_88/Index_2.aspx"]


def test_declared_platform_gives_way_to_a_detected_one():
    r = html("http://h/nhq/gkmlpt/index", SHELL)
    assert adapter_for(r, "trs").name == "gkmlpt"
    plain = html("http://h/", "<a href='/x'>x</a>")
    assert adapter_for(plain, "trs").name == "trs" and adapter_for(plain).name == "generic"


def test_needs_browser_for_computed_shells_and_script_lists_only():
    computed = html("http://h/wh/c1019/nb.shtml", '<html><head><script>var d="/wh/"+"c10"+(18+1)+"/";'
                    'window.location.replace(d+["list","shtml"].join("."));</script></head><body></body></html>')
    literal = html("http://h/a.html", '<script>location.replace("/b/index.html")</script>')
    script_list = html("http://h/wh/c1019/list.shtml", '<ul class="list" id="nblist"></ul><script src="/wh/js/nblist.js"></script>')
    plain_list = html("http://h/nb/index.html", '<ul class="list"><li><a href="/a.html">a</a></li></ul>')
    g = ADAPTERS["generic"]
    assert g.needs_browser(computed)
    assert not g.needs_browser(literal) and g.shell_target(literal) == "http://h/b/index.html"
    assert g.needs_browser(script_list)
    assert not g.needs_browser(plain_list)
