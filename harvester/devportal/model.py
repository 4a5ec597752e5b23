"""The simulated world as data: sites, their columns and pages (resources), the ground truth of expected
reports and the noise a crawler must not store — what every builder produces and the server serves."""
from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from . import templates as T

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
