"""Building one simulated site: the builder primitives every CMS family uses (pages, columns, list entries,
detail pages and attachments, the common pages of a portal), and `unpublish` for a world seen on an earlier day."""
from __future__ import annotations

import datetime as dt
import html
import io
import json
import posixpath
import random
import re

from . import templates as T
from .reports import GeneratedReport, make_report
from .render import render_docx, render_html_body, render_pdf
from .model import (CORPUS, Column, DOCX, Doc, ExpectedReport, HTML_UTF8, NoiseItem, PDF, Resource, Site)


def _fmt(year: int) -> str:
    return "gov2019" if year <= 2020 else "gov2021"


def _cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month:02d}月{d.day:02d}日"


# ----------------------------------------------------------------------------------------------
# building one TRS site
# ----------------------------------------------------------------------------------------------

class _Builder:
    def __init__(self, world_seed: int, spec: dict, index: int, as_of: dt.date | None = None):
        self.seed = world_seed
        self.as_of = as_of                 # list entries dated later are not published yet
        self.unpublished: set[str] = set()  # paths of the detail pages they link to
        self.spec = spec
        self.rng = random.Random(f"{world_seed}:{spec['site_id']}")
        s = spec
        self.site = Site(site_id=s["site_id"], name=s["name"], site_name=s["site_name"], province=s["province"],
                         city=s["city"], county=s["county"], domain=s["domain"], site_code=s["site_code"],
                         short=s["short"], icp=s["icp"], index=index, start_path=s["start_path"])
        self.reports: list[ExpectedReport] = []
        self.noise: list[NoiseItem] = []
        self.used_ids: set[int] = set()
        self.id_base = self.rng.randint(40000, 90000)
        self.org_codes: dict[str, str] = {}
        self.index_seq: dict[tuple[str, int], int] = {}
        self.detail_count = 0
        self.generated: dict[tuple[str, int], GeneratedReport] = {}

    # -- identifiers ------------------------------------------------------------------------
    def doc_id(self, date: dt.date) -> int:
        base = self.id_base + (date - dt.date(2019, 1, 1)).days * 23
        i = base + self.rng.randint(0, 20)
        while i in self.used_ids:
            i += 1
        self.used_ids.add(i)
        return i

    def attachment_name(self, date: dt.date, ext: str) -> str:
        return f"P0{date:%Y%m%d}{self.rng.randint(10**11, 10**12 - 1)}.{ext}"

    def index_no(self, agency: str, date: dt.date) -> str:
        if agency not in self.org_codes:
            r = self.rng.random()
            if r < 0.5:
                code = f"{self.rng.randint(10**8, 10**9 - 1)}"                       # 014110365
            elif r < 0.8:
                code = f"1132{self.rng.randint(10**12, 10**13 - 1)}{self.rng.choice('0123456789XY')}"  # USCC
            else:
                code = f"K{self.rng.randint(10**7, 10**8 - 1)}"                      # K28044908
            self.org_codes[agency] = code
        key = (agency, date.year)
        self.index_seq[key] = self.index_seq.get(key, self.rng.randint(3, 40)) + self.rng.randint(1, 9)
        return f"{self.org_codes[agency]}/{date.year}-{self.index_seq[key]:05d}"

    # -- resources ----------------------------------------------------------------------------
    def add_html(self, path: str, text: str, role: str = "page", *, charset: str = "utf-8",
                 header_charset: bool = True, last_modified: str | None = None) -> None:
        if charset == "utf-8":
            body, ctype = text.encode("utf-8"), HTML_UTF8
        else:
            body = text.encode("gbk", errors="xmlcharrefreplace")
            ctype = "text/html; charset=GBK" if header_charset else "text/html"
        self.site.add(path, Resource(ctype, body, role=role, last_modified=last_modified))

    def column(self, dir: str, name: str, **kw) -> Column:
        col = Column(dir=dir, name=name, ext=kw.pop("ext", self.spec["ext"]),
                     detail_ext=kw.pop("detail_ext", self.spec["ext"]), chnl_id=self.rng.randint(1000, 9999), **kw)
        self.site.columns[dir] = col
        return col

    # -- detail pages -------------------------------------------------------------------------
    def detail(self, col: Column, *, title: str, date: dt.date, body: str, agency: str, source: str | None = None,
               layout: str | None = "", list_date: dt.date | None = None, display: str | None = None,
               written: dt.date | None = None, attachments_block: list | None = None, doc_number: str = "",
               charset: str = "utf-8", header_charset: bool = True, list_in: Column | None = None,
               path: str | None = None, index_no: str | None = None) -> tuple[str, dict]:
        """Write a detail page in col's directory and list it in `list_in` (default col)."""
        if path is None:
            did = self.doc_id(date)
            path = f"{col.dir}{date:%Y%m}/t{date:%Y%m%d}_{did}.{col.detail_ext}"
        else:
            did = int(re.search(r"_(\d+)\.", path).group(1))
        self.detail_count += 1
        written = written or date
        fields = {"index_no": index_no or self.index_no(agency, date), "publisher": agency, "doc_number": doc_number,
                  "written": written.isoformat(), "written_cn": _cn_date(written), "published": date.isoformat(),
                  "published_cn": _cn_date(date), "topic": "综合政务/政务公开", "validity": "有效", "title": title}
        hh, mm = self.rng.randint(8, 17), self.rng.randint(0, 59)
        meta_style = self.rng.random()
        pub_meta = (f"{date.isoformat()} {hh:02d}:{mm:02d}" if meta_style < 0.5 else
                    f"{date.isoformat()} {hh:02d}:{mm:02d}:{self.rng.randint(0, 59):02d}" if meta_style < 0.85 else
                    f"{date:%Y.%m.%d}")
        doc = Doc(title=title, body=body, layout=col.layout if layout == "" else layout, fields=fields,
                  pubdate_text=f"{date.isoformat()} {hh:02d}:{mm:02d}", pubdate_meta=pub_meta,
                  source=source or agency, canonical=f"http://{self.site.domain}{path}", doc_id=did,
                  union_style=self.rng.random() < 0.4, editor_quotes=self.rng.random() < 0.7,
                  attachments_block=attachments_block or [])
        self.add_html(path, T.detail_page(self.site, col, doc, charset=charset), "detail", charset=charset,
                      header_charset=header_charset, last_modified=date.isoformat())
        target = list_in or col
        href = _rel(target.dir, path)
        shown = display
        if shown is None and target.style == "li_span" and len(title) > 26 and self.rng.random() < 0.6:
            shown = title[:24] + "..."
        target.entries.append(T.ListEntry(href, title, (list_date or date).isoformat(), shown))
        return path, fields

    # -- reports ------------------------------------------------------------------------------
    def make(self, agency: str, title_name: str, kind: str, year: int, level: str | None = None,
             next_json: str | None = None) -> GeneratedReport:
        """A generated report; `next_json` names the real report of year+1, whose 上年结转 it must match."""
        prev = self.generated.get((agency, year - 1))
        rng = random.Random(f"{self.seed}:{self.site.site_id}:{agency}:{year}")
        title = _report_title(rng, title_name, year)
        cf = None
        if next_json:
            cells = json.loads((CORPUS / "expected" / next_json).read_text(encoding="utf-8"))["cells"]
            cf = {k.rsplit(".", 1)[1]: v for k, v in cells.items() if k.startswith("apply.carried_over.")}
        r = make_report(agency, year, _fmt(year), rng, kind=kind, level=level, prev=prev, short_name=title_name,
                        title=title, site_name=self.site.site_name, domain=self.site.domain, carry_forward=cf)
        self.generated[(agency, year)] = r
        return r

    def pub_date(self, r: GeneratedReport) -> dt.date:
        return dt.date.fromisoformat(r.date) + dt.timedelta(days=self.rng.choice([0, 0, 1, 2, 3, 5, 7]))

    def publish(self, col: Column, r: GeneratedReport, doc_type: str, *, list_in: Column | None = None,
                date: dt.date | None = None, extra_attachment: bool = False, ctype: str | None = None,
                path: str | None = None, list_date: dt.date | None = None) -> ExpectedReport:
        """Publish a generated report in a column as an HTML page or as a PDF/DOCX attachment."""
        date = date or self.pub_date(r)
        written = dt.date.fromisoformat(r.date)
        attachments = []
        if doc_type == "html":
            body = render_html_body(r, with_title=self.rng.random() < 0.3)
            doc_path = None
        else:
            ext = "pdf" if doc_type == "pdf" else "docx"
            name = self.attachment_name(date, ext)
            doc_path = f"{col.dir}{date:%Y%m}/{name}"
            maker = (lambda r=r: render_pdf(r)) if doc_type == "pdf" else (lambda r=r: render_docx(r))
            headers = {}
            ct = ctype or (PDF if doc_type == "pdf" else DOCX)
            if ct == "application/octet-stream":
                headers["Content-Disposition"] = f'attachment; filename="{name}"'
            self.site.add(doc_path, Resource(ct, make=maker, role="attachment", last_modified=date.isoformat(),
                                             headers=headers))
            self.site.documents[doc_path] = (r, doc_type)
            if doc_type == "pdf" and "broken_pdf" not in self.site.fault_targets:
                self.site.fault_targets["broken_pdf"] = doc_path
            attachments.append((f"./{name}", f"{r.title}.{ext}"))
            if extra_attachment:
                form = self.attachment_name(date, "doc")
                self.site.add(f"{col.dir}{date:%Y%m}/{form}",
                              Resource("application/msword", make=_application_form, role="attachment",
                                       last_modified=date.isoformat()))
                attachments.append((f"./{form}", "政府信息公开申请表.doc"))
            body = _attachment_body(self.rng, r.title, attachments)
        block = attachments if (attachments and self.rng.random() < 0.35) else None
        if block:
            body = f'<p style="text-indent:2em;">现将《{html.escape(r.title)}》予以公布，全文详见附件。</p>'
        page, fields = self.detail(col, title=r.title, date=date, body=body, agency=r.agency, written=written,
                                   attachments_block=block, list_in=list_in, path=path, list_date=list_date,
                                   source=r.publisher if r.kind == "government" else r.agency)
        listed_in = (list_in or col)
        exp = ExpectedReport(site_id=self.site.site_id, agency=r.agency, year=r.year, format=r.fmt, doc_type=doc_type,
                             page_url=page, document_url=doc_path or page, cells=dict(r.cells), expected_json=None,
                             kind=r.kind, title=r.title, publish_date=date.isoformat(), index_no=fields["index_no"],
                             publisher=r.agency, column=listed_in.first_page, facts=dict(r.facts))
        self.reports.append(exp)
        return exp

    def publish_corpus_pdf(self, col: Column, rel: str, json_name: str, date: dt.date, title: str,
                           agency_name: str) -> ExpectedReport:
        exp_json = json.loads((CORPUS / "expected" / json_name).read_text(encoding="utf-8"))
        name = self.attachment_name(date, "pdf")
        doc_path = f"{col.dir}{date:%Y%m}/{name}"
        src = CORPUS / rel
        self.site.add(doc_path, Resource(PDF, make=lambda src=src: src.read_bytes(), role="attachment",
                                         last_modified=date.isoformat()))
        body = _attachment_body(self.rng, title, [(f"./{name}", f"{title}.pdf")])
        page, fields = self.detail(col, title=title, date=date, body=body, agency=agency_name)
        # the agency under the name the site publishes it (one name across years); the document itself
        # may print another (hongze-2023 says 洪泽区人民政府)
        exp = ExpectedReport(site_id=self.site.site_id, agency=agency_name, year=exp_json["year"],
                             format=exp_json["format"], doc_type="pdf", page_url=page, document_url=doc_path,
                             cells=None, expected_json=json_name, kind="government", title=title,
                             publish_date=date.isoformat(), index_no=fields["index_no"], publisher=agency_name,
                             column=col.first_page, source="corpus")
        self.reports.append(exp)
        return exp

    # -- noise ----------------------------------------------------------------------------------
    def noise_item(self, col: Column, title: str, date: dt.date, reason: str, agency: str,
                   attachment: bytes | None = None) -> None:
        paras = {
            "news": f"{date.month}月{date.day}日，{agency}召开会议，总结上一年度政务公开工作，部署本年度重点任务。"
                    "会议强调，要坚持以公开为常态、不公开为例外，持续提升政务公开质量和实效。",
            "letter": "根据上级要求，现将我单位政务公开工作要点落实情况函告如下：一是加强组织领导；二是推进重点领域信息公开；"
                      "三是做好政策解读和回应关切。特此函告。",
            "other_body": "根据预算法和有关规定，现将相关情况予以公开，详见附件。",
            "notice": "各镇（街道）、区各部门：根据《中华人民共和国政府信息公开条例》规定，请各单位按照国办公开办函〔2021〕30号"
                      "文件规定的格式，认真编制本单位政府信息公开工作年度报告，并于规定时间前在政府门户网站公开。",
            "format_doc": "为进一步规范政府信息公开工作年度报告的编制和发布，现将年度报告格式予以公布，请参照执行。",
        }
        body = f'<p style="text-indent:2em;">{html.escape(paras[reason])}</p>'
        if attachment is not None:
            name = self.attachment_name(date, "pdf")
            self.site.add(f"{col.dir}{date:%Y%m}/{name}", Resource(PDF, attachment, role="attachment",
                                                                  last_modified=date.isoformat()))
            body += f'<p>附件：<a href="./{name}">{html.escape(title)}.pdf</a></p>'
        path, _ = self.detail(col, title=title, date=date, body=body, agency=agency)
        self.noise.append(NoiseItem(self.site.site_id, title, path, reason))

    # -- list pages -----------------------------------------------------------------------------
    def finalize(self, col: Column) -> None:
        entries = sorted(col.entries, key=lambda x: x.date, reverse=True)
        entries = col.pinned + entries
        if self.as_of is not None:
            later = [e for e in entries if e.date > self.as_of.isoformat()]
            self.unpublished.update(_abs(col.dir, e.href) for e in later)
            entries = [e for e in entries if e.date <= self.as_of.isoformat()]
        pages = max(1, -(-len(entries) // col.per_page))
        for k in range(pages):
            chunk = entries[k * col.per_page:(k + 1) * col.per_page]
            text = T.column_page(self.site, col, k, chunk, pages, len(entries))
            self.add_html(col.dir + T.page_filename(col.sig, k, col.page_name, col.ext), text, "list",
                          charset=col.charset)
        if col.stub:
            self.site.add(col.dir + T.page_filename(col.sig, pages, col.page_name, col.ext),
                          Resource(HTML_UTF8, T.stub_page().encode(), role="stub"))
        col.entries = entries


def _abs(list_dir: str, href: str) -> str:
    """The site path a list entry's href points at."""
    return posixpath.normpath(posixpath.join(list_dir, href)) if not href.startswith("/") else href


def _rel(from_dir: str, path: str) -> str:
    """The href a list page in from_dir writes for path: ./x, ../x, or the absolute path."""
    if path.startswith(from_dir):
        return "./" + path[len(from_dir):]
    parent = from_dir.rstrip("/").rsplit("/", 1)[0] + "/"
    if path.startswith(parent):
        return "../" + path[len(parent):]
    return path


def _report_title(rng: random.Random, name: str, year: int) -> str:
    return rng.choice([f"{name}{year}年政府信息公开工作年度报告", f"{name}{year}年度政府信息公开工作年度报告",
                       f"{name}{year}年政府信息公开工作年度报告", f"{name}{year}年政府信息公开年度报告",
                       f"{name}{year}年度政府信息公开年度报告"])


def _attachment_body(rng: random.Random, title: str, attachments: list[tuple[str, str]]) -> str:
    links = "".join(f'<p style="text-indent:2em;">{"附件：" if i == 0 else "　　　"}'
                    f'<a href="{html.escape(h)}" target="_blank">{html.escape(t)}</a></p>'
                    for i, (h, t) in enumerate(attachments))
    intro = rng.choice([f"现将《{title}》予以公布。", f"根据《中华人民共和国政府信息公开条例》规定，现公布《{title}》。",
                        "详见附件。"])
    return f'<p style="text-indent:2em;">{html.escape(intro)}</p>\n{links}'


def _application_form() -> bytes:
    """政府信息公开申请表 — an unrelated attachment (a Word file, served as .doc as portals often do)."""
    from docx import Document
    from .render import fixed_zip
    doc = Document()
    doc.add_paragraph("政府信息公开申请表")
    t = doc.add_table(rows=6, cols=4)
    t.style = "Table Grid"
    for i, lab in enumerate(["申请人姓名", "证件号码", "联系电话", "通信地址", "所需信息内容描述", "获取信息方式"]):
        t.cell(i, 0).text = lab
    doc.core_properties.created = doc.core_properties.modified = dt.datetime(2019, 5, 1, tzinfo=dt.timezone.utc)
    buf = io.BytesIO()
    doc.save(buf)
    return fixed_zip(buf.getvalue())


def _budget_pdf(title: str) -> bytes:
    """A 决算 report: another body's annual report, with a table, that is not a disclosure report."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    from .render import _FONT, _register_font
    _register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setFont(_FONT, 16)
    c.drawCentredString(A4[0] / 2, 780, title)
    c.setFont(_FONT, 11)
    rows = [("项目", "年初预算数", "决算数"), ("一般公共预算财政拨款收入", "12,345.67", "12,001.23"),
            ("政府性基金预算财政拨款收入", "2,100.00", "1,987.65"), ("支出合计", "14,445.67", "13,988.88")]
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            c.drawString(70 + j * 160, 720 - i * 22, v)
    c.showPage()
    c.save()
    return buf.getvalue()


def _image_version(pdf_resource: Resource, page: int) -> bytes:
    """Page `page` of a report PDF as a PNG scan (for a （图片版） twin)."""
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(pdf_resource.data())
    img = doc[page].render(scale=1.5).to_pil().convert("L")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def _pdf_pages(data: bytes) -> int:
    import pypdfium2 as pdfium
    return len(pdfium.PdfDocument(data))


# ----------------------------------------------------------------------------------------------
# common pages of a site
# ----------------------------------------------------------------------------------------------

def _static(b: _Builder) -> None:
    s = b.site
    s.add("/robots.txt", Resource("text/plain", (
        "User-agent: *\nAllow: /\nDisallow: /manage/\nDisallow: /search/\n").encode(), role="static"))
    s.add("/images/common.css", Resource("text/css", b"body{font-family:'Microsoft YaHei';}\n.list li span{float:right}\n",
                                         role="static"))
    s.add("/images/logo.png", Resource("image/png", _PNG_1PX, role="static"))
    s.add("/favicon.ico", Resource("image/x-icon", _PNG_1PX, role="static"))
    s.add("/images/trs_page.js", Resource("application/javascript", T.CREATE_PAGE_HTML_JS.encode(), role="static"))
    s.add("/images/createPageHTML.js", Resource("application/javascript", (
        "function createPageHTML(divId, pageCount, curPage, name, ext, records){\n"
        "  var h='共'+records+'条 第'+curPage+'/'+pageCount+'页 ';\n"
        "  for(var i=1;i<=pageCount;i++){ h+= i==curPage ? '<span>'+i+'</span>' :"
        " '<a href=\"'+(i==1?name:name+'_'+i)+'.'+ext+'\">'+i+'</a>'; }\n"
        "  document.getElementById(divId).innerHTML=h;\n}\n").encode(), role="static"))
    s.add("/images/trs_page_bj.js", Resource("application/javascript", (
        "function createPageHTML(total, pageCount, cur, name, ext){\n"
        "  if(pageCount<=1) return; for(var i=0;i<pageCount;i++){ document.write(i==cur?'<span>'+(i+1)+'</span>':"
        " '<a href=\"'+(i==0?name:name+'_'+i)+'.'+ext+'\">'+(i+1)+'</a>'); }\n}\n").encode(), role="static"))
    s.add("/images/count.js", Resource("application/javascript", b"document.write('128');\n", role="static"))


_PNG_1PX = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                         "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")


def _portal(b: _Builder, xxgk: str, nb_name: str = "政府信息公开年报") -> None:
    """Home page, 政务公开 page, the disclosure portal and its children other than the 年报 column."""
    s, ext = b.site, b.spec["ext"]
    idx = f"index.{ext}"
    s.nav = [("首页", "/"), ("政务公开", f"/zwgk/{idx}"),
             ("政府信息公开", f"{xxgk}{idx}"), ("政务服务", f"/zwfw/{idx}"), ("互动交流", f"/hdjl/{idx}")]
    news_col = b.column("/xwzx/", "新闻中心", style="li_span", layout=None, per_page=20)
    for i, (t, d) in enumerate([(f"{s.short}召开政务公开工作推进会", dt.date(2025, 3, 20)),
                                (f"{s.short}开展“政府开放日”活动", dt.date(2025, 2, 12))]):
        b.detail(news_col, title=t, date=d, agency=s.name, layout=None,
                 body=f'<p style="text-indent:2em;">{html.escape(t)}。会议听取了各单位工作汇报。</p>')
    b.finalize(news_col)
    home_links = "".join(f'<li><a href="{T.e(x.href.replace("./", "/xwzx/"))}" title="{T.e(x.title)}">{T.e(x.title)}</a>'
                         f'<span>{x.date}</span></li>' for x in news_col.entries)
    home = T.frame(s, s.site_name, f"""<div class="banner"><h1>{T.e(s.site_name)}</h1></div>
<div class="news"><h2><a href="/xwzx/{idx}">新闻中心</a></h2><ul>{home_links}</ul></div>
<div class="zwgk_entry"><a href="{xxgk}{idx}" title="政府信息公开">政府信息公开</a>
<a href="{xxgk}zfxxgknb/{idx}">政府信息公开年报</a></div>""",
                   meta={"Keywords": f"{s.short},政务公开", "Description": f"{s.site_name}门户网站"})
    b.add_html("/", home, "home")
    b.add_html(f"/index.{ext}", home, "home")
    b.add_html(f"/zwgk/{idx}", T.simple_page(s, "政务公开", [("首页", "/"), ("政务公开", "")], T.link_list([
        ("政府信息公开", f"{xxgk}{idx}"), ("政策文件", f"{xxgk}fdzdgknr/{idx}")]), "政务公开"))
    for d, name in (("/zwfw/", "政务服务"), ("/hdjl/", "互动交流")):
        b.add_html(f"{d}{idx}", T.simple_page(s, name, [("首页", "/"), (name, "")], "<p>栏目建设中。</p>", name))
    children = [("政府信息公开指南", "zfxxgkzn"), ("政府信息公开制度", "zfxxgkzd"), ("法定主动公开内容", "fdzdgknr"),
                (nb_name, "zfxxgknb"), ("依申请公开", "ysqgk")]
    b.add_html(f"{xxgk}{idx}", T.simple_page(s, "政府信息公开", [("首页", "/"), ("政府信息公开", "")],
               T.link_list([(n, f"{xxgk}{d}/{idx}") for n, d in children], "xxgk_nav"), "政府信息公开"))
    crumbs = [("首页", "/"), ("政府信息公开", f"{xxgk}{idx}")]
    b.add_html(f"{xxgk}zfxxgkzn/{idx}", T.simple_page(s, "政府信息公开指南", crumbs + [("政府信息公开指南", "")],
               f"<p>为了更好地提供政府信息公开服务，根据《中华人民共和国政府信息公开条例》，编制本指南。"
               f"申请人可通过{s.site_name}门户网站在线提交政府信息公开申请。</p>"))
    b.add_html(f"{xxgk}zfxxgkzd/{idx}", T.simple_page(s, "政府信息公开制度", crumbs + [("政府信息公开制度", "")],
               T.link_list([("政府信息公开保密审查制度", f"{xxgk}zfxxgkzd/{idx}#bmsc"),
                            ("政府信息公开申请办理制度", f"{xxgk}zfxxgkzd/{idx}#sqbl")])))
    b.add_html(f"{xxgk}fdzdgknr/{idx}", T.simple_page(s, "法定主动公开内容", crumbs + [("法定主动公开内容", "")],
               T.link_list([("机构职能", f"{xxgk}fdzdgknr/{idx}#jgzn"), ("行政规范性文件", f"{xxgk}fdzdgknr/{idx}#gfxwj"),
                            ("规划信息", f"{xxgk}fdzdgknr/{idx}#ghxx"), ("财政信息", f"{xxgk}fdzdgknr/{idx}#czxx")])))
    b.add_html(f"{xxgk}ysqgk/{idx}", T.simple_page(s, "依申请公开", crumbs + [("依申请公开", "")],
               "<p>申请人可通过网上申请、当面申请、信函申请等方式提出政府信息公开申请。</p>"))


def _doc_type(rng: random.Random, kind: str) -> str:
    w = {"government": (35, 45, 20), "department": (35, 50, 15), "township": (50, 35, 15)}[kind]
    return rng.choices(["html", "pdf", "docx"], w)[0]


def _unpublish(b: _Builder) -> None:
    """Drop what `as_of` hides: detail pages no list shows any more, and their reports from the ground truth."""
    if not b.unpublished:
        return
    listed = {_abs(col.dir, e.href) for col in b.site.columns.values() for e in col.entries}
    gone = b.unpublished - listed
    for path in gone:
        b.site.resources.pop(path, None)
    b.reports[:] = [r for r in b.reports if r.page_url not in gone]
    for r in b.reports:
        r.also_at = [u for u in r.also_at if u not in gone]
    b.noise[:] = [n for n in b.noise if n.page_url not in gone]
