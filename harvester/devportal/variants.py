"""Variant portals: every detail portals.md leaves open, drawn from a seed, per CMS family.

The simulated world (world.py, families.py) is one reading of portals.md, one spelling of each thing. Real
portals spell everything differently, so this module draws each open detail of a site from its seed:

    config serialisation   a JS literal (bare keys, single quotes, trailing commas), JSON, a JSON.parse('…')
                           string, one property at a time; extra keys; key order; numbers quoted or not
    list delivery          links; an inline array built into the page by script (`arr[i] = [title, href,
                           date]` + innerHTML); a JSON data block; XHR JSON (records, or an HTML fragment)
                           from a URL in the page's script — or only in an external script (a browser is
                           needed once); an iframe; a POST list form
    pagination             TRS createPageHTML in its four signatures / countPage variables, 下一页 links,
                           API page counts (declared pages, declared records, none), year sub-columns
    navigation             anchors, `onclick="location.href=…"` items, `data-url` items, a menu written by
                           an external script (a browser is needed once)
    charset                declared in a meta tag, in the header only, nowhere (UTF-8 or GBK bytes)
    item markup            ul/li, table rows, divs; titles truncated with the full one in title=
    documents              detail pages with attachments, or list items linking the file itself
                           (Content-Disposition names; URLs with or without an extension)
    fate                   most sites publish; some have an empty report column, no report column at all,
                           or are dead — the crawler must alarm on those with evidence

    variant_site(family, seed, index) -> VariantSite   the site, its ground truth, the draw, the expected outcome
    variant_world(seeds, families)    -> VariantWorld  one site per (family, seed), each on its own 127.0.0.x
    variant_world(n=1000, seed=7)     -> VariantWorld  N sites drawn across the families (a scale world)

Families: `trs`, `hanweb`, `gkmlpt`, `legacy` (an unknown CMS, often GBK), `scripted` (lists built by
script). Everything is deterministic in (family, seed). New real-world variants are added here when met.

One module on purpose (about 1,000 lines): it is one thing — a variant site drawn from one spec dict — read
top to bottom in sections (the draw's vocabulary, page furniture, JS-literal spellings, direct documents, the
list deliveries, one builder per family, the draw and the world, the score against the ground truth); every
section reads and writes the same drawn spec, so splitting it would hand that spec across modules.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import random
from dataclasses import dataclass, field
from urllib.parse import quote

from . import templates as T
from .faults import Request, Response
from .families import (JPAAS, PROXY, _datastore, _downfile, _fields, _gb_frame, _hanweb_detail, _hanweb_proxy,
                       _hanweb_record, _report_body, _std_meta)
from .render import render_docx, render_html_body, render_pdf
from .builder import _Builder, _abs, _static, _unpublish
from .model import Column, DOCX, ExpectedReport, HTML_UTF8, NoiseItem, PDF, Resource, Site, World

e = T.e

FAMILIES = ("trs", "hanweb", "gkmlpt", "legacy", "scripted")
FATES = {"ok": 80, "empty_column": 7, "no_column": 7, "dead": 6}
EXPECTED_OUTCOME = {"ok": "ok", "empty_column": "no_reports", "no_column": "no_report_column",
                    "dead": "unreachable"}
COLUMN_NAMES = ("政府信息公开年报", "信息公开年报", "公开年报", "政府信息公开工作年度报告", "政府信息公开年度报告",
                "年度报告", "年报")
PLACES = (("江苏省", "淮安市"), ("浙江省", "湖州市"), ("广东省", "佛山市"), ("湖南省", "益阳市"), ("四川省", "成都市"),
          ("福建省", "福州市"), ("河南省", "信阳市"), ("江西省", "赣州市"))
_SYL = ("青白石金云松柳桃梅兰竹溪泉岭川江河湖山林", "阳宁安平和丰源城台峰池湾桥塘坪堡洲沙浦港",
        "东西南北中上下前后新古长永乐福康泰兴隆昌")
DEPARTMENTS = ("教育局", "财政局", "民政局", "卫生健康局", "自然资源局", "交通运输局", "市场监督管理局", "水利局")
TOWNS = ("城关镇", "新桥镇", "东坪镇", "河口镇", "双溪乡", "西湖街道")


@dataclass
class VariantSite:
    site: Site
    reports: list[ExpectedReport]
    noise: list[NoiseItem]
    draw: dict[str, str]
    expect: str                 # the outcome a correct crawler records: ok, no_reports, no_report_column, unreachable
    needs_browser: bool = False  # only a browser (once) shows the way to the list


@dataclass
class VariantWorld(World):
    draws: dict[str, dict] = field(default_factory=dict)      # site_id -> the variant drawn
    expect: dict[str, str] = field(default_factory=dict)      # site_id -> expected outcome
    browser: set[str] = field(default_factory=set)            # site ids that need one render


# ----------------------------------------------------------------------------------------------
# the site's identity and agencies
# ----------------------------------------------------------------------------------------------

def _county(family: str, seed: int) -> str:
    """A county name unique to (family, seed) for seeds 0-999."""
    k = FAMILIES.index(family) * 1000 + seed % 1000
    a, b, c = k % 20, (k // 20) % 20, (k // 400) % 20
    return _SYL[0][a] + _SYL[1][b] + _SYL[2][c] + ("县" if k % 3 else "区")


def _spec(family: str, seed: int, ext: str) -> dict:
    county = _county(family, seed)
    province, city = PLACES[seed % len(PLACES)]
    code = f"{9000000000 + FAMILIES.index(family) * 100000 + seed:010d}"
    return {"site_id": f"{family}{seed:03d}", "name": f"{county}人民政府", "site_name": f"{county}人民政府",
            "province": province, "city": city, "county": county, "domain": f"www.v{family}{seed}.gov.cn",
            "site_code": code, "short": county, "icp": f"ICP备{code[-6:]}号", "start_path": "/", "ext": ext}


def _agencies(rng: random.Random, county: str, full_titles: bool, many: bool = False) -> list[tuple[str, str, str, int]]:
    """(agency, name in titles, kind, year) of every report the site publishes: 4–10 — or, `many`, about 20 (more
    years, departments and townships: a county portal of the scale world)."""
    if many:
        return _many_agencies(rng, county, full_titles)
    out = []
    gov_name = f"{county}人民政府"
    y1 = rng.choice([2023, 2024])
    for year in range(y1 - rng.randint(1, 3), y1 + 1):
        out.append((gov_name, gov_name if full_titles or rng.random() < 0.3 else county, "government", year))
    for dep in rng.sample(DEPARTMENTS, rng.randint(1, 2)):
        agency = f"{county}{dep}"
        for year in range(y1 - rng.randint(0, 1), y1 + 1):
            out.append((agency, agency, "department", year))
    if rng.random() < 0.5:
        town = rng.choice(TOWNS)
        agency = f"{county}{town}人民政府" if not town.endswith("街道") else f"{county}{town}办事处"
        out.append((agency, agency if full_titles else f"{county}{town}", "township", y1))
    return out


def _many_agencies(rng: random.Random, county: str, full_titles: bool) -> list[tuple[str, str, str, int]]:
    out = []
    gov_name = f"{county}人民政府"
    y1 = rng.choice([2023, 2024])
    for year in range(y1 - rng.randint(4, 6), y1 + 1):
        out.append((gov_name, gov_name if full_titles or rng.random() < 0.3 else county, "government", year))
    for dep in rng.sample(DEPARTMENTS, rng.randint(4, 5)):
        agency = f"{county}{dep}"
        for year in range(y1 - rng.randint(1, 2), y1 + 1):
            out.append((agency, agency, "department", year))
    for town in rng.sample(TOWNS, 2):
        agency = f"{county}{town}人民政府" if not town.endswith("街道") else f"{county}{town}办事处"
        out.append((agency, agency if full_titles else f"{county}{town}", "township", y1))
    return out


def _doc_type(rng: random.Random) -> str:
    return rng.choices(["html", "pdf", "docx"], [60, 25, 15])[0]


# ----------------------------------------------------------------------------------------------
# pages: charset, navigation, item markup
# ----------------------------------------------------------------------------------------------

def _add_page(b: _Builder, d: dict, path: str, text: str, role: str = "page", last_modified: str | None = None) -> None:
    """A page in the site's encoding, its charset declared as drawn: in a meta tag, in the header only, nowhere."""
    enc = d["encoding"]
    tags = ('<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />',
            f'<meta http-equiv="Content-Type" content="text/html; charset={enc}">')
    if d["charset"] != "meta":
        for tag in tags:
            text = text.replace(tag, "")
    elif enc != "utf-8":
        text = text.replace(tags[0], tags[2])
    else:
        text = text.replace(tags[1], tags[0])
    body = text.encode("utf-8") if enc == "utf-8" else text.encode("gbk", errors="xmlcharrefreplace")
    ctype = f"text/html; charset={'utf-8' if enc == 'utf-8' else 'GBK'}" if d["charset"] == "header" else "text/html"
    if d["charset"] == "meta" and enc == "utf-8":
        ctype = HTML_UTF8
    b.site.add(path, Resource(ctype, body, role=role, last_modified=last_modified))


def _nav(style: str, links: list[tuple[str, str]], cls: str = "nav-list") -> str:
    """Navigation items: anchors, onclick spans, or data-url items."""
    items = []
    for text, href in links:
        if style == "onclick":
            items.append(f'<li><span class="lnk" onclick="window.location.href=\'{e(href)}\'">{e(text)}</span></li>')
        elif style == "data_url":
            items.append(f'<li class="lnk" data-url="{e(href)}">{e(text)}</li>')
        else:
            items.append(f'<li><a href="{e(href)}">{e(text)}</a></li>')
    return f'<ul class="{cls}">' + "".join(items) + "</ul>"


def _items(entries: list[T.ListEntry], markup: str, link: str, base_dir: str, rng: random.Random) -> str:
    """List items as drawn: ul/li, table rows or divs; linked by <a>, onclick or data-url."""
    rows = []
    for x in entries:
        href = _abs(base_dir, x.href) if rng.random() < 0.5 else x.href
        shown = x.display or x.title
        if link == "anchor":
            a = f'<a href="{e(href)}" title="{e(x.title)}" target="_blank">{e(shown)}</a>'
            cell = {"ul": f"<li>{a}<span>{x.date}</span></li>",
                    "table": f'<tr><td class="title">{a}</td><td class="date">{x.date}</td></tr>',
                    "div": f'<div class="item">{a}<em>{x.date}</em></div>'}[markup]
        else:
            attr = (f'onclick="location.href=\'{e(href)}\'"' if link == "onclick" else f'data-url="{e(href)}"')
            cell = {"ul": f'<li {attr}><span class="t">{e(x.title)}</span><span class="d">{x.date}</span></li>',
                    "table": f'<tr {attr}><td>{e(x.title)}</td><td>{x.date}</td></tr>',
                    "div": f'<div class="item" {attr}><p>{e(x.title)}</p><i>{x.date}</i></div>'}[markup]
        rows.append(cell)
    wrap = {"ul": ('<ul class="list" id="list">', "</ul>"), "table": ('<table class="list" id="list">', "</table>"),
            "div": ('<div class="list" id="list">', "</div>")}[markup]
    return wrap[0] + "\n".join(rows) + wrap[1]


# ----------------------------------------------------------------------------------------------
# serialising data as drawn
# ----------------------------------------------------------------------------------------------

def _js(value, style: str, rng: random.Random) -> str:
    """A value written as JSON, or as a JS literal: bare keys, single quotes, trailing commas, spacing."""
    if style == "json":
        return json.dumps(value, ensure_ascii=rng.random() < 0.3)
    sq = style in ("js", "single")

    def lit(v):
        if isinstance(v, dict):
            parts = [f"{k if style == 'js' and str(k).isidentifier() else _quote(str(k), sq)}: {lit(x)}"
                     for k, x in v.items()]
            return "{" + ", ".join(parts) + (", " if parts and rng.random() < 0.3 else "") + "}"
        if isinstance(v, list):
            parts = [lit(x) for x in v]
            return "[" + ", ".join(parts) + ("," if parts and rng.random() < 0.3 else "") + "]"
        if isinstance(v, str):
            return _quote(v, sq)
        if isinstance(v, bool):
            return "true" if v else "false"
        return json.dumps(v)
    return lit(value)


def _quote(s: str, single: bool) -> str:
    if not single:
        return json.dumps(s, ensure_ascii=False)
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _assign(name: str, value, style: str, rng: random.Random) -> str:
    """`name = value` as the draw says: a literal, JSON, or JSON.parse('…') of a JSON string."""
    if style == "json_parse":
        text = json.dumps(value, ensure_ascii=False).replace("\\", "\\\\").replace("'", "\\'")
        return f"{name} = JSON.parse('{text}');"
    return f"{name} = {_js(value, style, rng)};"


def _shuffled(d: dict, rng: random.Random, extra: bool) -> dict:
    items = list(d.items())
    if extra:
        items += [("_t", rng.randint(1, 10 ** 9)), ("theme", rng.choice(["red", "blue"])), ("ver", "2.3.1")]
    rng.shuffle(items)
    return dict(items)


# ----------------------------------------------------------------------------------------------
# documents
# ----------------------------------------------------------------------------------------------

def _direct_document(b: _Builder, col: Column, r, doc_type: str, d: dict, date: dt.date) -> ExpectedReport:
    """A list item linking the report's file itself, named by Content-Disposition; its URL with an extension,
    a download hint, or neither."""
    ext = "pdf" if doc_type == "pdf" else "docx"
    uid = int(hashlib.md5(f"{b.site.site_id}{r.agency}{r.year}".encode()).hexdigest()[:8], 16)
    style = b.rng.choice(["ext", "download", "bare"])
    path = {"ext": f"{col.dir}{date:%Y%m}/P0{date:%Y%m%d}{uid % 10 ** 8:08d}.{ext}",
            "download": f"/attach/download.jsp?fileid={uid}",
            "bare": f"/files/{uid:x}"}[style]
    name = f"{r.title}.{ext}"
    cd = (f"attachment; filename*=UTF-8''{quote(name)}" if b.rng.random() < 0.5
          else f'attachment; filename="{quote(name)}"')
    ctype = b.rng.choice([PDF if ext == "pdf" else DOCX, "application/octet-stream"])
    maker = (lambda r=r: render_pdf(r)) if doc_type == "pdf" else (lambda r=r: render_docx(r))
    b.site.add(path, Resource(ctype, make=maker, role="attachment", last_modified=date.isoformat(),
                              headers={"Content-Disposition": cd}))
    col.entries.append(T.ListEntry(path, r.title, date.isoformat()))
    exp = ExpectedReport(site_id=b.site.site_id, agency=r.agency, year=r.year, format=r.fmt, doc_type=doc_type,
                         page_url=path, document_url=path, cells=dict(r.cells), expected_json=None, kind=r.kind,
                         title=r.title, publish_date=date.isoformat(), publisher=r.agency, column=col.dir,
                         facts=dict(r.facts))
    b.reports.append(exp)
    return exp


def _publish_all(b: _Builder, col: Column, d: dict, agencies, publish_detail) -> None:
    """Every report of the site into `col`: a detail page (publish_detail) or, as drawn, a direct file link."""
    direct_share = {"detail": 0.0, "mixed": 0.5, "direct": 1.0}[d["documents"]]
    for agency, tname, kind, year in agencies:
        r = b.make(agency, tname, kind, year)
        doc_type = _doc_type(b.rng)
        if doc_type != "html" and b.rng.random() < direct_share:
            _direct_document(b, col, r, doc_type, d, b.pub_date(r))
        else:
            publish_detail(r, doc_type)


def _noise(b: _Builder, col: Column, agency: str, county: str) -> None:
    b.noise_item(col, f"{county}召开2024年度政务公开工作推进会", dt.date(2024, 4, 9), "news", agency=agency)
    if b.rng.random() < 0.5:
        b.noise_item(col, "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知", dt.date(2024, 1, 5), "notice",
                     agency=f"{county}人民政府办公室")


# ----------------------------------------------------------------------------------------------
# list delivery shared by the TRS, legacy and scripted families
# ----------------------------------------------------------------------------------------------

def _trs_pager(d: dict, rng: random.Random, pages: int, k: int, name: str, ext: str, records: int) -> str:
    """A TRS pagination script as drawn: signatures 1-4 or countPage variables, in any spelling."""
    sig = d["pager"]
    q = rng.choice(['"', "'"])
    num = (lambda n: f"{q}{n}{q}") if d["numbers"] == "quoted" else (lambda n: str(n))
    via_vars = d["numbers"] == "variables"
    head = ""
    if via_vars:
        head = (f"var _nPageCount = {pages};\nvar _nCurrIndex = {k};\nvar _nCurPage = {k + 1};\n"
                f"var _nRecords = {records};\n")
        pc, ci, cur, rc = "_nPageCount", "_nCurrIndex", "_nCurPage", "_nRecords"
    else:
        pc, ci, cur, rc = num(pages), num(k), num(k + 1), num(records)
    if sig == "sig1":
        call = f"createPageHTML({pc}, {ci}, {q}{name}{q}, {q}{ext}{q});"
    elif sig == "sig3":
        call = f"createPageHTML({q}page_div{q},{pc}, {cur},{q}{name}{q},{q}{ext}{q},{rc});"
    elif sig == "sig4":
        call = f"createPageHTML({rc}, {pc}, {ci}, {q}{name}{q}, {q}{ext}{q})"
    else:   # countPage variables, written as drawn
        form = rng.choice(["vars", "vars_quoted", "object"])
        if form == "object":
            call = f"var pageInfo = {_js({'countPage': pages, 'currentPage': k, 'countnum': records}, d['config'], rng)};"
        elif form == "vars_quoted":
            call = f'var currentPage = "{k}";//所在页从0开始\nvar countPage="{pages}";\nvar countnum = {records};'
        else:
            call = f"var currentPage = {k};//所在页从0开始\nvar countPage = {pages}//共多少页\nvar countnum= {records};"
        call += "\ndocument.write('共' + countPage + '页');"
        head = ""
    return f'<div id="page_div" class="page"></div><script>\n{head}{call}\n</script>'


def _page_name(sig: str, k: int, name: str, ext: str) -> str:
    if k == 0:
        return f"{name}.{ext}"
    return f"{name}_{k + 1 if sig == 'sig3' else k}.{ext}"


def _list_page_body(b: _Builder, d: dict, col: Column, chunk, pager: str, crumbs) -> str:
    tabs = ""
    if col.nav:
        tabs = '<div class="left_nav"><h3>' + e(col.nav_title or col.name) + "</h3>" + _nav(d["navigation"], col.nav) \
            + "</div>"
    items = _items(chunk, d["markup"], d["item_link"], col.dir, b.rng)
    return (f"{T.breadcrumb(crumbs)}\n{tabs}\n<div class=\"right_list\"><div class=\"list_title\"><h2>{e(col.name)}</h2>"
            f"</div>\n{items}\n{pager}\n</div>")


def _frame(b: _Builder, d: dict, title: str, body: str, meta: dict | None = None) -> str:
    if d["family"] == "legacy":
        return _gb_frame(b.site, title, body)
    return T.frame(b.site, title, body, meta=meta)


def _render_links(b: _Builder, d: dict, col: Column, entries, crumbs) -> str:
    """List pages (in col.dir) with the entries as links, paginated as drawn; returns the first page's path."""
    page_dir = col.dir
    per = col.per_page
    pages = max(1, math.ceil(len(entries) / per))
    ext, name = col.ext, col.page_name
    meta = {"ColumnName": col.name, "ColumnType": col.name}
    for k in range(pages):
        chunk = entries[k * per:(k + 1) * per]
        if d["pagination"] == "next_links":
            prev = (f'<a href="{_page_name("sig1", k - 1, name, ext)}">上一页</a>' if k else "<span>上一页</span>")
            nxt = (f'<a href="{_page_name("sig1", k + 1, name, ext)}">下一页</a>' if k < pages - 1
                   else "<span>下一页</span>")
            pager = f'<div class="pager">共{len(entries)}条 第{k + 1}/{pages}页 {prev} {nxt}</div>' if pages > 1 else ""
        else:
            pager = _trs_pager(d, b.rng, pages, k, name, ext, len(entries))
        sig = d["pager"] if d["pagination"] == "script" else "sig1"
        path = page_dir + _page_name(sig, k, name, ext)
        _add_page(b, d, path, _frame(b, d, f"{col.name}_{b.site.site_name}", _list_page_body(b, d, col, chunk, pager,
                                                                                                crumbs), meta), "list")
    return page_dir + f"{name}.{ext}"


def _records(entries, col: Column, keys: tuple[str, str, str]) -> list[dict]:
    return [{keys[0]: x.title, keys[1]: _abs(col.dir, x.href), keys[2]: x.date} for x in entries]


def _inline_script(b: _Builder, d: dict, col: Column, entries) -> str:
    """The list as inline data and a script building it: `arr[i] = [...]` + innerHTML, a data variable
    (literal, JSON, JSON.parse), or a JSON block."""
    form = d["inline"]
    rng = b.rng
    if form == "arr":
        lines = ["var arr = new Array();"]
        for i, x in enumerate(entries):
            q = rng.choice(['"', "'"])
            lines.append(f"arr[{i}] = [{q}{x.title}{q}, {q}{_abs(col.dir, x.href)}{q}, {q}{x.date}{q}];")
        lines.append('var html = ""; for (var i = 0; i < arr.length; i++) { html += "<li><a href=\'" + arr[i][1] + '
                     '"\' target=\'_blank\'>" + arr[i][0] + "</a><span>" + arr[i][2] + "</span></li>"; }')
        lines.append('document.getElementById("list").innerHTML = html;')
        return "<script>\n" + "\n".join(lines) + "\n</script>"
    keys = rng.choice([("title", "url", "date"), ("name", "href", "time"), ("t", "u", "d"), ("bt", "link", "fbrq")])
    data = {"total": len(entries), "rows": _records(entries, col, keys)} if rng.random() < 0.5 \
        else _records(entries, col, keys)
    build = (f"var L = (listData.rows || listData); var h = ''; for (var i = 0; i < L.length; i++) {{ h += '<li><a href=\"' + "
             f"L[i].{keys[1]} + '\">' + L[i].{keys[0]} + '</a><span>' + L[i].{keys[2]} + '</span></li>'; }}"
             f" document.getElementById('list').innerHTML = h;")
    if form == "json_block":
        return (f'<script type="application/json" id="list-data">{json.dumps(data, ensure_ascii=False)}</script>\n'
                f"<script>var listData = JSON.parse(document.getElementById('list-data').textContent); {build}</script>")
    style = {"json_var": "json", "js_var": "js", "json_parse": "json_parse"}[form]
    return f"<script>\nvar {_assign('listData', data, style, rng)}\n{build}\n</script>"


def _api_handler(rows_html: list[str], records: list[dict], d: dict, per: int):
    """A JSON list API: `?page=`/`pageNo=` (1-based); the answer's shape and totals as drawn; past the last
    page an empty list, or the last page again (an API that answers every page number)."""
    shape, totals, past = d["api_shape"], d["api_totals"], d["api_past_end"]
    pages = max(1, math.ceil(len(records) / per))

    def handle(req: Request) -> Response:
        raw = req.arg("page") or req.arg("pageNo") or req.form("page") or req.form("pageNo") or "1"
        page = max(1, int(raw) if raw.isdigit() else 1)
        if page > pages and past == "repeat":
            page = pages
        lo, hi = (page - 1) * per, page * per
        body: dict = {}
        if shape == "html":
            body = {"code": 0, "html": "".join(rows_html[lo:hi])}
        elif shape == "nested":
            body = {"success": True, "data": {"list": records[lo:hi]}}
        else:
            body = {"rows": records[lo:hi]}
        if totals == "pages":
            (body["data"] if shape == "nested" else body)["pageCount"] = pages
        elif totals == "records":
            (body["data"] if shape == "nested" else body)["total"] = len(records)
        return Response(200, {"Content-Type": "application/json;charset=UTF-8"},
                        json.dumps(body, ensure_ascii=False).encode("utf-8"), "api")
    return handle


def _li(x: T.ListEntry, col: Column) -> str:
    return (f'<li><a href="{e(_abs(col.dir, x.href))}" title="{e(x.title)}" target="_blank">{e(x.title)}</a>'
            f"<span>{x.date}</span></li>")


def _render_xhr(b: _Builder, d: dict, col: Column, entries, crumbs, *, computed: bool) -> str:
    """A column page whose list comes from a JSON API: the call written in the page's script (its URL and
    parameters literal or in variables) — or only in an external script that computes the URL."""
    per = col.per_page
    api = f"/api/{b.rng.choice(['list', 'info/list', 'cms/articles'])}.{b.rng.choice(['do', 'json', 'jsp'])}"
    keys = b.rng.choice([("title", "url", "date"), ("name", "link", "pubDate")])
    recs = _records(entries, col, keys)
    b.site.add(api, Resource("application/json", role="api",
                             handler=_api_handler([_li(x, col) for x in entries], recs, d, per)))
    chnl = str(col.chnl_id)
    page_key = b.rng.choice(["page", "pageNo"])
    render = (f"function show(res){{ var L = res.html !== undefined ? null : (res.rows || res.data.list); "
              f"var el = document.getElementById('list'); if (L === null) {{ el.innerHTML = res.html; return; }} "
              f"var h = ''; for (var i = 0; i < L.length; i++) {{ h += '<li><a href=\"' + L[i].{keys[1]} + '\">' + "
              f"L[i].{keys[0]} + '</a><span>' + L[i].{keys[2]} + '</span></li>'; }} el.innerHTML = h; }}")
    if computed:
        # the URL exists only in an external script, assembled at run time
        parts = api.strip("/").split("/")
        js = (f"(function(){{ var seg = {json.dumps(parts)}; var u = '/' + seg.join('/') + '?channelId=' + "
              f"document.body.getAttribute('data-ch') + '&{page_key}=' + (1) + '&size={per}';\n"
              f"var x = new XMLHttpRequest(); x.open('GET', u); x.onload = function(){{ show(JSON.parse(x.responseText)); }};"
              f" x.send(); }})();\n{render}")
        if d.get("network") == "polling":      # an "online now" counter asked every 300 ms: the network never rests
            b.site.add("/api/online.json", Resource("application/json", b'{"online": 17}', role="api"))
            js += ("\nsetInterval(function(){ var o = new XMLHttpRequest(); o.open('GET', '/api/online.json?t=' + "
                   "Date.now()); o.send(); }, 300);")
        src = f"/js/list.{b.rng.randint(1000, 9999)}.js"
        b.site.add(src, Resource("application/javascript", js.encode("utf-8"), role="static"))
        script = f'<script src="{src}"></script>'
        attr = f' data-ch="{chnl}"'
    else:
        params = {"channelId": chnl, page_key: 1, "size": per}
        style = d["config"] if d["config"] != "json_parse" else "json"
        form = b.rng.choice(["ajax_var", "ajax_inline", "get", "fetch"])
        if form == "ajax_var":
            call = (f"var {_assign('listParams', params, style, b.rng)}\n"
                    f"$.ajax({{url: '{api}', type: 'GET', data: listParams, dataType: 'json', success: show}});")
        elif form == "ajax_inline":
            call = f"$.ajax({{ url: \"{api}\", data: {_js(params, style, b.rng)}, success: function(r){{ show(r); }} }});"
        elif form == "get":
            call = f"$.getJSON('{api}', {_js(params, style, b.rng)}, show);"
        else:
            call = f"fetch('{api}?channelId={chnl}&{page_key}=1&size={per}').then(function(r){{ return r.json(); }}).then(show);"
        script = (f'<script src="/js/jquery.min.js"></script>\n<script>\n{render}\n{call}\n</script>')
        attr = ""
        if "/js/jquery.min.js" not in b.site.resources:
            b.site.add("/js/jquery.min.js", Resource("application/javascript", b"/*! jQuery */\n", role="static"))
    body = (f"{T.breadcrumb(crumbs)}\n<div class=\"right_list\"><div class=\"list_title\"><h2>{e(col.name)}</h2></div>\n"
            f'<ul class="list" id="list"></ul>\n<div id="pager"></div>\n{script}\n</div>')
    page = _frame(b, d, f"{col.name}_{b.site.site_name}", body, {"ColumnName": col.name})
    if attr:
        page = page.replace("<body>", f"<body{attr}>", 1)
    path = col.dir + f"{col.page_name}.{col.ext}"
    _add_page(b, d, path, page, "list")
    return path


def _render_post_form(b: _Builder, d: dict, col: Column, entries, crumbs) -> str:
    """A column page whose list answers a POST form (colId, pageNo hidden fields); later pages by pageNo; the
    page count in a hidden field or a script variable, or nowhere (the list ends with an empty page)."""
    per = col.per_page
    pages = max(1, math.ceil(len(entries) / per))
    action = f"{col.dir}list.do"
    total_mode = b.rng.choice(["hidden", "script", "none"])
    chnl = str(col.chnl_id)
    site = b.site

    def handle(req: Request) -> Response:
        if req.method != "POST" or req.form("colId") != chnl:
            body = "<html><body><p>参数错误</p></body></html>"
        else:
            raw = req.form("pageNo", "1")
            k = max(1, int(raw) if raw.isdigit() else 1)
            chunk = entries[(k - 1) * per:k * per]
            total = {"hidden": f'<input type="hidden" name="totalPage" value="{pages}">',
                     "script": f"<script>var pageCount = {pages};</script>", "none": ""}[total_mode]
            items = _items(chunk, d["markup"], d["item_link"], col.dir, random.Random(k))
            body = _frame(b, d, col.name, f'<div class="list_box">{items}{total}</div>')
        enc = d["encoding"]
        data = body.encode("utf-8") if enc == "utf-8" else body.encode("gbk", errors="xmlcharrefreplace")
        ctype = "text/html" if d["charset"] == "none" else f"text/html; charset={'utf-8' if enc == 'utf-8' else 'GBK'}"
        return Response(200, {"Content-Type": ctype}, data, "list")
    site.add(action, Resource("text/html", role="list", handler=handle))
    form = (f'<form name="pageForm" id="pageForm" method="post" action="{action}">'
            f'<input type="hidden" name="colId" value="{chnl}"><input type="hidden" name="pageNo" value="1">'
            f'<input type="hidden" name="pageSize" value="{per}"></form>'
            f"<div id=\"list\">正在加载……</div><script>function goPage(n){{ document.pageForm.pageNo.value = n; "
            f"document.pageForm.submit(); }}</script>")
    body = f"{T.breadcrumb(crumbs)}\n<div class=\"right_list\"><h2>{e(col.name)}</h2>\n{form}\n</div>"
    path = col.dir + f"{col.page_name}.{col.ext}"
    _add_page(b, d, path, _frame(b, d, f"{col.name}_{site.site_name}", body, {"ColumnName": col.name}), "list")
    return path


def _visible(b: _Builder, entries: list, base_dir: str = "/") -> list:
    """The list entries published by the builder's `as_of` day (all without one); the later ones' pages are
    dropped at the end (world._unpublish): an earlier day of the site, before new reports appeared."""
    if b.as_of is None:
        return list(entries)
    day = b.as_of.isoformat()
    b.unpublished.update(_abs(base_dir, x.href) for x in entries if x.date > day)
    return [x for x in entries if x.date <= day]


def _deliver(b: _Builder, d: dict, col: Column, crumbs) -> str:
    """The column's list pages as drawn; returns the path the column is linked at."""
    entries = _visible(b, sorted(col.entries, key=lambda x: x.date, reverse=True), col.dir)
    col.entries = entries
    delivery = d["delivery"]
    if d["pagination"] == "years" and delivery == "links":
        years = sorted({x.date[:4] for x in entries}, reverse=True)
        col.nav = [(f"{y}年度" if b.rng.random() < 0.7 else y, f"{col.dir}{y}/index.{col.ext}") for y in years]
        for y in years:
            sub = [x for x in entries if x.date.startswith(y)]
            d2 = {**d, "pagination": "next_links" if d["family"] == "legacy" else "script"}
            ycol = Column(dir=f"{col.dir}{y}/", name=f"{y}年度", ext=col.ext, per_page=col.per_page, nav=col.nav,
                          nav_title=col.name, chnl_id=col.chnl_id)
            _render_links(b, d2, ycol, [T.ListEntry(_abs(col.dir, x.href), x.title, x.date) for x in sub],
                          crumbs + [(f"{y}年度", "")])
        body = (f"{T.breadcrumb(crumbs)}\n<div class=\"right_list\"><h2>{e(col.name)}</h2>\n"
                f"{_nav(d['navigation'], col.nav, 'year-list')}\n</div>")
        path = col.dir + f"index.{col.ext}"
        _add_page(b, d, path, _frame(b, d, f"{col.name}_{b.site.site_name}", body, {"ColumnName": col.name}), "list")
        return path
    if delivery == "links":
        return _render_links(b, d, col, entries, crumbs)
    if delivery == "iframe":
        inner_dir = f"{col.dir}{b.rng.choice(['list', 'frame', 'content'])}/"
        inner = Column(dir=inner_dir, name=col.name, ext=col.ext, page_name=col.page_name, per_page=col.per_page,
                       chnl_id=col.chnl_id)
        first = _render_links(b, d, inner, [T.ListEntry(_abs(col.dir, x.href), x.title, x.date) for x in entries],
                              crumbs)
        src = first if b.rng.random() < 0.5 else "./" + first[len(col.dir):]
        body = (f"{T.breadcrumb(crumbs)}\n<div class=\"right_list\"><h2>{e(col.name)}</h2>\n"
                f'<iframe src="{e(src)}" width="100%" height="800" frameborder="0" scrolling="no"></iframe>\n</div>')
        path = col.dir + f"index.{col.ext}"
        _add_page(b, d, path, _frame(b, d, f"{col.name}_{b.site.site_name}", body, {"ColumnName": col.name}), "list")
        return path
    if delivery == "inline":
        body = (f"{T.breadcrumb(crumbs)}\n<div class=\"right_list\"><h2>{e(col.name)}</h2>\n"
                f'{"<ul" if d["markup"] != "table" else "<table"} class="list" id="list">'
                f'{"</ul>" if d["markup"] != "table" else "</table>"}\n{_inline_script(b, d, col, entries)}\n</div>')
        path = col.dir + f"{col.page_name}.{col.ext}"
        _add_page(b, d, path, _frame(b, d, f"{col.name}_{b.site.site_name}", body, {"ColumnName": col.name}), "list")
        return path
    if delivery in ("xhr", "xhr_computed"):
        return _render_xhr(b, d, col, entries, crumbs, computed=delivery == "xhr_computed")
    if delivery == "post_form":
        return _render_post_form(b, d, col, entries, crumbs)
    raise ValueError(delivery)


# ----------------------------------------------------------------------------------------------
# the families
# ----------------------------------------------------------------------------------------------

def _portal_pages(b: _Builder, d: dict, xxgk: str, nb_href: str | None, nb_text: str) -> None:
    """Home page → disclosure portal → its children (the report column among them unless the site has none)."""
    s, ext = b.site, b.spec["ext"]
    portal = f"{xxgk}index.{ext}"
    s.nav = [("首页", "/"), ("政务公开", portal), ("互动交流", f"/hdjl/index.{ext}")]
    children = [("政府信息公开指南", f"{xxgk}zfxxgkzn/index.{ext}"), ("法定主动公开内容", f"{xxgk}fdzdgknr/index.{ext}")]
    if nb_href:
        children.insert(b.rng.randint(0, 2), (nb_text, nb_href))
    children.append(("依申请公开", f"{xxgk}ysqgk/index.{ext}"))
    if d["navigation_home"] == "script":
        # the home page's menu is written by an external script from a computed URL: a browser shows it
        js = (f"(function(){{ var p = ['{xxgk.strip('/')}', 'index'].join('/'); document.getElementById('menu').innerHTML = "
              f"'<a href=\"/' + p + '.{ext}\">政府信息公开</a>'; }})();")
        b.site.add("/js/menu.js", Resource("application/javascript", js.encode(), role="static"))
        home_body = ('<div class="banner"><h1>' + e(s.site_name) + '</h1></div><div id="menu"></div>'
                     '<script src="/js/menu.js"></script>')
        nav, s.nav = s.nav, [("首页", "/")]
        home = _frame(b, d, s.site_name, home_body)
        s.nav = nav
    else:
        home = _frame(b, d, s.site_name, f'<div class="banner"><h1>{e(s.site_name)}</h1></div>'
                      f'<div class="entry">{_nav(d["navigation"], [("政府信息公开", portal), ("互动交流", s.nav[2][1])])}</div>')
    _add_page(b, d, "/", home, "home")
    _add_page(b, d, portal, _frame(b, d, f"政府信息公开_{s.site_name}",
                                   T.breadcrumb([("首页", "/"), ("政府信息公开", "")]) + _nav(d["navigation"], children),
                                   {"ColumnName": "政府信息公开"}), "page")
    for name, href in children:
        if href != nb_href:
            _add_page(b, d, href, _frame(b, d, name, f"<h2>{e(name)}</h2><p>栏目内容。</p>"), "page")
    _add_page(b, d, s.nav[2][1], _frame(b, d, "互动交流", "<p>建设中。</p>"), "page")


def _build_listed(b: _Builder, d: dict, agencies) -> None:
    """TRS, legacy and scripted sites: portal pages, a report column delivered as drawn, TRS detail pages."""
    s = b.site
    ext = b.spec["ext"]
    xxgk = d["xxgk"]
    name = d["column_dir"] if d["column_dir"] != "opaque" else f"c{b.rng.randint(100000, 999999)}"
    nb_dir = f"{xxgk}{name}/"
    col = b.column(nb_dir, d["column_name"], per_page=int(d["per_page"]), page_name=d["page_name"], ext=ext,
                   detail_ext=ext, layout=b.rng.choice(T.LAYOUTS),
                   crumbs=[("首页", "/"), ("政府信息公开", f"{xxgk}index.{ext}"), (d["column_name"], "")])
    county = b.spec["short"]
    if d["fate"] != "empty_column":
        _publish_all(b, col, d, agencies, lambda r, t: b.publish(col, r, t))
    _noise(b, col, s.name, county)
    linked = _deliver(b, d, col, col.crumbs) if d["fate"] != "no_column" else None
    s.nb_dir, s.nb_path = nb_dir, linked or ""
    _portal_pages(b, d, xxgk, linked, d["column_name"])
    del s.columns[nb_dir]      # the pages are written here, not by _Builder.finalize


def _build_hanweb(b: _Builder, d: dict, agencies) -> None:
    s = b.site
    rng = b.rng
    portal, nb_id = str(rng.randint(1229000000, 1229099999)), str(rng.randint(1229100000, 1229199999))
    s.nb_dir, s.nb_path = f"/col/col{nb_id}/", f"/col/col{nb_id}/index.html"
    col_name = d["column_name"]
    col = Column(dir=s.nb_dir, name=col_name)

    def detail(r, doc_type):
        date = b.pub_date(r)
        doc_path, doc_name = _downfile(b, r, doc_type) if doc_type != "html" else (None, "")
        body = _report_body(b, r, doc_type, doc_path, doc_name)
        page, f = _hanweb_detail(b, nb_id, col_name, r.title, date, body, r.agency, dt.date.fromisoformat(r.date))
        b.reports.append(ExpectedReport(site_id=s.site_id, agency=r.agency, year=r.year, format=r.fmt,
                                        doc_type=doc_type, page_url=page, document_url=doc_path or page,
                                        cells=dict(r.cells), expected_json=None, kind=r.kind, title=r.title,
                                        publish_date=date.isoformat(), index_no=f["index_no"], publisher=r.agency,
                                        column=s.nb_path, facts=dict(r.facts)))
        col.entries.append(T.ListEntry(page, r.title, date.isoformat()))

    if d["fate"] != "empty_column":
        _publish_all(b, col, d, agencies, detail)
    news = f"{b.spec['short']}召开2024年度政务公开工作推进会"
    path, _ = _hanweb_detail(b, nb_id, col_name, news, dt.date(2024, 4, 9), "<p>会议部署了年度重点工作。</p>", s.name,
                             dt.date(2024, 4, 9))
    col.entries.append(T.ListEntry(path, news, "2024-04-09"))
    b.noise.append(NoiseItem(s.site_id, news, path, "news"))
    entries = [(x.href, x.title, x.date) for x in _visible(b, sorted(col.entries, key=lambda x: x.date, reverse=True))]
    per = int(d["per_page"])
    home_links = [("政府信息公开", f"/col/col{portal}/index.html")]
    children = [("政府信息公开指南", f"/col/col{int(portal) + 1}/index.html"), ("依申请公开", f"/col/col{int(portal) + 2}/index.html")]
    if d["fate"] != "no_column":
        children.insert(1, (col_name, s.nb_path))
    s.nav = [("首页", "/")] + home_links
    _add_page(b, d, "/", T.frame(s, s.site_name, f'<h1>{e(s.site_name)}</h1>{_nav(d["navigation"], home_links)}'), "home")
    _add_page(b, d, f"/col/col{portal}/index.html", T.frame(s, "政府信息公开", _nav(d["navigation"], children),
                                                            meta={"ColumnName": "政府信息公开"}), "page")
    for name, href in children:
        if href != s.nb_path:
            _add_page(b, d, href, T.frame(s, name, f"<p>{e(name)}</p>", meta={"ColumnName": name}), "page")
    if d["fate"] == "no_column":
        return
    unit = str(rng.randint(4000000, 4999999))
    if d["delivery"] == "jpaas":
        html_items = [f'<li><a href="{e(h)}" title="{e(t)}" target="_blank">{e(t)}</a><span class="date">{dd}</span></li>'
                      for h, t, dd in entries]
        webid = str(rng.randint(1000, 9999))

        def jpaas(req: Request) -> Response:
            if req.arg("pageId") != nb_id or req.arg("webId") != webid:
                data = {"success": False, "message": "参数错误", "data": None}
            else:
                rows = int(req.arg("rows", "15") or 15)
                page = max(1, int(req.arg("pageNo", "1") or 1))
                data = {"success": True, "data": {"html": "".join(html_items[(page - 1) * rows: page * rows])}}
            return Response(200, {"Content-Type": "application/json;charset=UTF-8"},
                            json.dumps(data, ensure_ascii=False).encode("utf-8"), "api")
        s.add(JPAAS, Resource("application/json", role="api", handler=jpaas))
        params = _shuffled({"webId": webid, "pageId": nb_id, "tplSetId": "5d4c1f6a", "pageType": "column",
                            "tagId": "当前栏目list", "pageNo": 1, "rows": per}, rng, d["config_extra"] == "yes")
        decl = _assign("var unitParams", params, d["config"], rng)
        script = (f"<script>\n{decl}\nfunction loadPage(n){{ unitParams.pageNo = n; $.ajax({{ url: '{JPAAS}', type: 'GET', "
                  f"data: unitParams, dataType: 'json', success: function(res){{ $('#jp').html(res.data.html); }} }}); }}\n"
                  f"loadPage(1);\n</script>")
        body = f'<div class="right_list"><h2>{e(col_name)}</h2><ul id="jp"></ul>{script}</div>'
    else:
        records = [_hanweb_record(h, t, dd, i) for i, (h, t, dd) in enumerate(entries)]
        handler_cols = {nb_id: {"records": records, "totalpage_lie": 1}}
        s.add(PROXY, Resource("text/xml", role="api", handler=_hanweb_proxy(s, handler_cols)))
        nextgroup = (f'<a href="{PROXY}?page=1&webid=3174&path=/&columnid={nb_id}&unitid={unit}'
                     f'&webname={quote(s.site_name)}&permissiontype=0"></a>')
        store = _datastore(records[:per], nextgroup=nextgroup)
        ajax = _shuffled({"col": 1, "appid": 1, "webid": 3174, "path": "/", "columnid": int(nb_id),
                          "sourceContentType": 1, "unitid": unit, "webname": s.site_name, "permissiontype": 0},
                         rng, d["config_extra"] == "yes")
        if d["numbers"] == "quoted":
            ajax = {k: str(v) for k, v in ajax.items()}
        conf = {"dataStore": "__DS__", "proxyUrl": PROXY, "perPage": per, "groupSize": 3, "barPosition": "bottom",
                "ajaxParam": ajax}
        if rng.random() < 0.6:
            conf["totalRecord"] = len(records)
        conf = _shuffled(conf, rng, False)
        if d["config"] == "json_parse":        # the configuration parsed from a string, then handed over
            conf.pop("dataStore")
            script = (f"var {_assign('jpConf', conf, 'json_parse', rng)}\njpConf.dataStore = dataStore;\n"
                      f"$('#{unit}').jpage(jpConf);")
        else:
            js_conf = _js(conf, d["config"], rng).replace('"__DS__"', "dataStore").replace("'__DS__'", "dataStore")
            script = f"$('#{unit}').jpage({js_conf});"
        body = (f'<div class="right_list"><h2>{e(col_name)}</h2><div id="{unit}"><script type="text/xml">{store}</script>'
                f'</div><script src="/module/web/jpage/jpage.js"></script>\n<script>\n$(document).ready(function(){{\n'
                f"{script}\n}});\n</script></div>")
    _add_page(b, d, s.nb_path, T.frame(s, f"{col_name}_{s.site_name}", body,
                                       meta={"ColumnName": col_name, "ColumnType": col_name}), "list")


def _build_gkmlpt(b: _Builder, d: dict, agencies) -> None:
    s = b.site
    rng = b.rng
    sid = str(rng.randint(750000, 759999))
    unit = rng.choice(["/nhq", "/gkmlpt_unit", ""])
    route = rng.choice(["index", "annualreport"])
    index = f"{unit}/gkmlpt/{route}"
    s.nb_dir, s.nb_path = f"{unit}/gkmlpt/", index
    cat = rng.randint(2300, 2999)
    cat_name = d["column_name"] if d["column_name"] not in ("年报", "年度报告") else "政府信息公开年报"
    children = [{"id": cat + 1 + i, "name": n, "children": [], "jump_url": "", "post_count": 0}
                for i, n in enumerate(rng.sample(["区政府", "区直部门", "镇（街道）"], rng.randint(0, 2)))]
    tree = [{"id": cat - 9, "name": "机构职能", "children": [], "jump_url": "", "post_count": 3},
            {"id": cat - 5, "name": "政策文件", "children": [], "jump_url": "", "post_count": 30}]
    if d["fate"] != "no_column":
        tree.append({"id": cat, "name": cat_name, "jump_url": "", "post_count": 0, "children": children})
    rng.shuffle(tree)
    cats = [cat] + [c["id"] for c in children]
    by_cat: dict[int, list[dict]] = {}
    col = Column(dir=s.nb_dir, name=cat_name)

    def detail(r, doc_type):
        date = b.pub_date(r)
        pid = 960000 + b.doc_id(date) % 40000
        page = f"/gkmlpt/content/{pid // 1000000}/{pid // 1000}/post_{pid}.html"
        attachments, doc_path = [], None
        if doc_type != "html":
            ext = "pdf" if doc_type == "pdf" else "docx"
            doc_path = f"/attachment/{pid // 1000}/{pid}.{ext}"
            maker = (lambda r=r: render_pdf(r)) if doc_type == "pdf" else (lambda r=r: render_docx(r))
            s.add(doc_path, Resource(PDF if doc_type == "pdf" else DOCX, make=maker, role="attachment"))
            attachments.append({"name": f"{r.title}.{ext}", "url": doc_path})
        f = _fields(b, r.agency, date, dt.date.fromisoformat(r.date), r.title)
        body = render_html_body(r) if doc_type == "html" else f"<p>现将《{e(r.title)}》予以公开，详见附件。</p>"
        att = "".join(f'<p><a href="{e(a["url"])}">{e(a["name"])}</a></p>' for a in attachments)
        detail_conf = _assign("window._CONFIG", {"SID": sid, "DETAIL": {"id": pid, "title": r.title,
                                                                         "attachment": attachments}},
                              d["config"], rng)
        page_html = (f'{T.meta_block("zhejiang", f)}<div class="content-title"><h1>{e(r.title)}</h1></div>'
                     f'<div class="article-content">{body}</div><div class="attachment">{att}</div>'
                     f"<script>{detail_conf}</script>")
        meta = _std_meta(b, cat_name, r.title, date, r.agency, f"http://{s.domain}{page}")
        _add_page(b, d, page, T.frame(s, r.title, page_html, meta=meta), "detail", date.isoformat())
        by_cat.setdefault(rng.choice(cats), []).append({
            "id": pid, "title": r.title, "identifier": f["index_no"], "publisher": r.agency,
            "created_at": f"{date.isoformat()} 10:{pid % 60:02d}:00", "url": page, "attachment": attachments})
        b.reports.append(ExpectedReport(site_id=s.site_id, agency=r.agency, year=r.year, format=r.fmt,
                                        doc_type=doc_type, page_url=page, document_url=doc_path or page,
                                        cells=dict(r.cells), expected_json=None, kind=r.kind, title=r.title,
                                        publish_date=date.isoformat(), index_no=f["index_no"], publisher=r.agency,
                                        column=index, facts=dict(r.facts)))

    if d["fate"] != "empty_column" and d["fate"] != "no_column":
        d["documents"] = "detail"          # gkmlpt lists articles; their files hang off the detail page
        _publish_all(b, col, d, agencies, detail)
    if b.as_of is not None:
        for k, arts in by_cat.items():
            listed = _visible(b, [T.ListEntry(a["url"], a["title"], a["created_at"][:10]) for a in arts])
            by_cat[k] = [a for a in arts if a["url"] in {x.href for x in listed}]
    page_size = {"100": 100, "small": 3, "all": 10 ** 6}[d["page_size"]]

    def api(req: Request) -> Response:
        try:
            c = int(req.path.rstrip("/").rsplit("/", 1)[-1])
        except ValueError:
            c = -1
        if c not in cats or req.arg("sid") != sid:
            return Response(200, {"Content-Type": "application/json"}, b'{"code":404,"msg":"not found"}', "api")
        page = max(1, int(req.arg("page", "1") or 1))
        arts = sorted((a for k in ([c] if c != cat else cats) for a in by_cat.get(k, [])),
                      key=lambda a: a["created_at"], reverse=True)
        if page_size > len(arts) and page > 1 and d["page_size"] == "all":
            return Response(404, {"Content-Type": "text/html"}, b"<h1>404</h1>", "error")
        data = {"classify": {"id": c, "post_count": len(arts)},
                "articles": arts[(page - 1) * page_size: page * page_size]}
        return Response(200, {"Content-Type": "application/json;charset=utf-8"},
                        json.dumps(data, ensure_ascii=False).encode("utf-8"), "api")
    handler = Resource("application/json", role="api", handler=api)
    for c in cats:
        s.add(f"/gkmlpt/api/all/{c}", handler)
    conf = {"SID": int(sid) if d["numbers"] == "plain" and rng.random() < 0.5 else sid, "SITE_ID": rng.randint(1, 9),
            "SITE_NAME": s.site_name, "TREE": tree, "CATEGORY_TYPE": "default"}
    conf = _shuffled(conf, rng, d["config_extra"] == "yes")
    if d["config"] == "props":
        script = "window._CONFIG = window._CONFIG || {};\n" + "\n".join(
            f"_CONFIG.{k} = {_js(v, 'json', rng)};" for k, v in conf.items())
    else:
        script = _assign("window._CONFIG", conf, d["config"], rng)
    shell = (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><meta name="SiteName" content="{e(s.site_name)}">'
             f'<title>政府信息公开_{e(s.site_name)}</title>\n<script>{script}</script>\n</head><body><div id="app"></div>'
             f'<script src="/gkmlpt/static/js/app.js"></script></body></html>')
    _add_page(b, d, index, shell, "list")
    link = f"{index}#{cat}" if rng.random() < 0.6 else index
    home_links = [("政府信息公开", index)] + ([(d["column_name"], link)] if d["fate"] != "no_column" else [])
    s.nav = [("首页", "/")]
    _add_page(b, d, "/", T.frame(s, s.site_name, f'<h1>{e(s.site_name)}</h1>{_nav(d["navigation"], home_links)}'), "home")


def _build_dead(b: _Builder, d: dict) -> None:
    """A dead site: nothing listens (connection refused), or the start page answers an error."""
    how = b.rng.choice(["down", "http_404", "http_500"])
    d["dead"] = how
    if how == "down":
        b.site.faults.add("down")
    elif how == "http_500":
        b.site.add("/", Resource("text/html", b"<html><body><h1>500 Internal Server Error</h1></body></html>",
                                 status=500, role="error"))
    # http_404: no "/" at all


# ----------------------------------------------------------------------------------------------
# the draw
# ----------------------------------------------------------------------------------------------

DELIVERY = {"trs": (("links", 60), ("iframe", 15), ("inline", 15), ("xhr", 10)),
            "legacy": (("links", 45), ("inline", 30), ("post_form", 25)),
            "scripted": (("inline", 35), ("xhr", 35), ("xhr_computed", 20), ("iframe", 10)),
            "hanweb": (("datastore", 75), ("jpaas", 25)),
            "gkmlpt": (("api", 100),)}


def _pick(rng: random.Random, options) -> str:
    names, weights = zip(*options) if isinstance(options[0], tuple) else (options, [1] * len(options))
    return rng.choices(list(names), list(weights))[0]


def draw_variant(family: str, seed: int) -> dict:
    """Every open detail of a site of `family`, drawn from `seed` (strings, for reporting recall by value)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r} (one of {', '.join(FAMILIES)})")
    rng = random.Random(f"variant:{family}:{seed}")
    d = {"family": family, "fate": _pick(rng, tuple(FATES.items()))}
    d["delivery"] = _pick(rng, DELIVERY[family])
    d["config"] = _pick(rng, ("js", "json", "json_parse", "single") + (("props",) if family == "gkmlpt" else ()))
    d["config_extra"] = _pick(rng, ("yes", "no"))
    d["numbers"] = _pick(rng, ("plain", "quoted", "variables") if family == "trs" else ("plain", "quoted"))
    d["navigation"] = _pick(rng, (("anchors", 60), ("onclick", 20), ("data_url", 20)))
    d["navigation_home"] = "script" if family == "scripted" and rng.random() < 0.2 else "links"
    d["encoding"] = "gbk" if family == "legacy" and rng.random() < 0.7 else "utf-8"
    d["charset"] = _pick(rng, ("meta", "header", "none"))
    d["markup"] = _pick(rng, ("ul", "table", "div"))
    d["item_link"] = _pick(rng, (("anchor", 70), ("onclick", 15), ("data_url", 15)))
    d["documents"] = _pick(rng, (("detail", 60), ("mixed", 25), ("direct", 15)))
    d["column_name"] = rng.choice(COLUMN_NAMES)
    d["per_page"] = str(rng.randint(3, 8))
    if family == "trs":
        d["pagination"] = _pick(rng, (("script", 80), ("years", 20))) if d["delivery"] == "links" else "script"
        d["pager"] = _pick(rng, ("sig1", "sig2", "sig3", "sig4"))
        d["page_name"] = rng.choice(["index", "index", "fg", "dezlist", "xlist"])
    elif family == "legacy":
        d["pagination"] = _pick(rng, (("next_links", 70), ("years", 30))) if d["delivery"] == "links" else "none"
        d["pager"], d["page_name"] = "none", rng.choice(["Index", "list", "index"])
    else:
        d["pagination"] = "api"
        d["pager"] = _pick(rng, ("sig1", "sig2", "sig3", "sig4"))   # the pages an iframe shows
        d["page_name"] = rng.choice(["index", "list"])
    if d["delivery"] in ("xhr", "xhr_computed"):
        d["network"] = _pick(rng, (("quiet", 70), ("polling", 30))) if d["delivery"] == "xhr_computed" else "quiet"
        d["api_shape"] = _pick(rng, ("html", "records", "nested"))
        d["api_totals"] = _pick(rng, ("pages", "records", "none"))
        d["api_past_end"] = _pick(rng, ("empty", "repeat"))
    if d["delivery"] == "inline":
        d["inline"] = _pick(rng, ("arr", "json_var", "js_var", "json_parse", "json_block"))
        if family == "trs":
            d["pagination"] = "none"
    if family == "gkmlpt":
        d["page_size"] = _pick(rng, ("100", "small", "all"))
    if family in ("hanweb", "gkmlpt"):
        d["markup"], d["item_link"] = "ul", "anchor"
    if family in ("legacy", "trs"):
        d["xxgk"] = rng.choice(["/zfxxgk/", "/xxgk/", "/gongkai/", "/zwgk/zfxxgk/"])
        d["column_dir"] = rng.choice(["zfxxgknb", "xxgknb", "gknb", "ndbg", "opaque"])   # opaque: c<6 digits>
    else:
        d["xxgk"] = rng.choice(["/xxgk/", "/zwgk/"])
        d["column_dir"] = rng.choice(["nb", "opaque", "ndbg"])
    d["platform"] = rng.choice(["", {"trs": "trs", "hanweb": "hanweb", "gkmlpt": "gkmlpt"}.get(family, "generic")])
    return d


def variant_site(family: str, seed: int, index: int = 0, identity: dict | None = None,
                 as_of: dt.date | None = None, many: bool = False) -> VariantSite:
    """One simulated site of `family` with every open detail drawn from `seed`, served at host_base + index.
    ``identity`` overrides the site's drawn identity (site_id, name, county, site_code …: the simulated
    province gives its portals real division names); `as_of`: the site on an earlier day (reports published
    later not listed yet, their pages 404); `many`: about 20 reports instead of 4–10."""
    d = draw_variant(family, seed)
    ext = {"trs": random.Random(seed).choice(["html", "shtml", "htm"]), "legacy": "aspx" if seed % 2 else "htm",
           "hanweb": "html", "gkmlpt": "html", "scripted": "html"}[family]
    spec = {**_spec(family, seed, ext), **(identity or {})}
    b = _Builder(seed, spec, index, as_of=as_of)
    b.site.platform = d["platform"]
    agencies = _agencies(b.rng, spec["short"], full_titles=d["documents"] != "detail", many=many)
    _static(b)
    if d["fate"] == "dead":
        _build_dead(b, d)
    elif family == "hanweb":
        _build_hanweb(b, d, agencies)
    elif family == "gkmlpt":
        _build_gkmlpt(b, d, agencies)
    else:
        _build_listed(b, d, agencies)
    _unpublish(b)
    expect = EXPECTED_OUTCOME[d["fate"]]
    reports = b.reports if expect == "ok" else []
    if expect == "ok" and not reports:
        raise AssertionError(f"{spec['site_id']}: a site that publishes has no report")
    browser = expect == "ok" and (d["delivery"] == "xhr_computed" or d["navigation_home"] == "script")
    return VariantSite(b.site, reports, b.noise, d, expect, browser)


def held_back_day(family: str, seed: int, hold_back: int, many: bool = False) -> dt.date | None:
    """The day before the site's `hold_back` newest reports were published (None: it has too few to hold any
    back) — `variant_site(…, as_of=that day)` is the site before they appeared."""
    dates = sorted({dt.date.fromisoformat(r.publish_date) for r in variant_site(family, seed, many=many).reports},
                   reverse=True)
    if hold_back <= 0 or len(dates) <= hold_back:
        return None
    return dates[hold_back - 1] - dt.timedelta(days=1)


def variant_world(seeds=range(30), families=FAMILIES, *, n: int | None = None, seed: int = 0,
                  as_of: dt.date | None = None, hold_back: int = 0, many: bool = False) -> VariantWorld:
    """Sites drawn from the families and variants, one per (family, seed) — or `n` sites cycling through the
    families with seeds drawn from `seed` — each on its own loopback address (host_base + index). `as_of`: the
    world on an earlier day (RunningWorld.swap to the world without it: new reports appeared); `hold_back=k`:
    every site as it was before its k newest publishing days (held_back_day); `many`: ~20 reports a site (the
    scale world)."""
    if n is not None:
        rng = random.Random(f"variant-world:{seed}")
        pairs = [(families[i % len(families)], rng.randrange(1000)) for i in range(n)]
        seen: set = set()
        pairs = [p for p in pairs if not (p in seen or seen.add(p))]
        if many:             # the scale world: exactly n sites (draws that repeat a site are drawn again)
            i = n
            while len(pairs) < min(n, 1000 * len(families)):
                p = (families[i % len(families)], rng.randrange(1000))
                i += 1
                if p not in seen:
                    seen.add(p)
                    pairs.append(p)
    else:
        pairs = [(f, s) for s in seeds for f in families]
    sites, reports, noise = [], [], []
    draws, expect, browser = {}, {}, set()
    for index, (family, s) in enumerate(pairs):
        day = held_back_day(family, s, hold_back, many) if hold_back else as_of
        vs = variant_site(family, s, index, as_of=day, many=many)
        sites.append(vs.site)
        reports += vs.reports
        noise += vs.noise
        draws[vs.site.site_id] = vs.draw
        expect[vs.site.site_id] = vs.expect
        if vs.needs_browser:
            browser.add(vs.site.site_id)
    return VariantWorld(seed, sites, reports, noise, draws=draws, expect=expect, browser=browser)


# ----------------------------------------------------------------------------------------------
# scoring a crawl of a variant world
# ----------------------------------------------------------------------------------------------

def score(world: VariantWorld, stored: dict[str, list[tuple[str, int]]], outcomes: dict[str, str]) -> dict:
    """Recall of a crawl: `stored` is site_id -> (agency, year) of every report stored, `outcomes` site_id ->
    outcome. Per site: expected, found, duplicates, extra, outcome right; per variant (every drawn dimension
    and value): sites, reports expected and found, sites whose outcome is the expected one."""
    from harvester.db.store import normalize_name

    expected: dict[str, set] = {s.site_id: set() for s in world.sites}
    for r in world.reports:
        expected[r.site_id].add((normalize_name(r.agency), r.year))
    sites = {}
    for sid, want in expected.items():
        got = [(normalize_name(a), y) for a, y in stored.get(sid, [])]
        sites[sid] = {"expected": len(want), "found": len(want & set(got)), "duplicates": len(got) - len(set(got)),
                      "extra": len(set(got) - want), "outcome": outcomes.get(sid),
                      "outcome_ok": outcomes.get(sid) == world.expect[sid]}
    variants: dict[str, dict[str, dict]] = {}
    for sid, draw in world.draws.items():
        for dim, value in draw.items():
            v = variants.setdefault(dim, {}).setdefault(str(value), {"sites": 0, "expected": 0, "found": 0,
                                                                      "outcome_ok": 0})
            v["sites"] += 1
            v["expected"] += sites[sid]["expected"]
            v["found"] += sites[sid]["found"]
            v["outcome_ok"] += sites[sid]["outcome_ok"]
    total = {k: sum(s[k] for s in sites.values()) for k in ("expected", "found", "duplicates", "extra",
                                                             "outcome_ok")}
    return {"sites": sites, "variants": variants, "total": total}
