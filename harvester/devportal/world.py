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
import hashlib
import html
import io
import json
import posixpath
import random
import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from . import templates as T
from .reports import GeneratedReport, make_report, render_docx, render_html_body, render_pdf

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT / "tests" / "fixtures" / "corpus"

HTML_UTF8 = "text/html; charset=utf-8"
_MAKE_LOCK = threading.RLock()
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# ----------------------------------------------------------------------------------------------
# data model
# ----------------------------------------------------------------------------------------------

@dataclass
class Resource:
    """One URL path of a site: bytes (or a function making them, called once) and how they are served."""
    content_type: str
    body: bytes | None = None
    make: Callable[[], bytes] | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: str | None = None      # YYYY-MM-DD
    role: str = "page"                    # home, page, list, detail, attachment, shell, stub, static, api
    handler: Callable | None = None       # answers per request: (faults.Request) -> faults.Response

    def data(self) -> bytes:
        if self.body is None:
            with _MAKE_LOCK:   # renderers run one at a time (server threads share reportlab/python-docx)
                if self.body is None:
                    self.body = self.make() if self.make else b""
        return self.body


@dataclass
class Column:
    """A list column: where it lives, how it paginates and looks, what it lists."""
    dir: str                   # "/zfxxgk/zfxxgknb/"
    name: str                  # ColumnName
    sig: int = 1               # pagination signature 1–4 (templates.pager)
    page_name: str = "index"
    ext: str = "html"          # extension of list pages
    detail_ext: str = "html"   # extension of detail pages
    per_page: int = 15
    style: str = "li_span"     # list markup: li_span, dl_dd, table
    layout: str = "jiangsu"    # metadata layout of its detail pages
    crumbs: list = field(default_factory=list)
    nav: list = field(default_factory=list)        # sub-column tabs (name, href)
    nav_title: str | None = None
    inline_js: bool = True     # createPageHTML defined inline (sig 1)
    charset: str = "utf-8"
    stub: bool = False         # a stale page past the last one
    chnl_id: int = 0
    entries: list = field(default_factory=list)    # T.ListEntry, in list order once finalised
    pinned: list = field(default_factory=list)     # entries shown first on page 1 (置顶)

    @property
    def first_page(self) -> str:
        return self.dir + T.page_filename(self.sig, 0, self.page_name, self.ext)


@dataclass
class Doc:
    """A detail page."""
    title: str
    body: str
    layout: str | None
    fields: dict
    pubdate_text: str
    pubdate_meta: str
    source: str
    canonical: str
    doc_id: int
    union_style: bool = False
    editor_quotes: bool = True
    attachments_block: list = field(default_factory=list)   # (href, text) outside the editor


@dataclass
class ExpectedReport:
    """Ground truth: one agency's report for one year, where it is and what it says."""
    site_id: str
    agency: str                 # canonical full name, the same for every year of the agency
    year: int
    format: str                 # gov2021 / gov2019
    doc_type: str               # html / pdf / docx
    page_url: str               # the detail page listing the report
    document_url: str           # the report itself (= page_url for HTML reports)
    cells: dict | None          # generated reports: every cell; corpus documents: None
    expected_json: str | None   # corpus documents: tests/fixtures/corpus/expected/<name>
    kind: str = "government"    # government / department / township
    title: str = ""
    publish_date: str = ""      # 发布日期 of the detail page
    index_no: str = ""
    publisher: str = ""
    column: str = ""            # path of the column page listing it
    also_at: list = field(default_factory=list)   # other URLs of the same report (reposts, 图片版, …)
    source: str = "generated"   # generated / corpus
    facts: dict = field(default_factory=dict)     # numbers the narrative quotes

    def with_base(self, base: str) -> "ExpectedReport":
        b = base.rstrip("/")
        return replace(self, page_url=b + self.page_url, document_url=b + self.document_url,
                       column=b + self.column, also_at=[b + u for u in self.also_at])


@dataclass
class NoiseItem:
    site_id: str
    title: str
    page_url: str
    reason: str                 # news, letter, other_body, notice, format_doc (not reports);
                                # duplicate_listing, repost, image_version (a report seen again)


@dataclass
class Site:
    site_id: str
    name: str                   # registry name
    site_name: str              # <meta name="SiteName">
    province: str
    city: str
    county: str
    domain: str                 # SiteDomain (the real portal's host; served on loopback instead)
    site_code: str
    short: str
    icp: str
    index: int                  # loopback address offset: host_base + index
    platform: str = "trs"
    start_path: str = "/"       # registry start_url path
    nb_dir: str = ""            # the 年报 column directory
    nb_path: str = ""           # its first page
    nav: list = field(default_factory=list)
    resources: dict[str, Resource] = field(default_factory=dict)
    columns: dict[str, Column] = field(default_factory=dict)
    faults: set[str] = field(default_factory=set)
    fault_state: dict = field(default_factory=dict)
    fault_targets: dict[str, str] = field(default_factory=dict)   # fault name -> path it acts on
    documents: dict = field(default_factory=dict)  # attachment path -> (GeneratedReport, doc type): revisable

    def add(self, path: str, res: Resource) -> None:
        if path in self.resources:
            raise ValueError(f"{self.site_id}: {path} defined twice")
        self.resources[path] = res

    def lookup(self, path: str) -> Resource | None:
        """The resource at a path (a path with a query string when the resource is keyed with one: Hanweb's
        downfile.jsp?…&filename=…); a directory path serves its index page."""
        if path in self.resources:
            return self.resources[path]
        if path.endswith("/"):
            for name in ("index.html", "index.htm", "index.shtml"):
                if path + name in self.resources:
                    return self.resources[path + name]
        return None


@dataclass
class World:
    seed: int
    sites: list[Site]
    reports: list[ExpectedReport]
    noise: list[NoiseItem]
    unreachable: list[ExpectedReport] = field(default_factory=list)   # published behind a wall (robots, challenge)

    def site(self, site_id: str) -> Site:
        for s in self.sites:
            if s.site_id == site_id:
                return s
        raise KeyError(site_id)

    def expected_reports(self, base_urls: dict[str, str] | None = None) -> list[ExpectedReport]:
        """Ground truth; URLs are site-relative paths unless `base_urls` (site_id → base URL) is given."""
        if not base_urls:
            return list(self.reports)
        out = []
        for r in self.reports:
            base = base_urls[r.site_id]
            exp = r.with_base(base)
            if "http_https_duplicates" in self.site(r.site_id).faults and r.page_url in self.site(r.site_id).fault_targets.get(
                    "http_https_duplicates", ()):
                tls = "https://" + base.split("://", 1)[1].rstrip("/")
                exp.also_at = exp.also_at + [tls + r.page_url] + ([tls + r.document_url] if r.document_url != r.page_url else [])
            out.append(exp)
        return out

    def fingerprint(self) -> str:
        """Hash of every page's path and bytes (lazy documents excluded) and of the ground truth."""
        h = hashlib.sha256()
        for s in self.sites:
            for path in sorted(s.resources):
                r = s.resources[path]
                h.update(f"{s.site_id}{path}{r.content_type}{r.status}".encode())
                if r.body is not None and r.make is None:
                    h.update(r.body)
        for r in self.reports:
            h.update(json.dumps(r.__dict__, sort_keys=True, ensure_ascii=False, default=str).encode())
        return h.hexdigest()


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
    from .reports import fixed_zip
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
    from .reports import _FONT, _register_font
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


# ----------------------------------------------------------------------------------------------
# the three sites
# ----------------------------------------------------------------------------------------------

def _doc_type(rng: random.Random, kind: str) -> str:
    w = {"government": (35, 45, 20), "department": (35, 50, 15), "township": (50, 35, 15)}[kind]
    return rng.choices(["html", "pdf", "docx"], w)[0]


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
    from .families import FAMILY_BUILDERS, FAMILY_SITES
    from .obstacles import OBSTACLE_SITES, build_obstacle_site

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
