"""The simulated world: TRS-style government portals built deterministically from a seed.

`SITES` below describes each site as data (who publishes there, which columns, which quirks);
`build_world(seed)` turns it into pages (`Site.resources`: path → Resource) and the ground truth
(`World.expected_reports()`: one record per agency and year, with the URLs where a correct crawler
finds the report and, for generated reports, every cell). Noise items (news, letters, other
bodies' reports, notices about the report) are listed in `World.noise`.

What a crawler meets here (see /work/shared/spec/portals.md):
- home page → 政府信息公开 → 年报 column (`zfxxgknb`) beside 指南/制度/法定主动公开内容/依申请公开;
- list pages paginated by TRS JavaScript in all four signatures, a stale stub page past the end;
- department reports mixed into the county column, a 部门年报 sub-column, township sub-columns with
  pinyin and opaque ids, two of them behind ~160-byte location.replace / meta-refresh shells;
- detail pages `./YYYYMM/tYYYYMMDD_<id>.html` with standard meta tags and the 信息公开 block in all
  seven layouts; reports as HTML tables, PDF or DOCX attachments `./YYYYMM/P0….pdf`, one page with a
  second unrelated attachment, one image-only （图片版） twin, one repost under a new URL, one item
  listed twice; truncated link text, list dates that disagree with the URL date;
- real documents from tests/fixtures/corpus (hongze and huaian PDFs, the pingtan 2025 HTML report);
- Content-Type lies (PDF as octet-stream, DOCX as msword), GBK pages with and without a charset header.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace
from pathlib import Path

from . import templates as T
from .reports import GeneratedReport
from .render import render_html_body
from .model import (CORPUS, Column, ExpectedReport, HTML_UTF8, NoiseItem, Resource, World)
from .families import FAMILY_BUILDERS, FAMILY_SITES
from .obstacles import OBSTACLE_SITES, build_obstacle_site
from .model import Site  # noqa: F401 - the world's names, for its users: Site, World, ExpectedReport, CORPUS
from .builder import (_Builder, _budget_pdf, _doc_type, _image_version, _pdf_pages, _portal, _rel, _static, _unpublish)


# ----------------------------------------------------------------------------------------------
# the world as data
# ----------------------------------------------------------------------------------------------

# agencies: (full name, name used in titles, kind, first year, last year)
SITES = [
    {
        "site_id": "hongze", "name": "淮安市洪泽区人民政府", "site_name": "淮安市洪泽区人民政府",
        "province": "江苏省", "city": "淮安市", "county": "洪泽区", "domain": "www.hongze.gov.cn",
        "site_code": "3208130001", "short": "洪泽区", "icp": "苏ICP备05009146号", "start_path": "/",
        "xxgk": "/zfxxgk/", "ext": "html",
        "government": ("淮安市洪泽区人民政府", "淮安市洪泽区", "government", 2019, 2024),
        "corpus": {2023: ("real/hongze-2023-淮安市洪泽区人民政府.pdf", "hongze-2023.json", "2024-02-26"),
                   2024: ("real/hongze-2024-淮安市洪泽区人民政府.pdf", "hongze-2024.json", "2025-02-25")},
        "departments": [
            ("淮安市洪泽区发展和改革委员会", "淮安市洪泽区发展和改革委员会", "department", 2022, 2024),
            ("淮安市洪泽区教育体育局", "洪泽区教育体育局", "department", 2022, 2024),
            ("淮安市洪泽区财政局", "淮安市洪泽区财政局", "department", 2022, 2024),
            ("淮安市洪泽区人力资源和社会保障局", "淮安市洪泽区人力资源和社会保障局", "department", 2022, 2024),
            ("淮安市洪泽区卫生健康委员会", "洪泽区卫生健康委员会", "department", 2022, 2024),
            ("淮安市洪泽区市场监督管理局", "淮安市洪泽区市场监督管理局", "department", 2022, 2024),
            ("淮安市洪泽区住房和城乡建设局", "淮安市洪泽区住房和城乡建设局", "department", 2019, 2021),
        ],
        "dept_column": [
            ("淮安市洪泽区水利局", "淮安市洪泽区水利局", "department", 2022, 2024),
            ("淮安市洪泽区农业农村局", "淮安市洪泽区农业农村局", "department", 2022, 2024),
            ("淮安市洪泽区民政局", "淮安市洪泽区民政局", "department", 2022, 2024),
        ],
        # (agency, title name, first, last, column dir under the 年报 column, how it is reached, layout)
        "townships": [
            ("淮安市洪泽区高良涧街道办事处", "洪泽区高良涧街道", 2021, 2024, "xzjd/gljjd/", "direct", "suzhou"),
            ("淮安市洪泽区朱坝街道办事处", "洪泽区朱坝街道", 2022, 2024, "xzjd/zbjd/", "direct", "wuhan"),
            ("淮安市洪泽区岔河镇人民政府", "洪泽区岔河镇", 2022, 2024, "c100234/", "gbk", "beijing"),
            ("淮安市洪泽区老子山镇人民政府", "洪泽区老子山镇", 2022, 2024, "c100236/", "js_shell:xzjd/lzsz/", "bulleted"),
            ("淮安市洪泽区西顺河镇人民政府", "洪泽区西顺河镇", 2022, 2024, "c100237/", "refresh_shell:xzjd/xshz/", "zhejiang"),
        ],
    },
    {
        "site_id": "pingtan", "name": "平潭综合实验区", "site_name": "平潭综合实验区党工委管委会",
        "province": "福建省", "city": "福州市", "county": "平潭综合实验区", "domain": "www.pingtan.gov.cn",
        "site_code": "3590000001", "short": "平潭综合实验区", "icp": "闽ICP备12006483号",
        "start_path": "/zwgk/zfxxgk/", "xxgk": "/zwgk/zfxxgk/", "ext": "htm",
        "government": ("平潭综合实验区", "平潭综合实验区", "government", 2019, 2025),
        "corpus_html": {2025: ("real/pingtan/2025-平潭综合实验区.html", "pingtan-2025.json")},
        # the real column's URLs and dates of the government reports
        "real_urls": {2025: ("202603/t20260313_105587", "2026-03-10"), 2024: ("202503/t20250310_97791", "2025-03-10"),
                      2023: ("202403/t20240308_87885", "2024-03-08"), 2022: ("202302/t20230220_80629", "2023-02-20"),
                      2021: ("202202/t20220208_80613", "2022-02-08"), 2020: ("202103/t20210305_80595", "2021-03-05"),
                      2019: ("202001/t20200120_80576", "2020-01-20")},
        "departments": [
            ("平潭综合实验区经济发展局", "平潭综合实验区经济发展局", "department", 2023, 2024),
            ("平潭综合实验区社会事业局", "平潭综合实验区社会事业局", "department", 2023, 2024),
            ("平潭综合实验区交通与建设局", "平潭综合实验区交通与建设局", "department", 2023, 2024),
        ],
        "townships": [
            ("平潭综合实验区潭城镇人民政府", "潭城镇", 2023, 2024),
            ("平潭综合实验区苏澳镇人民政府", "苏澳镇", 2023, 2024),
            ("平潭综合实验区流水镇人民政府", "流水镇", 2023, 2024),
            ("平潭综合实验区北厝镇人民政府", "北厝镇", 2023, 2024),
        ],
    },
    {
        "site_id": "huaian", "name": "淮安市人民政府", "site_name": "淮安市人民政府",
        "province": "江苏省", "city": "淮安市", "county": "", "domain": "www.huaian.gov.cn",
        "site_code": "3208000001", "short": "淮安市", "icp": "苏ICP备05009089号", "start_path": "/",
        "xxgk": "/gongkai/", "ext": "shtml",
        "government": ("淮安市人民政府", "淮安市人民政府", "government", 2019, 2024),
        "corpus": {2024: ("real/huaian-2024-淮安市人民政府.pdf", "huaian-2024.json", "2025-01-24")},
        "departments": [
            ("淮安市发展和改革委员会", "淮安市发展和改革委员会", "department", 2023, 2024),
            ("淮安市教育局", "淮安市教育局", "department", 2023, 2024),
            ("淮安市公安局", "淮安市公安局", "department", 2023, 2024),
            ("淮安市财政局", "淮安市财政局", "department", 2023, 2024),
            ("淮安市生态环境局", "淮安市生态环境局", "department", 2023, 2024),
        ],
    },
]


# ----------------------------------------------------------------------------------------------
# the three sites
# ----------------------------------------------------------------------------------------------

def _build_hongze(b: _Builder) -> None:
    s, spec = b.site, b.spec
    xxgk = spec["xxgk"]
    nb = f"{xxgk}zfxxgknb/"
    s.nb_dir, s.nb_path = nb, f"{nb}index.html"
    _portal(b, xxgk)
    crumbs = [("首页", "/"), ("政府信息公开", f"{xxgk}index.html"), ("政府信息公开年报", f"{nb}index.html")]
    sub_nav = [("政府信息公开年报", f"{nb}index.html"), ("部门年报", f"{nb}bmnb/fg.shtml"),
               ("乡镇（街道）年报", f"{nb}xzjd/index.html")]
    main = b.column(nb, "政府信息公开年报", sig=1, per_page=10, style="li_span", layout="jiangsu", crumbs=crumbs,
                    nav=sub_nav, nav_title="政府信息公开年报", stub=True)
    bmnb = b.column(f"{nb}bmnb/", "部门年报", sig=3, page_name="fg", ext="shtml", per_page=4, style="li_span",
                    layout="govcn", crumbs=crumbs + [("部门年报", "")], nav=sub_nav, nav_title="政府信息公开年报")

    # the county government: generated 2019–2022, real PDFs 2023–2024
    agency, tname, kind, y0, y1 = spec["government"]
    gov_types = {2019: "pdf", 2020: "html", 2021: "pdf", 2022: "docx"}
    for year in range(y0, y1 + 1):
        if year in spec["corpus"]:
            rel, js, d = spec["corpus"][year]
            exp = b.publish_corpus_pdf(main, rel, js, dt.date.fromisoformat(d),
                                       f"{tname}{year}年政府信息公开工作年度报告", agency)
            if year == 2024:   # 置顶: listed twice (pinned on page 1 and in date order), same URL
                main.pinned.append(replace(main.entries[-1]))
                b.noise.append(NoiseItem(s.site_id, exp.title, exp.page_url, "duplicate_listing"))
            continue
        r = b.make(agency, tname, kind, year, next_json=spec["corpus"].get(year + 1, (None, None))[1])
        date = dt.date.fromisoformat(r.date) + dt.timedelta(days=4) if year == 2020 else None
        exp = b.publish(main, r, gov_types[year], extra_attachment=(year == 2019), date=date)
        if year == 2021:   # an image-only （图片版） twin of the PDF report
            _image_twin(b, main, r, exp)
        if year == 2020:   # the list date is the 成文 date, the URL carries the publishing date
            main.entries[-1].date = r.date
    # departments mixed into the county column
    for i, (agency, tname, kind, y0, y1) in enumerate(spec["departments"]):
        for year in range(y0, y1 + 1):
            r = b.make(agency, tname, kind, year)
            dtp = _doc_type(b.rng, kind)
            ctype = "application/octet-stream" if (i, year) == (1, 2023) else None
            if (i, year) == (1, 2023):
                dtp = "pdf"
            if (i, year) == (2, 2022):
                dtp, ctype = "docx", "application/msword"
            exp = b.publish(main, r, dtp, ctype=ctype)
            if (i, year) == (0, 2023):   # reposted under a new URL with a variant title
                _repost(b, main, r, exp)
            if (i, year) == (3, 2024):   # also listed in the 部门年报 sub-column (same URL)
                bmnb.entries.append(replace(main.entries[-1], href=_rel(bmnb.dir, exp.page_url)))
                b.noise.append(NoiseItem(s.site_id, exp.title, exp.page_url, "duplicate_listing"))
    for agency, tname, kind, y0, y1 in spec["dept_column"]:
        for year in range(y0, y1 + 1):
            b.publish(bmnb, b.make(agency, tname, kind, year), _doc_type(b.rng, kind))
    # noise in the county column
    b.noise_item(main, "洪泽区召开2020年度政务公开工作会议", dt.date(2020, 4, 9), "news", agency=spec["government"][0])
    b.noise_item(main, "关于2023年政务公开工作要点落实情况的函", dt.date(2023, 12, 8), "letter",
                 agency="淮安市洪泽区人民政府办公室")
    b.noise_item(main, "淮安市洪泽区2022年度区级部门决算报告", dt.date(2023, 9, 1), "other_body",
                 agency="淮安市洪泽区财政局", attachment=_budget_pdf("淮安市洪泽区2022年度区级部门决算报告"))
    b.noise_item(main, "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知", dt.date(2024, 1, 5), "notice",
                 agency="淮安市洪泽区人民政府办公室")
    b.noise_item(main, "中华人民共和国政府信息公开工作年度报告格式", dt.date(2021, 10, 12), "format_doc",
                 agency="淮安市洪泽区人民政府办公室")

    # townships: a parent column of sub-columns, one sub-column per township
    xz_nav = []
    for agency, tname, y0, y1, cdir, how, layout in spec["townships"]:
        short = tname.replace("洪泽区", "")
        col_dir = f"{nb}{cdir}"
        if how.startswith(("js_shell:", "refresh_shell:")):
            shell_dir = f"{nb}{how.split(':', 1)[1]}"
            target = f"{col_dir}index.html"
            shell = T.shell_js(target) if how.startswith("js_shell") else T.shell_refresh(target)
            b.add_html(f"{shell_dir}index.html", shell, "shell")
            xz_nav.append((short, f"{shell_dir}index.html"))
        else:
            xz_nav.append((short, f"{col_dir}index.html"))
    xz_crumbs = crumbs + [("乡镇（街道）年报", f"{nb}xzjd/index.html")]
    for agency, tname, y0, y1, cdir, how, layout in spec["townships"]:
        short = tname.replace("洪泽区", "")
        col = b.column(f"{nb}{cdir}", short, sig=2 if cdir == "xzjd/gljjd/" else 1,
                       per_page=4 if cdir == "xzjd/gljjd/" else 15, style="li_span", layout=layout,
                       crumbs=xz_crumbs + [(short, "")], nav=xz_nav, nav_title="乡镇（街道）年报",
                       charset="gbk" if how == "gbk" else "utf-8", inline_js=False)
        for year in range(y0, y1 + 1):
            b.publish(col, b.make(agency, tname, "township", year), _doc_type(b.rng, "township"))
        if cdir == "xzjd/gljjd/":
            b.noise_item(col, f"{short}召开2023年度政务公开工作推进会", dt.date(2023, 5, 16), "news", agency=agency)
            b.noise_item(col, f"{short}2022年度部门决算公开", dt.date(2023, 8, 30), "other_body", agency=agency,
                         attachment=_budget_pdf(f"{short}2022年度部门决算"))
        b.finalize(col)
    b.add_html(f"{nb}xzjd/index.html", T.frame(s, f"乡镇（街道）年报_{s.site_name}", f"""{T.breadcrumb(xz_crumbs)}
<div class="left_nav"><h3>政府信息公开年报</h3>{T.link_list(sub_nav)}</div>
<div class="right_list"><div class="list_title"><h2>乡镇（街道）年报</h2></div>
{T.link_list(xz_nav, "sub_columns")}
</div>""", meta={"ColumnName": "乡镇（街道）年报", "ColumnType": "乡镇（街道）年报"}), "list")
    b.finalize(main)
    b.finalize(bmnb)


def _image_twin(b: _Builder, col: Column, r: GeneratedReport, exp: ExpectedReport) -> None:
    """The same report again as page scans, titled （图片版）: image-only, a duplicate of the text version.

    The scans are rendered now, not on request: pdfium must not run in the server's threads.
    """
    pdf_res = b.site.resources[exp.document_url]
    n = _pdf_pages(pdf_res.data())
    date = dt.date.fromisoformat(exp.publish_date)
    imgs = []
    for k in range(n):
        name = f"W0{date:%Y%m%d}{b.rng.randint(10**11, 10**12 - 1)}.png"
        path = f"{col.dir}{date:%Y%m}/{name}"
        b.site.add(path, Resource("image/png", _image_version(pdf_res, k), role="attachment"))
        imgs.append(f'<p style="text-align:center;"><img src="./{name}" border="0" alt="" width="800" '
                    f'OLDSRC="W0{name[2:]}"></p>')
    page, _ = b.detail(col, title=f"{r.title}（图片版）", date=date, body="\n".join(imgs), agency=r.agency)
    exp.also_at.append(page)
    b.noise.append(NoiseItem(b.site.site_id, f"{r.title}（图片版）", page, "image_version"))


def _repost(b: _Builder, col: Column, r: GeneratedReport, exp: ExpectedReport) -> None:
    """The same report page re-published under a new URL (a repost) with a title variant."""
    src = b.site.resources[exp.page_url]
    date = dt.date.fromisoformat(exp.publish_date) + dt.timedelta(days=6)
    did = b.doc_id(date)
    path = f"{col.dir}{date:%Y%m}/t{date:%Y%m%d}_{did}.{col.detail_ext}"
    # same content, same attachment URLs (relative links resolved from the new page's directory)
    text = src.data().decode("utf-8")
    if exp.document_url != exp.page_url:
        old_dir = exp.page_url.rsplit("/", 1)[0] + "/"
        if not path.startswith(old_dir):
            name = exp.document_url.rsplit("/", 1)[1]
            text = text.replace(f'"./{name}"', f'"{exp.document_url}"')
    b.site.add(path, Resource(HTML_UTF8, text.encode("utf-8"), role="detail", last_modified=date.isoformat()))
    title = r.title.replace("年度政府", "年政府") if "年度政府" in r.title else r.title.replace("年政府", "年度政府")
    col.entries.append(T.ListEntry(_rel(col.dir, path), title, date.isoformat()))
    exp.also_at.append(path)
    b.noise.append(NoiseItem(b.site.site_id, title, path, "repost"))


def _build_pingtan(b: _Builder) -> None:
    s, spec = b.site, b.spec
    xxgk = spec["xxgk"]
    nb = f"{xxgk}zfxxgknb/"
    s.nb_dir, s.nb_path = nb, f"{nb}index.htm"
    _portal(b, xxgk)
    crumbs = [("首页", "/"), ("政务公开", "/zwgk/index.htm"), ("政府信息公开", f"{xxgk}index.htm"),
              ("政府信息公开年报", "")]
    xz_dir = f"{xxgk}c101813/"
    sub_nav = [("政府信息公开年报", f"{nb}index.htm"), ("乡镇年报", f"{nb}xznb/index.htm")]
    main = b.column(nb, "政府信息公开年报", sig=1, per_page=8, style="dl_dd", layout="zhejiang", crumbs=crumbs,
                    nav=sub_nav, inline_js=False, stub=True)
    xz = b.column(xz_dir, "乡镇年报", sig=4, per_page=5, style="li_span", layout="wuhan",
                  crumbs=crumbs[:-1] + [("乡镇年报", "")], nav=sub_nav)
    b.add_html(f"{nb}xznb/index.htm", T.shell_refresh(f"{xz_dir}index.htm"), "shell")

    agency, tname, kind, y0, y1 = spec["government"]
    for year in range(y0, y1 + 1):
        stem, d = spec["real_urls"][year]
        date = dt.date.fromisoformat(d)
        path = f"{nb}{stem}.htm"
        title = f"{tname}{year}年度政府信息公开工作年度报告"
        if year in spec["corpus_html"]:
            rel, js = spec["corpus_html"][year]
            exp_json = json.loads((CORPUS / "expected" / js).read_text(encoding="utf-8"))
            body = _trs_editor_inner(CORPUS / rel)
            page, fields = b.detail(main, title=title, date=date, body=body, agency=exp_json["metadata"]["publisher"],
                                    path=path, source=exp_json["metadata"]["publisher"])
            b.reports.append(ExpectedReport(
                site_id=s.site_id, agency=exp_json["agency"], year=year, format=exp_json["format"], doc_type="html",
                page_url=page, document_url=page, cells=None, expected_json=js, kind="government", title=title,
                publish_date=date.isoformat(), index_no=fields["index_no"], publisher=exp_json["metadata"]["publisher"],
                column=main.first_page, source="corpus"))
            continue
        r = b.make(agency, tname, kind, year, next_json=spec["corpus_html"].get(year + 1, (None, None))[1])
        r.title = title
        dtp = "html" if year >= 2021 else "pdf"
        b.publish(main, r, dtp, date=date, path=path)
    for agency, tname, kind, y0, y1 in spec["departments"]:
        for year in range(y0, y1 + 1):
            b.publish(main, b.make(agency, tname, kind, year), _doc_type(b.rng, kind))
    b.noise_item(main, "平潭综合实验区2023年度政府信息公开工作年度报告解读", dt.date(2024, 3, 12), "news",
                 agency="平潭综合实验区管委会办公室")
    b.noise_item(main, "平潭综合实验区2022年度部门决算", dt.date(2023, 9, 15), "other_body",
                 agency="平潭综合实验区财政金融局", attachment=_budget_pdf("平潭综合实验区2022年度部门决算"))
    gbk_done = False
    for agency, tname, y0, y1 in spec["townships"]:
        for year in range(y0, y1 + 1):
            r = b.make(agency, tname, "township", year)
            if not gbk_done:   # one detail page in GBK, served without a charset in the header
                gbk_done = True
                date = b.pub_date(r)
                page, fields = b.detail(xz, title=r.title, date=date, body=render_html_body(r), agency=r.agency,
                                        written=dt.date.fromisoformat(r.date), charset="gb2312",
                                        header_charset=False)
                b.reports.append(ExpectedReport(
                    site_id=s.site_id, agency=r.agency, year=year, format=r.fmt, doc_type="html", page_url=page,
                    document_url=page, cells=dict(r.cells), expected_json=None, kind="township", title=r.title,
                    publish_date=date.isoformat(), index_no=fields["index_no"], publisher=r.agency,
                    column=xz.first_page, facts=dict(r.facts)))
                continue
            b.publish(xz, r, _doc_type(b.rng, "township"))
    b.finalize(main)
    b.finalize(xz)


def _build_huaian(b: _Builder) -> None:
    s, spec = b.site, b.spec
    xxgk = spec["xxgk"]
    nb = f"{xxgk}zfxxgknb/"
    s.nb_dir, s.nb_path = nb, f"{nb}index.shtml"
    _portal(b, xxgk, nb_name="政府信息公开工作年度报告")
    crumbs = [("首页", "/"), ("政府信息公开", f"{xxgk}index.shtml"), ("政府信息公开工作年度报告", "")]
    # signature 3 with page name "index": page 2 is index_2.shtml (1-based), not index_1
    main = b.column(nb, "政府信息公开工作年度报告", sig=3, page_name="index", ext="shtml", detail_ext="shtml",
                    per_page=6, style="table", layout="jiangsu", crumbs=crumbs)
    agency, tname, kind, y0, y1 = spec["government"]
    gov_types = {2019: "pdf", 2020: "pdf", 2021: "html", 2022: "pdf", 2023: "docx"}
    for year in range(y0, y1 + 1):
        if year in spec["corpus"]:
            rel, js, d = spec["corpus"][year]
            b.publish_corpus_pdf(main, rel, js, dt.date.fromisoformat(d), f"{tname}{year}年政府信息公开工作年度报告",
                                 agency)
            continue
        r = b.make(agency, tname, kind, year, level="city", next_json=spec["corpus"].get(year + 1, (None, None, None))[1])
        b.publish(main, r, gov_types[year])
    for agency, tname, kind, y0, y1 in spec["departments"]:
        for year in range(y0, y1 + 1):
            b.publish(main, b.make(agency, tname, kind, year), _doc_type(b.rng, kind))
    b.noise_item(main, "淮安市召开2024年度政务公开工作会议", dt.date(2024, 4, 2), "news", agency="淮安市人民政府办公室")
    b.noise_item(main, "关于2024年政务公开工作要点落实情况的函", dt.date(2024, 12, 10), "letter",
                 agency="淮安市人民政府办公室")
    b.finalize(main)


def _trs_editor_inner(path: Path) -> str:
    """The content of the first div.TRS_Editor of a real page."""
    text = path.read_text(encoding="utf-8")
    start = re.search(r"<div class=\"?TRS_Editor\"?>", text)
    depth, i = 0, start.start()
    for m in re.finditer(r"<(/?)div\b", text[i:]):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return text[start.end(): i + m.start()]
    raise ValueError(f"unterminated TRS_Editor in {path}")


BUILDERS = {"hongze": _build_hongze, "pingtan": _build_pingtan, "huaian": _build_huaian}


def build_world(seed: int = 2024, *, sites: list[str] | None = None, obstacles: bool = False,
                as_of: dt.date | None = None) -> World:
    """The simulated world for a seed: same seed, same pages, same ground truth.

    The default world is well-behaved: the TRS sites and one site per other CMS family (Hanweb jcms with
    a jpaas column, gkmlpt, an unknown CMS, a JavaScript-built list), every one of them crawlable.
    `obstacles=True` adds one small site per obstacle, each with its fault switched on (robots.txt
    `Disallow: /`, anti-bot challenges, rate limits, lying charsets, soft 404s, a moved domain, TLS
    trouble, cross-site links); reports behind a wall are in `World.unreachable`, not in the ground truth.

    `as_of` is the world on an earlier day: list entries of the report columns dated later are not yet
    published (not listed, their pages 404, not in the ground truth). Serving the world of `as_of` and then
    swapping in today's (`RunningWorld.swap`) is "new reports appeared overnight".
    """
    specs = [(spec, BUILDERS[spec["site_id"]]) for spec in SITES]
    specs += [(spec, FAMILY_BUILDERS[spec["site_id"]]) for spec in FAMILY_SITES]
    if obstacles:
        specs += [(spec, build_obstacle_site) for spec in OBSTACLE_SITES]
    out_sites, reports, noise, unreachable = [], [], [], []
    for index, (spec, build) in enumerate(specs):
        if sites is not None and spec["site_id"] not in sites:
            continue
        b = _Builder(seed, spec, index, as_of=as_of)
        _static(b)
        build(b)
        _unpublish(b)
        out_sites.append(b.site)
        if spec.get("walled"):
            unreachable += b.reports
        else:
            reports += b.reports
        noise += b.noise
    reports.sort(key=lambda r: (r.site_id, r.kind != "government", r.agency, r.year))
    return World(seed, out_sites, reports, noise, unreachable)
