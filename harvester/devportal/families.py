"""Simulated portals of the other CMS families (portals.md "The common CMS families"), one site each:

- `deqing`  Hanweb jcms (大汉): `/col/col<id>/index.html` columns whose first page is an embedded
  `<datastore>`, later pages only through `POST /module/web/jpage/dataproxy.jsp` (three pages a call,
  a `totalpage` that lies, junk records, split dates, truncated link text, a sibling site's link),
  `/art/Y/M/D/art_<col>_<id>.html` articles, `downfile.jsp?…&filename=<32hex>.pdf` attachments; its
  部门年报 column is a newer jpaas page filled from the JSON list API.
- `nanhai`  Guangdong gkmlpt: a Vue shell with `window._CONFIG = {SID, TREE}`, the list API
  `/gkmlpt/api/all/<catid>?page=&sid=` (100 rows a page, page 0 = page 1, absolute URLs on the
  requested host), detail pages `/gkmlpt/content/<major>/<folder>/post_<id>.html` with the 8-field table.
- `anhua`   an unknown CMS (ASP.NET-style paths) in GB2312 without a charset header: reached by link
  text only (政务公开 → 政府信息公开年报), `下一页` pagination, year sub-folders, township sub-columns.
- `wuhou`   a JavaScript-built list: the 年报 link leads to a shell whose `location.replace` target is
  computed, and the list is written by a script from encoded data — only a browser sees the links.

Each builder publishes generated reports (HTML/PDF/DOCX) and records them as ExpectedReports. One module on
purpose (about 650 lines): one builder function per family above, each reading top to bottom, sharing only the
builder primitives of builder.py.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
from urllib.parse import quote

from . import templates as T
from .faults import Request, Response
from .reports import GeneratedReport
from .render import render_docx, render_html_body, render_pdf
from .builder import _Builder, _attachment_body, _cn_date, _doc_type
from .model import DOCX, ExpectedReport, NoiseItem, PDF, Resource

e = T.e

FAMILY_SITES = [
    {
        "site_id": "deqing", "name": "德清县人民政府", "site_name": "德清县人民政府", "province": "浙江省",
        "city": "湖州市", "county": "德清县", "domain": "www.deqing.gov.cn", "site_code": "3305210001",
        "short": "德清县", "icp": "浙ICP备05011370号", "start_path": "/", "ext": "html", "platform": "hanweb",
        "government": ("德清县人民政府", "德清县", 2019, 2024),
        "departments": [("德清县发展和改革局", 2023, 2024), ("德清县教育局", 2023, 2024), ("德清县财政局", 2023, 2024),
                        ("德清县民政局", 2023, 2024)],
        "jpaas_departments": [("德清县卫生健康局", 2023, 2024), ("德清县自然资源和规划局", 2023, 2024),
                              ("德清县交通运输局", 2023, 2024)],
    },
    {
        "site_id": "nanhai", "name": "佛山市南海区人民政府", "site_name": "佛山市南海区人民政府", "province": "广东省",
        "city": "佛山市", "county": "南海区", "domain": "www.nanhai.gov.cn", "site_code": "4406050001",
        "short": "南海区", "icp": "粤ICP备05085402号", "start_path": "/", "ext": "html", "platform": "",
        "government": ("佛山市南海区人民政府", "佛山市南海区", 2019, 2024),
        "departments": [("佛山市南海区发展和改革局", 2023, 2024), ("佛山市南海区教育局", 2023, 2024),
                        ("佛山市南海区财政局", 2023, 2024)],
        "townships": [("佛山市南海区桂城街道办事处", "桂城街道", 2023, 2024), ("佛山市南海区西樵镇人民政府", "西樵镇", 2023, 2024),
                      ("佛山市南海区九江镇人民政府", "九江镇", 2023, 2024)],
    },
    {
        "site_id": "anhua", "name": "安化县人民政府", "site_name": "安化县人民政府", "province": "湖南省",
        "city": "益阳市", "county": "安化县", "domain": "www.anhua.gov.cn", "site_code": "4309230001",
        "short": "安化县", "icp": "湘ICP备05002873号", "start_path": "/", "ext": "aspx", "platform": "",
        "government": ("安化县人民政府", "安化县", 2019, 2024),
        "departments": [("安化县教育局", 2022, 2024), ("安化县卫生健康局", 2022, 2024)],
        "townships": [("安化县东坪镇人民政府", "东坪镇", "dpz", 2023, 2024), ("安化县梅城镇人民政府", "梅城镇", "mcz", 2023, 2024),
                      ("安化县小淹镇人民政府", "小淹镇", "xyz", 2023, 2024)],
    },
    {
        "site_id": "wuhou", "name": "成都市武侯区人民政府", "site_name": "成都市武侯区人民政府", "province": "四川省",
        "city": "成都市", "county": "武侯区", "domain": "www.cdwh.gov.cn", "site_code": "5101070001",
        "short": "武侯区", "icp": "蜀ICP备05003295号", "start_path": "/", "ext": "shtml", "platform": "",
        "government": ("成都市武侯区人民政府", "武侯区", 2021, 2024),
        "departments": [("成都市武侯区教育局", 2023, 2024), ("成都市武侯区民政局", 2023, 2024),
                        ("成都市武侯区卫生健康局", 2023, 2024)],
    },
]


# ----------------------------------------------------------------------------------------------
# shared pieces
# ----------------------------------------------------------------------------------------------

def _home(b: _Builder, links: list[tuple[str, str]], nav: list[tuple[str, str]]) -> None:
    s = b.site
    s.nav = nav
    body = (f'<div class="banner"><h1>{e(s.site_name)}</h1></div>\n<div class="news"><h2>要闻动态</h2><ul>'
            f'<li><a href="/xwzx/202503/t20250320_1.html">{e(s.short)}召开政务公开工作推进会</a><span>2025-03-20</span></li>'
            f'</ul></div>\n<div class="entry">' + "".join(f'<a href="{e(h)}">{e(n)}</a> ' for n, h in links) + "</div>")
    b.add_html("/", T.frame(s, s.site_name, body, meta={"Description": f"{s.site_name}门户网站"}), "home")
    b.add_html("/xwzx/202503/t20250320_1.html", T.simple_page(s, f"{s.short}召开政务公开工作推进会", [("首页", "/")],
               "<p>会议总结了上一年度政务公开工作。</p>", "要闻动态"), "detail")


def _report_doc(b: _Builder, r: GeneratedReport, doc_type: str, doc_path: str, *, ctype: str | None = None,
                headers: dict | None = None) -> None:
    maker = (lambda r=r: render_pdf(r)) if doc_type == "pdf" else (lambda r=r: render_docx(r))
    b.site.add(doc_path, Resource(ctype or (PDF if doc_type == "pdf" else DOCX), make=maker, role="attachment",
                                  headers=headers or {}))


def _expected(b: _Builder, r: GeneratedReport, doc_type: str, page: str, document: str, date: dt.date,
              index_no: str, column: str) -> ExpectedReport:
    exp = ExpectedReport(site_id=b.site.site_id, agency=r.agency, year=r.year, format=r.fmt, doc_type=doc_type,
                         page_url=page, document_url=document, cells=dict(r.cells), expected_json=None, kind=r.kind,
                         title=r.title, publish_date=date.isoformat(), index_no=index_no, publisher=r.agency,
                         column=column, facts=dict(r.facts))
    b.reports.append(exp)
    return exp


def _fields(b: _Builder, agency: str, date: dt.date, written: dt.date, title: str) -> dict:
    return {"index_no": b.index_no(agency, date), "publisher": agency, "doc_number": "", "written": written.isoformat(),
            "written_cn": _cn_date(written), "published": date.isoformat(), "published_cn": _cn_date(date),
            "topic": "综合政务/政务公开", "validity": "有效", "title": title}


def _std_meta(b: _Builder, column: str, title: str, date: dt.date, source: str, url: str) -> dict:
    return {"ColumnName": column, "ColumnType": column, "ArticleTitle": title, "PubDate": f"{date.isoformat()} 09:30",
            "ContentSource": source, "Keywords": "", "Author": "", "Description": "", "Url": url}


def _report_body(b: _Builder, r: GeneratedReport, doc_type: str, doc_href: str | None, doc_name: str) -> str:
    if doc_type == "html":
        return render_html_body(r, with_title=b.rng.random() < 0.3)
    return _attachment_body(b.rng, r.title, [(doc_href, doc_name)])


def _hex(*parts) -> str:
    return hashlib.md5(":".join(map(str, parts)).encode()).hexdigest()


# ----------------------------------------------------------------------------------------------
# Hanweb jcms (德清县): datastore + dataproxy.jsp, /art/ articles, downfile.jsp; a jpaas column
# ----------------------------------------------------------------------------------------------

HANWEB_WEBID = "3174"
PROXY = "/module/web/jpage/dataproxy.jsp"
JPAAS = "/api-gateway/jpaas-publish-server/front/page/build/unit"


def _hanweb_detail(b: _Builder, col_id: str, col_name: str, r_title: str, date: dt.date, body: str, agency: str,
                   written: dt.date) -> tuple[str, dict]:
    s = b.site
    art = b.doc_id(date) * 10 + 7
    path = f"/art/{date.year}/{date.month}/{date.day}/art_{col_id}_{art}.html"
    f = _fields(b, agency, date, written, r_title)
    block = T.meta_block("zhejiang", f)
    page = f"""{T.breadcrumb([("首页", "/"), ("政府信息公开", "/col/col1229100001/index.html"), (col_name, f"/col/col{col_id}/index.html")])}
<div class="article">
{block}
<div class="article-title"><h1>{e(r_title)}</h1></div>
<div class="article-info">发布日期：{date.isoformat()}　信息来源：{e(agency)}　<span>浏览次数：<script language="javascript" src="/module/visitcount/articlehits.jsp?colid={col_id}&artid={art}"></script></span></div>
<div id="zoom">
{body}
</div>
</div>"""
    meta = _std_meta(b, col_name, r_title, date, agency, f"http://{s.domain}{path}")
    b.add_html(path, T.frame(s, f"{r_title}", page, meta=meta), "detail", last_modified=date.isoformat())
    return path, f


def _downfile(b: _Builder, r: GeneratedReport, doc_type: str) -> tuple[str, str]:
    ext = "pdf" if doc_type == "pdf" else "docx"
    name = f"{_hex(b.site.site_id, r.agency, r.year)}.{ext}"
    path = f"/module/download/downfile.jsp?classid=0&filename={name}"
    _report_doc(b, r, doc_type, path, ctype="application/octet-stream",
                headers={"Content-Disposition": f'attachment; filename="{quote(r.title)}.{ext}"'})
    return path, f"{r.title}.{ext}"


def _hanweb_record(href: str, title: str, date: str, variant: int) -> str:
    shown = title if len(title) <= 22 else title[:20] + "..."
    if variant % 4 == 1:     # the date split across lines
        return f'<li><a href="{e(href)}" title="{e(title)}" target="_blank">{e(shown)}</a><span>\n        {date}\n      </span></li>'
    if variant % 4 == 2:     # <b readlabel>
        return f'<li><a href="{e(href)}" title="{e(title)}" target="_blank">{e(shown)}</a> <b readlabel="1">{date}</b></li>'
    return f'<li><a href="{e(href)}" title="{e(title)}" target="_blank">{e(shown)}</a> <b>{date}</b></li>'


def _datastore(records: list[str], total: int | None = None, totalpage: int | None = None, nextgroup: str = "") -> str:
    recs = "\n".join(f"<record><![CDATA[\n{x}\n]]></record>" for x in records)
    head = f"<nextgroup><![CDATA[{nextgroup}]]></nextgroup>" if nextgroup else ""
    tail = "" if total is None else f"<totalrecord>{total}</totalrecord><totalpage>{totalpage}</totalpage>"
    return f"<datastore>{head}<recordset>\n{recs}\n</recordset>{tail}</datastore>"


def _hanweb_proxy(site, columns: dict) -> callable:
    """POST dataproxy.jsp: records startrecord..endrecord of the form's columnid; empty without a Referer
    from the column page. `totalpage` is what the column's first group says, not the truth."""
    def handle(req: Request) -> Response:
        if req.method != "POST":
            return Response(405, {"Content-Type": "text/html"}, b"<h1>405 Method Not Allowed</h1>", "error")
        col_id = req.form("columnid")
        col = columns.get(col_id)
        referer = req.headers.get("referer", "")
        if col is None or f"/col/col{col_id}/" not in referer:
            body = _datastore([], 0, 0)
        else:
            per = int(req.arg("perpage", "15") or 15)
            start = max(1, int(req.arg("startrecord", "1") or 1))
            end = int(req.arg("endrecord", str(start + per * 3 - 1)) or start)
            recs = col["records"]
            body = _datastore(recs[start - 1:end], len(recs), col["totalpage_lie"])
        data = ('<?xml version="1.0" encoding="UTF-8"?>' + body).encode("utf-8")
        return Response(200, {"Content-Type": "text/xml;charset=UTF-8"}, data, "api")
    return handle


def _hanweb_column_page(b: _Builder, col_id: str, name: str, unit_id: str, records: list[str], per: int,
                        nav: list[tuple[str, str]]) -> str:
    s = b.site
    webname = s.site_name
    nextgroup = (f'<a href="{PROXY}?page=1&webid={HANWEB_WEBID}&path=/&columnid={col_id}&unitid={unit_id}'
                 f'&webname={quote(webname)}&permissiontype=0"></a>')
    store = _datastore(records[:per], nextgroup=nextgroup)
    tabs = '<div class="left_nav"><h3>政府信息公开年报</h3><ul>' + "".join(
        f'<li><a href="{e(h)}">{e(n)}</a></li>' for n, h in nav) + "</ul></div>"
    body = f"""{T.breadcrumb([("首页", "/"), ("政府信息公开", "/col/col1229100001/index.html"), (name, "")])}
{tabs}
<div class="right_list"><div class="list_title"><h2>{e(name)}</h2></div>
<div id="{unit_id}"><script type="text/xml">{store}</script></div>
<script language="javascript" src="/module/jslib/jquery/jquery.js"></script>
<script language="javascript" src="/module/web/jpage/jpage.js"></script>
<script>
$(document).ready(function(){{
  $('#{unit_id}').jpage({{
    dataStore: dataStore, proxyUrl: '{PROXY}', perPage: {per}, totalRecord: {len(records)}, groupSize: 3,
    barPosition: 'bottom', showMode: 'full',
    ajaxParam: {{ col: 1, appid: 1, webid: {HANWEB_WEBID}, path: '/', columnid: {col_id}, sourceContentType: 1,
                 unitid: '{unit_id}', webname: '{webname}', permissiontype: 0 }}
  }});
}});
</script>
</div>"""
    return T.frame(s, f"{name}_{s.site_name}", body, meta={"ColumnName": name, "ColumnType": name})


def _jpaas_api(site, units: dict) -> callable:
    """GET the jpaas list API: {"success":true,"data":{"html":"<li>…"}} for pageNo (1-based), empty past the end."""
    def handle(req: Request) -> Response:
        unit = units.get(req.arg("pageId"))
        if unit is None or req.arg("webId") != HANWEB_WEBID:
            data = {"success": False, "message": "参数错误", "data": None}
        else:
            rows = int(req.arg("rows", "15") or 15)
            page = max(1, int(req.arg("pageNo", "1") or 1))
            chunk = unit["items"][(page - 1) * rows: page * rows]
            data = {"success": True, "data": {"html": "".join(chunk)}}
        return Response(200, {"Content-Type": "application/json;charset=UTF-8"},
                        json.dumps(data, ensure_ascii=False).encode("utf-8"), "api")
    return handle


def build_hanweb(b: _Builder) -> None:
    s, spec = b.site, b.spec
    s.platform = spec["platform"]
    portal, nb_id, jp_id = "1229100001", "1229100005", "1229100007"
    s.nb_dir, s.nb_path = f"/col/col{nb_id}/", f"/col/col{nb_id}/index.html"
    _home(b, [("政府信息公开", f"/col/col{portal}/index.html")],
          [("首页", "/"), ("政府信息公开", f"/col/col{portal}/index.html"), ("政务服务", "/col/col1229100090/index.html")])
    children = [("政府信息公开指南", "1229100002"), ("政府信息公开制度", "1229100003"), ("法定主动公开内容", "1229100004"),
                ("政府信息公开年报", nb_id), ("依申请公开", "1229100006")]
    b.add_html(f"/col/col{portal}/index.html", T.simple_page(s, "政府信息公开", [("首页", "/"), ("政府信息公开", "")],
               T.link_list([(n, f"/col/col{c}/index.html") for n, c in children], "xxgk_nav"), "政府信息公开"), "page")
    for n, c in children:
        if c != nb_id:
            b.add_html(f"/col/col{c}/index.html", T.simple_page(s, n, [("首页", "/"), (n, "")], "<p>栏目内容。</p>", n))
    b.add_html("/col/col1229100090/index.html", T.simple_page(s, "政务服务", [("首页", "/")], "<p>建设中。</p>"))
    nav = [("政府信息公开年报", f"/col/col{nb_id}/index.html"), ("部门年报", f"/col/col{jp_id}/index.html")]

    entries: list[tuple[str, str, str]] = []   # (href, title, date) of the main column
    gov, tname, y0, y1 = spec["government"]
    types = {2019: "pdf", 2020: "html", 2021: "docx", 2022: "pdf", 2023: "html", 2024: "pdf"}

    def publish(agency, title_name, kind, year, doc_type, col_id, col_name):
        r = b.make(agency, title_name, kind, year)
        date = b.pub_date(r)
        doc_path, doc_name = _downfile(b, r, doc_type) if doc_type != "html" else (None, "")
        body = _report_body(b, r, doc_type, doc_path, doc_name)
        page, f = _hanweb_detail(b, col_id, col_name, r.title, date, body, r.agency, dt.date.fromisoformat(r.date))
        _expected(b, r, doc_type, page, doc_path or page, date, f["index_no"], f"/col/col{col_id}/index.html")
        return page, r.title, date.isoformat()

    for year in range(y0, y1 + 1):
        entries.append(publish(gov, tname, "government", year, types[year], nb_id, "政府信息公开年报"))
    for agency, y0d, y1d in spec["departments"]:
        for year in range(y0d, y1d + 1):
            entries.append(publish(agency, agency, "department", year, _doc_type(b.rng, "department"), nb_id,
                                   "政府信息公开年报"))
    for title, date, reason in (("德清县召开2023年度政务公开工作会议", "2023-04-12", "news"),
                                ("关于2024年政务公开工作要点落实情况的函", "2024-11-20", "letter")):
        d = dt.date.fromisoformat(date)
        path, _ = _hanweb_detail(b, nb_id, "政府信息公开年报", title, d, "<p>会议部署了年度重点工作。</p>", gov, d)
        entries.append((path, title, date))
        b.noise.append(NoiseItem(s.site_id, title, path, reason))
    entries.sort(key=lambda x: x[2], reverse=True)
    records = [_hanweb_record(h, t, d, i) for i, (h, t, d) in enumerate(entries)]
    # quirks: a junk record without a link, and a sibling site's report as an absolute link
    records.insert(5, '<li class="line"></li>')
    records.insert(9, _hanweb_record("http://www.huzhou.gov.cn/art/2024/2/2/art_1229_5900001.html",
                                     "湖州市2023年政府信息公开工作年度报告", "2024-02-02", 0))
    per = 4
    unit_id = "4561234"
    columns = {nb_id: {"records": records, "totalpage_lie": 3}}   # truth: ceil(len/6) pages
    b.add_html(s.nb_path, _hanweb_column_page(b, nb_id, "政府信息公开年报", unit_id, records, per, nav), "list")
    s.add(PROXY, Resource("text/xml", role="api", handler=_hanweb_proxy(s, columns)))
    s.fault_targets["hanweb_records"] = str(len(records))

    # the jpaas column (部门年报): an empty container filled by the JSON API, 4 rows a page
    items: list[tuple[str, str, str]] = []
    for agency, y0d, y1d in spec["jpaas_departments"]:
        for year in range(y0d, y1d + 1):
            items.append(publish(agency, agency, "department", year, _doc_type(b.rng, "department"), jp_id, "部门年报"))
    d = dt.date(2024, 5, 6)
    path, _ = _hanweb_detail(b, jp_id, "部门年报", "德清县2023年度部门决算公开", d, "<p>详见附件。</p>", "德清县财政局", d)
    items.append((path, "德清县2023年度部门决算公开", d.isoformat()))
    b.noise.append(NoiseItem(s.site_id, "德清县2023年度部门决算公开", path, "other_body"))
    items.sort(key=lambda x: x[2], reverse=True)
    html_items = [f'<li><a href="{e(h)}" title="{e(t)}" target="_blank">{e(t)}</a><span class="date">{dd}</span></li>'
                  for h, t, dd in items]
    units = {jp_id: {"items": html_items}}
    s.add(JPAAS, Resource("application/json", role="api", handler=_jpaas_api(s, units)))
    params = {"webId": HANWEB_WEBID, "pageId": jp_id, "tplSetId": "5d4c1f6a", "pageType": "column",
              "tagId": "当前栏目list", "editType": "null", "pageNo": 1, "rows": 4}
    body = f"""{T.breadcrumb([("首页", "/"), ("政府信息公开", f"/col/col{portal}/index.html"), ("部门年报", "")])}
<div class="left_nav"><h3>政府信息公开年报</h3><ul>{"".join(f'<li><a href="{e(h)}">{e(n)}</a></li>' for n, h in nav)}</ul></div>
<div class="right_list"><div class="list_title"><h2>部门年报</h2></div>
<ul class="jpaas-list" id="jpaas-list-{jp_id}"></ul><div id="jpaas-pager"></div>
<script src="/jpaas/common/js/jquery.min.js"></script>
<script>
var unitParams = {json.dumps(params, ensure_ascii=False)};
function loadPage(n){{ unitParams.pageNo = n;
  $.ajax({{ url: '{JPAAS}', type: 'GET', data: unitParams, dataType: 'json',
    success: function(res){{ if(res.success){{ $('#jpaas-list-{jp_id}').html(res.data.html); }} }} }}); }}
loadPage(1);
</script></div>"""
    b.add_html(f"/col/col{jp_id}/index.html", T.frame(s, f"部门年报_{s.site_name}", body,
                                                     meta={"ColumnName": "部门年报", "ColumnType": "部门年报"}), "list")


# ----------------------------------------------------------------------------------------------
# Guangdong gkmlpt (佛山市南海区): _CONFIG shell, JSON list API, post_<id>.html details
# ----------------------------------------------------------------------------------------------

GKMLPT_SID = "757006"
GKMLPT_PAGE = 100


def _gkmlpt_api(site, articles_by_cat: dict, tree: list) -> callable:
    children = {}

    def walk(nodes):
        for n in nodes:
            children[str(n["id"])] = [str(c["id"]) for c in n["children"]]
            walk(n["children"])
    walk(tree)

    def collect(cat: str) -> list[dict]:
        out = list(articles_by_cat.get(cat, []))
        for c in children.get(cat, []):
            out += collect(c)
        return sorted(out, key=lambda a: a["created_at"], reverse=True)

    def handle(req: Request) -> Response:
        cat = req.path.rstrip("/").rsplit("/", 1)[-1]
        if cat not in children or req.arg("sid") != GKMLPT_SID:
            return Response(200, {"Content-Type": "application/json"}, b'{"code":404,"msg":"not found"}', "api")
        size = site.fault_state.get("gkmlpt_page_size", GKMLPT_PAGE)
        page = max(1, int(req.arg("page", "1") or 1))        # page 0 is page 1
        arts = collect(cat)
        host = req.headers.get("host", site.domain)
        scheme = req.scheme

        def absolute(a):
            a = dict(a)
            a["url"] = f"{scheme}://{host}{a['url']}"
            a["attachment"] = [{**x, "url": f"{scheme}://{host}{x['url']}"} for x in a["attachment"]]
            return a
        data = {"classify": {"id": int(cat), "post_count": len(arts)},
                "articles": [absolute(a) for a in arts[(page - 1) * size: page * size]]}
        return Response(200, {"Content-Type": "application/json;charset=utf-8"},
                        json.dumps(data, ensure_ascii=False).encode("utf-8"), "api")
    return handle


def build_gkmlpt(b: _Builder) -> None:
    s, spec = b.site, b.spec
    s.platform = spec["platform"]
    unit = "/nhq"
    index = f"{unit}/gkmlpt/index"
    s.nb_dir, s.nb_path = f"{unit}/gkmlpt/", index
    _home(b, [("政府信息公开", index), ("政府信息公开年报", f"{index}#2340")],
          [("首页", "/"), ("政务公开", index), ("互动交流", "/hdjl/")])
    tree = [
        {"id": 2331, "name": "机构职能", "children": [], "jump_url": "", "post_count": 12},
        {"id": 2335, "name": "政策文件", "children": [], "jump_url": "", "post_count": 230},
        {"id": 2340, "name": "政府信息公开年报", "jump_url": "", "post_count": 0, "children": [
            {"id": 2341, "name": "区政府", "children": [], "jump_url": "", "post_count": 0},
            {"id": 2342, "name": "区直部门", "children": [], "jump_url": "", "post_count": 0},
            {"id": 2343, "name": "镇（街道）", "children": [], "jump_url": "", "post_count": 0}]},
        {"id": 2350, "name": "政府信息公开指南", "children": [], "jump_url": f"{unit}/gkmlpt/content/0/1/post_1001.html",
         "post_count": 1},
    ]
    by_cat: dict[str, list[dict]] = {}

    def publish(agency, title_name, kind, year, doc_type, cat):
        r = b.make(agency, title_name, kind, year)
        date = b.pub_date(r)
        pid = 960000 + b.doc_id(date) % 40000
        page = f"/gkmlpt/content/{pid // 1000000}/{pid // 1000}/post_{pid}.html"
        attachments = []
        doc_path = None
        if doc_type != "html":
            ext = "pdf" if doc_type == "pdf" else "docx"
            doc_path = f"/attachment/{pid // 1000000}/{pid // 1000}/{pid}/{int(_hex(pid)[:7], 16)}.{ext}"
            _report_doc(b, r, doc_type, doc_path)
            attachments.append({"name": f"{r.title}.{ext}", "url": doc_path})
        f = _fields(b, r.agency, date, dt.date.fromisoformat(r.date), r.title)
        body = render_html_body(r) if doc_type == "html" else \
            f'<p style="text-indent:2em;">现将《{e(r.title)}》予以公开，详见附件。</p>'
        _gkmlpt_detail(b, page, pid, r.title, date, body, f, attachments)
        by_cat.setdefault(str(cat), []).append({
            "id": pid, "title": r.title, "identifier": f["index_no"], "publisher": r.agency,
            "created_at": f"{date.isoformat()} 10:{pid % 60:02d}:00", "url": page, "attachment": attachments})
        _expected(b, r, doc_type, page, doc_path or page, date, f["index_no"], index)

    gov, tname, y0, y1 = spec["government"]
    types = {2019: "pdf", 2020: "docx", 2021: "html", 2022: "pdf", 2023: "docx", 2024: "html"}
    for year in range(y0, y1 + 1):
        publish(gov, tname, "government", year, types[year], 2341)
    for agency, y0d, y1d in spec["departments"]:
        for year in range(y0d, y1d + 1):
            publish(agency, agency, "department", year, _doc_type(b.rng, "department"), 2342)
    for agency, short, y0d, y1d in spec["townships"]:
        for year in range(y0d, y1d + 1):
            publish(agency, short, "township", year, _doc_type(b.rng, "township"), 2343)
    # noise in the category: a notice about the reports
    d = dt.date(2024, 1, 8)
    t = "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知"
    page = "/gkmlpt/content/0/955/post_955001.html"
    f = _fields(b, "佛山市南海区人民政府办公室", d, d, t)
    _gkmlpt_detail(b, page, 955001, t, d, "<p>请各单位按时编制并公开年度报告。</p>", f, [])
    by_cat.setdefault("2341", []).append({"id": 955001, "title": t, "identifier": f["index_no"],
                                          "publisher": "佛山市南海区人民政府办公室", "created_at": f"{d} 09:00:00",
                                          "url": page, "attachment": []})
    b.noise.append(NoiseItem(s.site_id, t, page, "notice"))
    for node in tree[2]["children"]:
        node["post_count"] = len(by_cat.get(str(node["id"]), []))
    tree[2]["post_count"] = sum(n["post_count"] for n in tree[2]["children"])
    config = {"SID": GKMLPT_SID, "SITE_NAME": s.site_name, "TREE": tree}
    shell = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="SiteName" content="{e(s.site_name)}"><meta name="ColumnName" content="政府信息公开">
<title>政府信息公开_{e(s.site_name)}</title>
<link href="/gkmlpt/static/css/app.8d1f5c.css" rel="stylesheet">
<script>window._CONFIG = {{SID: '{GKMLPT_SID}', SITE_ID: 2, SITE_NAME: '{s.site_name}', TREE: {json.dumps(config["TREE"], ensure_ascii=False)}, CATEGORY_TYPE: 'default'}};</script>
</head><body><div id="app"></div>
<script src="/gkmlpt/static/js/manifest.2ae2e69a.js"></script><script src="/gkmlpt/static/js/app.5e1b0a7c.js"></script>
</body></html>"""
    b.add_html(index, shell, "list")
    api = Resource("application/json", role="api", handler=_gkmlpt_api(s, by_cat, tree))
    for cat in ("2331", "2335", "2340", "2341", "2342", "2343", "2350"):
        s.add(f"/gkmlpt/api/all/{cat}", api)


def _gkmlpt_detail(b: _Builder, path: str, pid: int, title: str, date: dt.date, body: str, f: dict,
                   attachments: list[dict]) -> None:
    s = b.site
    rows = [("索引号", f["index_no"], "分类", "政务公开"), ("发布机构", f["publisher"], "成文日期", f["written"]),
            ("名称", title, None, None), ("文号", f["doc_number"], "发布日期", f["published"]), ("主题词", "", None, None)]
    table = '<table class="classify">' + "".join(
        f'<tr><td class="td-label">{a}：</td><td class="td-value"{" colspan=3" if c is None else ""}>{e(bv)}</td>'
        + (f'<td class="td-label">{c}：</td><td class="td-value">{e(d)}</td>' if c else "") + "</tr>"
        for a, bv, c, d in rows) + "</table>"
    att = ""
    if attachments:
        att = '<div class="attachment"><p>附件：</p>' + "".join(
            f'<p><a href="{e(a["url"])}" target="_blank">{e(a["name"])}</a></p>' for a in attachments) + "</div>"
    detail = {"id": pid, "title": title, "identifier": f["index_no"], "publisher": f["publisher"],
              "date": f["published"], "attachment": attachments}
    page = f"""{T.breadcrumb([("首页", "/"), ("政府信息公开", "/nhq/gkmlpt/index"), ("政府信息公开年报", "")])}
<div class="detail">
{table}
<div class="content-title"><h1>{e(title)}</h1></div>
<div class="article-content">
{body}
</div>
{att}
</div>
<script>window._CONFIG = {{SID: '{GKMLPT_SID}', DETAIL: {json.dumps(detail, ensure_ascii=False)}}};</script>"""
    meta = _std_meta(b, "政府信息公开年报", title, date, f["publisher"], f"http://{s.domain}{path}")
    b.add_html(path, T.frame(s, title, page, meta=meta), "detail", last_modified=date.isoformat())


# ----------------------------------------------------------------------------------------------
# an unknown CMS (安化县): link text only, GB2312, 下一页, year sub-folders, township sub-columns
# ----------------------------------------------------------------------------------------------

def _generic_list(b: _Builder, path: str, name: str, items: list[tuple[str, str, str]], links: list[tuple[str, str]],
                  per: int = 0) -> None:
    """A list at `path` (Index.aspx), `per` items a page with 上一页/下一页 links (Index_2.aspx …)."""
    s = b.site
    pages = max(1, math.ceil(len(items) / per)) if per else 1
    base = path.rsplit("/", 1)[0] + "/"
    for k in range(pages):
        chunk = items[k * per:(k + 1) * per] if per else items
        rows = "".join(f'<tr><td class="bt"><a href="{e(h)}" title="{e(t)}" target="_blank">{e(t)}</a></td>'
                       f'<td class="sj">[{d}]</td></tr>' for h, t, d in chunk)
        pager = ""
        if pages > 1:
            prev = f'<a href="{base}Index{"" if k == 1 else f"_{k}"}.aspx">上一页</a>' if k > 0 else "<span>上一页</span>"
            nxt = f'<a href="{base}Index_{k + 2}.aspx">下一页</a>' if k < pages - 1 else "<span>下一页</span>"
            pager = f'<div class="pager">共{len(items)}条 第{k + 1}/{pages}页 {prev} {nxt}</div>'
        sub = "".join(f'<li><a href="{e(h)}">{e(n)}</a></li>' for n, h in links)
        body = f"""<div class="location">您的位置：<a href="/">首页</a> &gt; <a href="/Category_31/Index.aspx">政务公开</a> &gt; {e(name)}</div>
<div class="sidebar"><ul>{sub}</ul></div>
<div class="listbox"><h3>{e(name)}</h3><table class="newslist">{rows}</table>{pager}</div>"""
        page_path = path if k == 0 else f"{base}Index_{k + 1}.aspx"
        b.add_html(page_path, _gb_frame(s, f"{name}-{s.site_name}", body), "list", charset="gb2312",
                   header_charset=False)


def _gb_frame(s, title: str, body: str) -> str:
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>{e(title)}</title><link href="/Skin/default.css" rel="stylesheet" type="text/css" />
</head><body>
<div id="top"><a href="/">网站首页</a> | <a href="/Category_31/Index.aspx">政务公开</a> | <a href="/Category_40/Index.aspx">办事服务</a></div>
<div id="main">{body}</div>
<div id="foot">主办：{e(s.site_name)}办公室　{e(s.icp)}　网站标识码：{e(s.site_code)}</div>
</body></html>"""


def build_generic(b: _Builder) -> None:
    s, spec = b.site, b.spec
    s.platform = spec["platform"]
    nb = "/Category_88/Index.aspx"
    s.nb_dir, s.nb_path = "/Category_88/", nb
    home = f"""<div class="banner">{e(s.site_name)}</div>
<div class="box"><h3>政务要闻</h3><ul><li><a href="/Item/30001.aspx">安化县召开2024年度政务公开工作会议</a></li></ul></div>
<div class="box"><h3>快速通道</h3><ul><li><a href="/Category_31/Index.aspx">政务公开</a></li>
<li><a href="/Category_40/Index.aspx">办事服务</a></li><li><a href="http://www.yiyang.gov.cn/">益阳市人民政府</a></li></ul></div>"""
    b.add_html("/", _gb_frame(s, s.site_name, home), "home", charset="gb2312", header_charset=False)
    b.add_html("/Item/30001.aspx", _gb_frame(s, "安化县召开2024年度政务公开工作会议",
               '<div id="zoom"><p>会议部署了本年度政务公开工作。</p></div>'), "detail", charset="gb2312", header_charset=False)
    portal = ('<div class="listbox"><h3>政务公开</h3><ul>'
              '<li><a href="/Category_32/Index.aspx">政府信息公开指南</a></li>'
              '<li><a href="/Category_33/Index.aspx">政策文件</a></li>'
              '<li><a href="/Category_88/Index.aspx">政府信息公开年报</a></li>'
              '<li><a href="/Category_35/Index.aspx">依申请公开</a></li></ul></div>')
    b.add_html("/Category_31/Index.aspx", _gb_frame(s, f"政务公开-{s.site_name}", portal), "page", charset="gb2312",
               header_charset=False)
    for c, n in (("32", "政府信息公开指南"), ("33", "政策文件"), ("35", "依申请公开"), ("40", "办事服务")):
        b.add_html(f"/Category_{c}/Index.aspx", _gb_frame(s, n, f"<h3>{n}</h3><p>栏目内容。</p>"), "page",
                   charset="gb2312", header_charset=False)

    def publish(agency, title_name, kind, year, doc_type):
        r = b.make(agency, title_name, kind, year)
        date = b.pub_date(r)
        did = 40000 + b.doc_id(date) % 20000
        page = f"/Item/{did}.aspx"
        doc_path = None
        if doc_type != "html":
            ext = "pdf" if doc_type == "pdf" else "docx"
            doc_path = f"/UploadFiles/{date.year}/{date.month}/{date:%Y%m%d}{did:06d}{b.rng.randint(100, 999)}.{ext}"
            _report_doc(b, r, doc_type, doc_path)
        body = _report_body(b, r, doc_type, doc_path, f"{r.title}.{'pdf' if doc_type == 'pdf' else 'docx'}")
        f = _fields(b, r.agency, date, dt.date.fromisoformat(r.date), r.title)
        text = f"""<div class="location">您的位置：<a href="/">首页</a> &gt; 政府信息公开年报</div>
<div class="article"><h1>{e(r.title)}</h1>
<div class="info">发布时间：{date.isoformat()}　来源：{e(r.agency)}</div>
{T.meta_block("wuhan", f)}
<div id="zoom">{body}</div></div>"""
        b.add_html(page, _gb_frame(s, r.title, text), "detail", charset="gb2312", header_charset=False,
                   last_modified=date.isoformat())
        _expected(b, r, doc_type, page, doc_path or page, date, f["index_no"], nb)
        return page, r.title, date.isoformat()

    gov, tname, y0, y1 = spec["government"]
    types = {2019: "pdf", 2020: "html", 2021: "docx", 2022: "html", 2023: "pdf", 2024: "html"}
    main_items, by_year = [], {}
    for year in range(y0, y1 + 1):
        item = publish(gov, tname, "government", year, types[year])
        (main_items if year <= 2021 else by_year.setdefault(year, [])).append(item)
    for agency, y0d, y1d in spec["departments"]:
        for year in range(y0d, y1d + 1):
            item = publish(agency, agency, "department", year, _doc_type(b.rng, "department"))
            (main_items if year <= 2021 else by_year.setdefault(year, [])).append(item)
    # older reports and noise directly in the column, three a page; the years in sub-folders
    d = dt.date(2021, 3, 2)
    b.add_html("/Item/30002.aspx", _gb_frame(s, "安化县2020年度政务公开工作要点", '<div id="zoom"><p>要点。</p></div>'),
               "detail", charset="gb2312", header_charset=False)
    main_items.append(("/Item/30002.aspx", "安化县2020年度政务公开工作要点", d.isoformat()))
    b.noise.append(NoiseItem(s.site_id, "安化县2020年度政务公开工作要点", "/Item/30002.aspx", "letter"))
    main_items.sort(key=lambda x: x[2], reverse=True)
    years = sorted(by_year, reverse=True)
    sub_links = [(f"{y}年度", f"/Category_88/{y}/Index.aspx") for y in years] + [("乡镇年报", "/Category_89/Index.aspx")]
    _generic_list(b, nb, "政府信息公开年报", main_items, sub_links, per=3)
    for y in years:
        items = sorted(by_year[y], key=lambda x: x[2], reverse=True)
        _generic_list(b, f"/Category_88/{y}/Index.aspx", f"{y}年度", items, sub_links)
    towns = []
    for agency, short, code, y0d, y1d in spec["townships"]:
        items = [publish(agency, short, "township", year, _doc_type(b.rng, "township")) for year in range(y0d, y1d + 1)]
        _generic_list(b, f"/Category_89/{code}/Index.aspx", short, sorted(items, key=lambda x: x[2], reverse=True),
                      [])
        towns.append((short, f"/Category_89/{code}/Index.aspx"))
    _generic_list(b, "/Category_89/Index.aspx", "乡镇年报", [], towns)


# ----------------------------------------------------------------------------------------------
# a JavaScript-built list (成都市武侯区): a computed location.replace shell, a list written by script
# ----------------------------------------------------------------------------------------------

def build_jslist(b: _Builder) -> None:
    s, spec = b.site, b.spec
    s.platform = spec["platform"]
    col_dir = "/wh/c1019/"
    s.nb_dir, s.nb_path = col_dir, f"{col_dir}list.shtml"
    _home(b, [("政府信息公开", "/wh/c1018/xxgk.shtml")], [("首页", "/"), ("政府信息公开", "/wh/c1018/xxgk.shtml")])
    b.add_html("/wh/c1018/xxgk.shtml", T.simple_page(s, "政府信息公开", [("首页", "/"), ("政府信息公开", "")], T.link_list([
        ("政府信息公开指南", "/wh/c1017/zn.shtml"), ("政府信息公开年报", f"{col_dir}nb.shtml")]), "政府信息公开"))
    b.add_html("/wh/c1017/zn.shtml", T.simple_page(s, "政府信息公开指南", [("首页", "/")], "<p>指南。</p>"))
    # the shell: its target is computed, no literal URL for a regex to find
    b.add_html(f"{col_dir}nb.shtml", '<html><head><meta charset="utf-8"><script type="text/javascript">'
               'var d="/wh/"+"c10"+(18+1)+"/";window.location.replace(d+["list","shtml"].join("."));'
               "</script></head><body></body></html>", "shell")
    col = b.column(col_dir, "政府信息公开年报", per_page=100, style="li_span", layout="wuhan",
                   crumbs=[("首页", "/"), ("政府信息公开", "/wh/c1018/xxgk.shtml"), ("政府信息公开年报", "")])
    gov, tname, y0, y1 = spec["government"]
    types = {2021: "pdf", 2022: "html", 2023: "docx", 2024: "pdf"}
    for year in range(y0, y1 + 1):
        b.publish(col, b.make(gov, tname, "government", year), types[year])
    for agency, y0d, y1d in spec["departments"]:
        for year in range(y0d, y1d + 1):
            b.publish(col, b.make(agency, agency, "department", year), _doc_type(b.rng, "department"))
    b.noise_item(col, "武侯区召开2024年度政务公开工作推进会", dt.date(2024, 4, 18), "news", agency=gov)
    entries = sorted(col.entries, key=lambda x: x.date, reverse=True)
    col.entries = entries
    data = [[base64.b64encode(x.href.encode()).decode(), quote(x.title), x.date] for x in entries]
    script = ("(function(){var L=" + json.dumps(data) + ";var u=document.getElementById('nblist');"
              "for(var i=0;i<L.length;i++){var li=document.createElement('li');var a=document.createElement('a');"
              "a.href=atob(L[i][0]);a.title=decodeURIComponent(L[i][1]);a.target='_blank';a.textContent=a.title;"
              "var sp=document.createElement('span');sp.textContent=L[i][2];li.appendChild(a);li.appendChild(sp);"
              "u.appendChild(li);}})();")
    s.add("/wh/js/nblist.js", Resource("application/javascript", script.encode(), role="static"))
    body = f"""{T.breadcrumb(col.crumbs)}
<div class="right_list"><div class="list_title"><h2>政府信息公开年报</h2></div>
<ul class="list" id="nblist"></ul>
<script src="/wh/js/nblist.js"></script>
</div>"""
    b.add_html(s.nb_path, T.frame(s, f"政府信息公开年报_{s.site_name}", body,
                                  meta={"ColumnName": "政府信息公开年报", "ColumnType": "政府信息公开年报"}), "list")
    del s.columns[col_dir]   # not a TRS-paginated column: its one page is written by script


FAMILY_BUILDERS = {"deqing": build_hanweb, "nanhai": build_gkmlpt, "anhua": build_generic, "wuhou": build_jslist}
