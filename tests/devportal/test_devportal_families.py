"""The other CMS families as served: Hanweb jcms (datastore, dataproxy POST, jpaas), gkmlpt (_CONFIG, JSON
API), an unknown CMS in GB2312, a JavaScript-built list — each with the quirks portals.md describes."""
from __future__ import annotations

import json
import re
import urllib.request
from urllib.parse import urlencode

from devportal_helpers import decode, fetch

from harvester.devportal.families import GKMLPT_SID, JPAAS, PROXY


def post(url, form: dict, referer: str | None):
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
    if referer:
        headers["Referer"] = referer
    req = urllib.request.Request(url, data=urlencode(form).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=10) as f:
        return f.status, f.read().decode("utf-8")


def test_family_sites_and_their_reports(world):
    platforms = {s.site_id: s.platform for s in world.sites}
    assert platforms["deqing"] == "hanweb" and platforms["nanhai"] == "" and platforms["anhua"] == ""
    for sid in ("deqing", "nanhai", "anhua", "wuhou"):
        mine = [r for r in world.reports if r.site_id == sid]
        assert len(mine) >= 10 and {r.doc_type for r in mine} == {"html", "pdf", "docx"}, sid


def test_hanweb_column_embeds_the_first_page_and_the_proxy_serves_the_rest(running):
    site = running.world.site("deqing")
    col = running.url("deqing", site.nb_path)
    status, headers, body = fetch(col)
    text = decode(headers, body)
    assert status == 200 and '<meta name="ColumnName" content="政府信息公开年报"/>' in text
    first = re.findall(r"<record><!\[CDATA\[", text)
    per = int(re.search(r"perPage: (\d+)", text).group(1))
    total = int(re.search(r"totalRecord: (\d+)", text).group(1))
    assert len(first) == per and total == int(site.fault_targets["hanweb_records"]) > 3 * per + per
    form = {"col": 1, "appid": 1, "webid": 3174, "path": "/", "columnid": "1229100005", "sourceContentType": 1,
            "unitid": "4561234", "webname": site.site_name, "permissiontype": 0}
    url = running.url("deqing", f"{PROXY}?startrecord={per + 1}&endrecord={4 * per}&perpage={per}")
    status, xml = post(url, form, col)
    assert status == 200 and xml.count("<record>") == 3 * per                       # three pages a call
    assert f"<totalrecord>{total}</totalrecord>" in xml
    assert "<totalpage>3</totalpage>" in xml and -(-total // per) > 3                # totalpage lies
    assert post(url, form, None)[1].count("<record>") == 0                           # no Referer, no records
    assert fetch(url)[0] == 405                                                        # GET is refused
    records = re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", text + xml, re.S)
    assert any('class="line"' in r for r in records)                                  # a junk record
    assert any("readlabel" in r for r in records) and any("\n        20" in r for r in records)  # date quirks
    assert any("..." in r and 'title="' in r for r in records)                         # truncated text
    assert any("http://www.huzhou.gov.cn/" in r for r in records)                      # a sibling site


def test_hanweb_articles_and_downfile_attachments(running, world):
    reps = [r for r in world.reports if r.site_id == "deqing"]
    for r in reps:
        assert re.fullmatch(r"/art/\d{4}/[1-9]\d?/[1-9]\d?/art_\d+_\d+\.html", r.page_url), r.page_url
        if r.doc_type != "html":
            assert re.fullmatch(r"/module/download/downfile\.jsp\?classid=0&filename=[0-9a-f]{32}\.(pdf|docx)",
                                r.document_url)
    r = next(x for x in reps if x.doc_type == "pdf")
    status, headers, body = fetch(running.url("deqing", r.document_url))
    assert status == 200 and body.startswith(b"%PDF") and headers["content-type"] == "application/octet-stream"
    assert "attachment" in headers["content-disposition"]


def test_jpaas_api_pages_until_empty(running, world):
    col = running.url("deqing", "/col/col1229100007/index.html")
    status, headers, body = fetch(col)
    text = decode(headers, body)
    assert JPAAS in text and '<ul class="jpaas-list" id="jpaas-list-1229100007"></ul>' in text
    params = json.loads(re.search(r"var unitParams = (\{.*?\});", text).group(1))
    seen, page = [], 1
    while True:
        status, _, body = fetch(running.url("deqing", f"{JPAAS}?{urlencode({**params, 'pageNo': page})}"))
        data = json.loads(body)
        assert status == 200 and data["success"] is True
        if not data["data"]["html"]:
            break
        seen += re.findall(r'href="([^"]+)"', data["data"]["html"])
        page += 1
    assert page > 2 and len(seen) == len(set(seen))
    jpaas_reports = [r.page_url for r in world.reports if r.site_id == "deqing" and r.column.endswith("1229100007/index.html")]
    assert set(jpaas_reports) <= set(seen) and len(jpaas_reports) >= 6


def test_gkmlpt_shell_and_api(running, world):
    status, headers, body = fetch(running.url("nanhai", "/nhq/gkmlpt/index"))
    text = decode(headers, body)
    assert "window._CONFIG = {SID: '757006'" in text and "<a " not in text.split("<body>")[1]
    tree = json.loads(re.search(r"TREE: (\[.*?\]), CATEGORY_TYPE", text).group(1))
    nb = next(n for n in tree if n["name"] == "政府信息公开年报")
    api = running.url("nanhai", f"/gkmlpt/api/all/{nb['id']}?sid={GKMLPT_SID}")
    p1 = json.loads(fetch(api + "&page=1")[2])
    assert p1 == json.loads(fetch(api + "&page=0")[2])                       # page 0 repeats page 1
    assert p1["classify"]["post_count"] == nb["post_count"] == len(p1["articles"])
    host = running.sites["nanhai"].split("//")[1]
    assert all(a["url"].startswith(f"http://{host}/gkmlpt/content/") for a in p1["articles"])   # absolute URLs
    expected = {r.page_url for r in world.reports if r.site_id == "nanhai"}
    assert expected <= {a["url"].split(host, 1)[1] for a in p1["articles"]}
    assert json.loads(fetch(api + "&page=2")[2])["articles"] == []
    running.world.site("nanhai").fault_state["gkmlpt_page_size"] = 7     # the paging itself, on a small page
    try:
        pages = [json.loads(fetch(api + f"&page={k}")[2])["articles"] for k in (1, 2, 3, 4)]
        assert [len(p) for p in pages] == [7, 7, nb["post_count"] - 14, 0]
    finally:
        del running.world.site("nanhai").fault_state["gkmlpt_page_size"]
    r = next(x for x in world.reports if x.site_id == "nanhai" and x.doc_type != "html")
    detail = decode(*fetch(running.url("nanhai", r.page_url))[1:])
    assert re.search(r"/gkmlpt/content/\d+/\d+/post_\d+\.html$", r.page_url)
    for label in ("索引号", "分类", "发布机构", "成文日期", "名称", "文号", "发布日期", "主题词"):
        assert f">{label}：</td>" in detail
    assert "DETAIL: {" in detail and r.document_url in detail


def test_unknown_cms_is_gb2312_without_a_charset_header(running):
    status, headers, body = fetch(running.url("anhua", "/Category_88/Index.aspx"))
    assert headers["content-type"] == "text/html" and b"charset=gb2312" in body[:400]
    text = body.decode("gb18030")
    assert "下一页" in text and "2024年度" in text and "乡镇年报" in text
    home = fetch(running.url("anhua", "/"))[2].decode("gb18030")
    assert ">政务公开</a>" in home and "zfxxgk" not in home and "Category_88" not in home   # link text only


def test_javascript_list_has_no_links_without_a_browser(running):
    shell = fetch(running.url("wuhou", "/wh/c1019/nb.shtml"))[2].decode()
    assert "location.replace(" in shell and not re.search(r"replace\(\s*['\"]", shell)   # computed target
    page = fetch(running.url("wuhou", "/wh/c1019/list.shtml"))[2].decode()
    assert '<ul class="list" id="nblist"></ul>' in page and "t20" not in page
    assert fetch(running.url("wuhou", "/wh/js/nblist.js"))[0] == 200
