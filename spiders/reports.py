"""The spider: from each registry site's start URL to its annual reports and their documents.

entry page ──(disclosure portal links)──► entry page … ──(年报 column link)──► column page
column page ──(pagination, sub-columns, shells)──► column pages
column page ──(report items)──► detail page ──(attachments, chained)──► one ReportItem
column page ──(report item that is a file)──► one ReportItem

The family adapter (spiders/platforms) says how a column lists its pages: TRS pagination scripts, a Hanweb
data-proxy POST or jpaas API, the gkmlpt JSON API, plain 下一页 links. Whatever the family, the generic step
(spiders/platforms/inline.py) adds the report items in the page's inline data and follows the list fragments
its scripts load (XHR/fetch/$.ajax with their parameters, iframes, list forms).

Escalation instead of silence: a column page (reached by its link text, its name, or remembered) that lists no
report over HTTP is fetched once more through scrapy-playwright — only that page, never a document — and the
XHR/fetch calls the browser makes are asked for again over plain HTTP; one whose answer lists reports is
remembered as the column's API, so later runs need no browser. What still lists nothing when the crawl runs
dry is rendered then, and so are the start page and the disclosure portal of a site where no report column
was found. Renders are bounded per site (HARVESTER_MAX_RENDERS) and counted; every page visited, what read
it, what it listed, what was rendered and captured, and the best column candidates are the site's evidence
(harvester/crawl/run.py), stored with its outcome.

Every failure is recorded with its reason in the crawl run (crawl_events) and the crawl goes on. Walls
are named, never climbed: robots.txt is obeyed, anti-bot challenges (412 $_ts, 521 __jsluid, cookie
loops) make the site `blocked`, soft 404s are not reports.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import asdict
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import (CannotResolveHostError, DontCloseSpider, DownloadConnectionRefusedError,
                               DownloadTimeoutError, IgnoreRequest)
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError

from harvester.crawl import revisit
from harvester.crawl.run import crawl_context
from harvester.extract.metadata import meta_from_html
from harvester.crawl.items import Fetched, ReportItem
from harvester.crawl.obstacles import challenge_reason, soft_404_reason
from harvester.crawl.titles import is_report_title, norm_title
from spiders.platforms import ADAPTERS, adapter_for, inline
from spiders.platforms.base import (COLUMN_HREF, COLUMN_TEXT, DETAIL_HINT, PORTAL_HREF, PORTAL_TEXT, Fetch,
                                    is_document_url)

MAX_ENTRY_HOPS = 3          # home → disclosure portal → sub-portal → column
MAX_SUBCOLUMN_DEPTH = 2     # column → township column → year folder
MAX_ATTACHMENTS = 6
ATTACHMENT_BLOCKS = ("[class*=attach], [id*=attach], [class*=fujian], [id*=fujian], [class*=xgfj], [id*=xgfj], "
                     "[class*=appendix], [class*=file-list], [class*=download]")
SUBCOLUMN_TEXT = re.compile(r"(?:镇|乡|街道|办事处|管委会|年报|年度报告|部门|乡镇|区县|县区)$|^(?:19|20)\d{2}年?(?:度)?$")
REPORT_WORDS = re.compile(r"年报|年度报告")
YEAR_FOLDER = re.compile(r"^((?:19|20)\d{2})\s*年?度?$")
MAX_CANDIDATES = 8          # column candidates kept as evidence
MAX_EVIDENCE_PAGES = 40     # pages described in the evidence (all are counted)


def _header(response, name: str) -> str:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else ""


def _is_html(response) -> bool:
    return isinstance(response, scrapy.http.HtmlResponse)


def _content_type(response) -> str:
    """The Content-Type header, with the charset the page was really read in when the header lies or is silent."""
    ctype = _header(response, "Content-Type")
    enc = getattr(response, "_encoding", None)        # set by EncodingMiddleware when it re-read the bytes
    if enc and _is_html(response):
        base = ctype.split(";", 1)[0].strip() or "text/html"
        return f"{base}; charset={enc}"
    return ctype


CRUMBS = ("//*[contains(@class, 'position') or contains(@class, 'crumb') or contains(@class, 'location') "
          "or contains(@class, 'dqwz') or contains(@id, 'position') or contains(@id, 'crumb')]")


def _page_names(response) -> list[str]:
    """What a page calls itself: its ColumnName meta, the first part of its <title>, its breadcrumb's last step
    (short names only: a report's own title is not a column's name)."""
    if not _is_html(response):
        return []
    names = response.xpath("//meta[@name='ColumnName' or @name='columnname']/@content").getall()
    title = norm_title(" ".join(response.xpath("//title/text()").getall()))
    names.append(re.split(r"[_|\-—]", title, maxsplit=1)[0] if title else "")
    for crumb in response.xpath(CRUMBS)[:1]:
        steps = [t for t in re.split(r"[>»＞›/]", norm_title(" ".join(crumb.xpath(".//text()").getall()))) if t]
        names.append(steps[-1] if steps else "")
    return [norm_title(n) for n in names if n and len(norm_title(n)) <= 20 and not is_report_title(n)]


COLUMN_KEYS = ("site_id", "role", "depth_in_column", "column_root", "fragment", "column_entry", "known_column",
               "conditional", "column_key")


def item_key(url: str, title: str) -> str:
    """What identifies a list item across runs: its URL and its title (a retitled item is a new one)."""
    return hashlib.sha1(f"{url.split('#')[0]}\n{norm_title(title)}".encode("utf-8")).hexdigest()


def _walk_group(f: Fetch) -> tuple:
    """Which list a page request belongs to (pages of one list are walked one after another): an API's kind and
    category or proxy, or the plain pages of the column."""
    st = f.state or {}
    return (st.get("kind") or "", str(st.get("catid") or ""), st.get("proxy") or "", st.get("endpoint") or "")


def _column_meta(meta: dict) -> dict:
    return {k: meta[k] for k in COLUMN_KEYS if k in meta}


class ReportsSpider(scrapy.Spider):
    name = "reports"

    custom_settings: dict = {}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.ctx = crawl_context(crawler)
        spider._columns = {}          # (site, column key) -> what the column listed (escalation)
        spider._entries = {}          # site -> entry pages answered, (url, hops)
        spider._entry_rendered = set()
        spider._api_columns = {}      # site -> columns a remembered API lists
        spider._listed_documents = set()   # list items that are files, requested this run
        spider._year_folders = set()       # (site, year folder url) walked or queued by a nightly year walk
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        return spider

    # ---- start ---------------------------------------------------------------------------------
    async def start(self):
        """Each site from the report columns an earlier run found (conditional requests), else from its
        start page."""
        schedules = self.ctx.schedules()
        for site in self.ctx.sites.values():
            columns = self.ctx.memory(site.site_id)["columns"]
            if not columns:
                yield self._entry_request(site)
                continue
            if not (self.ctx.verify or self.ctx.refresh) and not any(
                    revisit.is_due(schedules.get((site.site_id, url))) for url in columns):
                self.ctx.defer(site.site_id, [schedules.get((site.site_id, u)) for u in columns])
                continue
            st = self.ctx.site(site.site_id)
            st.from_memory = True
            for url in columns:
                if not self._on_site(site, url):      # the site had moved: its new host comes with it
                    st.hosts.add((urlsplit(url).hostname or "").lower())
                yield scrapy.Request(url, callback=self.parse_column, errback=self.on_error,
                                     meta=self._column_start_meta(site.site_id, url, known=True))
            for spec in self.ctx.memory(site.site_id).get("apis", []):    # list APIs a render once found
                self._api_columns.setdefault(site.site_id, set()).add(spec["column"])
                meta = self._column_start_meta(site.site_id, spec["column"], known=True)
                for req in self._requests_for([inline.api_fetch(spec)], ADAPTERS["fragment"], meta, site):
                    yield req

    def _entry_request(self, site):
        # distributed workers (harvester/crawl/distributed.py) all yield the start pages: the shared dupefilter keeps one
        shared = bool(self.settings.get("HARVESTER_DISTRIBUTED"))
        return scrapy.Request(site.start_url, callback=self.parse_entry, errback=self.on_error,
                              dont_filter=not shared, meta={"site_id": site.site_id, "role": "entry", "hops": 0})

    @staticmethod
    def _column_start_meta(site_id: str, url: str, known: bool = False) -> dict:
        return {"site_id": site_id, "role": "column", "depth_in_column": 0,
                "column_root": url.split("#")[0].rsplit("/", 1)[0] + "/", "fragment": urlsplit(url).fragment,
                "column_entry": url, "known_column": known, "conditional": True, "column_key": url}

    def _fall_back(self, meta: dict):
        """A remembered column failed: walk from the start page as a first run would (once per site)."""
        sid = meta.get("site_id")
        st = self.ctx.site(sid)
        if not meta.get("known_column") or st.fell_back:
            return
        st.fell_back = True
        self.ctx.event(sid, meta.get("column_entry", ""), "column_moved",
                       "a remembered report column failed: looking for it from the start page again", level="info")
        yield self._entry_request(self.ctx.sites[sid])

    def _harvested(self, site_id: str, url: str) -> bool:
        return (not self.ctx.refresh and not self.ctx.verify
                and url in self.ctx.memory(site_id)["harvested"])

    def _withdrawn(self, site_id: str, url: str, reason: str) -> None:
        """On a verifying run, a harvested report's page or document that is gone marks the report withdrawn."""
        if not self.ctx.verify or url not in self.ctx.memory(site_id)["harvested"]:
            return
        for report_id in set(self.ctx.store.reports_at([url]).values()):
            if self.ctx.store.mark_withdrawn(report_id, f"{url}: {reason}"):
                self.ctx.site(site_id).withdrawn += 1
                self.ctx.event(site_id, url, "withdrawn", f"report {report_id} withdrawn from the site: {reason}",
                               level="info")

    # ---- helpers -------------------------------------------------------------------------------
    def _site(self, response_or_request):
        return self.ctx.sites[response_or_request.meta["site_id"]]

    def _on_site(self, site, url: str) -> bool:
        """Stay on the registry's domains: the site's host, its www twin and its sub-domains, listed extra
        domains, and the host its start page moved to."""
        return self.ctx.on_site(site.site_id, url)

    def _adapter(self, response, site):
        """The adapter that asked for this response (API pages), else the one for the page."""
        name = response.meta.get("platform")
        return ADAPTERS[name] if name in ADAPTERS else adapter_for(response, site.platform)

    def _check_response(self, response) -> bool:
        """Record blocks, soft 404s and HTTP errors; True when the page can be read."""
        sid = response.meta["site_id"]
        st = self.ctx.site(sid)
        role = response.meta.get("role")
        headers = {"set-cookie": [v.decode("latin-1") for v in response.headers.getlist("Set-Cookie")]}
        reason = response.meta.get("obstacle") or challenge_reason(response.status, headers, response.body)
        if reason:
            st.blocked = reason
            self.ctx.event(sid, response.url, "blocked", f"{role} page: {reason}")
            return False
        if 300 <= response.status < 400:
            reason = f"HTTP {response.status} redirect not followed"
            if role == "entry" and response.meta.get("hops", 0) == 0:
                st.entry_error = f"start page: {reason}"
            self.ctx.event(sid, response.url, f"http_{response.status}", f"{role} page: {reason}")
            return False
        if response.status >= 400:
            reason = f"HTTP {response.status}"
            if response.status in (404, 410) and role in ("detail", "document", "attachment"):
                self._withdrawn(sid, response.url, reason)
            if role == "entry" and response.meta.get("hops", 0) == 0:
                st.entry_error = f"start page returned HTTP {response.status}"
            elif role == "column":
                st.column_errors.append(f"column {response.url} returned HTTP {response.status}")
            self.ctx.event(sid, response.url, f"http_{response.status}", f"{role} page: {reason}")
            return False
        if not hasattr(response, "text"):
            if role in ("entry", "column"):
                st.entry_ok = True
            self.ctx.event(sid, response.url, "not_html", f"{role} page is not HTML ({_header(response, 'Content-Type')})")
            return False
        if not response.meta.get("adapter_state"):      # API answers are JSON/XML, not pages
            title = " ".join(response.xpath("//title/text()").getall()) if _is_html(response) else ""
            visible = " ".join(response.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]")
                               .getall()) if _is_html(response) else response.text
            soft = soft_404_reason(response.status, title, visible)
            if soft:
                st.soft_404s += 1
                if role == "detail":
                    self._withdrawn(sid, response.url, soft)
                if role == "entry" and response.meta.get("hops", 0) == 0:
                    st.entry_error = f"start page: {soft}"
                elif role == "column":
                    st.column_errors.append(f"column {response.url}: {soft}")
                self.ctx.event(sid, response.url, "soft_404", f"{role} page: {soft}")
                return False
        if role in ("entry", "column"):
            st.entry_ok = True
        return True

    def _render(self, url: str, callback, meta: dict, why: str):
        """The page once more, in the browser (scrapy-playwright), when the settings have one and the site has
        renders left this run; the XHR/fetch calls it makes are kept (spiders/capture.py)."""
        sid = meta["site_id"]
        st = self.ctx.site(sid)
        if not self.settings.getbool("HARVESTER_BROWSER"):
            if "needs_browser" not in st.render_skipped:
                st.render_skipped.append("needs_browser")
                self.ctx.event(sid, url, "needs_browser", f"{why}, and no browser is configured "
                               "(HARVESTER_BROWSER / HARVESTER_CHROMIUM)")
            return None
        limit = self.settings.getint("HARVESTER_MAX_RENDERS", 3)
        if st.rendered >= limit:
            if "render_limit" not in st.render_skipped:
                st.render_skipped.append("render_limit")
                self.ctx.event(sid, url, "render_limit", f"{why}, but the site's {limit} renders of this run are "
                               "spent (HARVESTER_MAX_RENDERS)")
            return None
        from scrapy_playwright.page import PageMethod

        from spiders.capture import settle
        st.rendered += 1
        st.render_urls.append(url)
        self.ctx.event(sid, url, "rendered", f"{why}: rendering the page in the browser", level="info")
        return scrapy.Request(url, callback=callback, errback=self.on_error, dont_filter=True,
                              meta={**meta, "rendered": True, "conditional": False, "playwright": True,
                                    "playwright_context": "render",
                                    "playwright_context_kwargs": {"ignore_https_errors": True,
                                                                  "java_script_enabled": True},
                                    "playwright_page_init_callback": "spiders.capture.watch_requests",
                                    "playwright_page_methods": [
                                        PageMethod(settle, self.settings.getfloat("HARVESTER_RENDER_SETTLE", 15))]})

    def _visit(self, response, role: str, adapter: str = "", items: int = 0, reports: int = 0,
               error: str = "") -> None:
        """One page of the site's evidence: what it was, which adapter read it, what it listed."""
        st = self.ctx.site(response.meta["site_id"])
        st.pages_visited += 1
        if len(st.pages) < MAX_EVIDENCE_PAGES:
            state = response.meta.get("adapter_state") or {}
            via = ("render" if response.meta.get("rendered") else "captured" if state.get("captured")
                   else "remembered_api" if state.get("remembered") else "api" if state else "http")
            page = {"url": response.url, "role": role, "via": via, "status": response.status}
            if error:
                page["error"] = error
            else:
                page.update(adapter=adapter, items=items, reports=reports)
            st.pages.append(page)

    def _candidates(self, sid: str, links: list[tuple[str, str]]) -> None:
        """The best report-column candidates met on entry pages, with their link texts (evidence)."""
        st = self.ctx.site(sid)
        for url, text in links:
            path = urlsplit(url).path
            score = (3 if COLUMN_TEXT.search(text) else 2 if REPORT_WORDS.search(text) else 0) \
                + (1 if COLUMN_HREF.search(path) else 0) + (0.5 if PORTAL_TEXT.search(text) else 0)
            if score and all(c["url"] != url for c in st.candidates):
                st.candidates.append({"url": url, "text": text[:40], "score": score})
        st.candidates.sort(key=lambda c: -c["score"])
        del st.candidates[MAX_CANDIDATES:]

    def _requests_for(self, fetches: list[Fetch], adapter, meta: dict, site, rest: dict | None = None) -> list:
        """Requests for the fetches; `rest` (id of a fetch → the fetches after it) is what a page-by-page walk
        asks next when that page brings something new."""
        out = []
        for f in fetches:
            if not self._on_site(site, f.url):
                continue
            m = {**meta, "list_page": True}
            m.pop("walk_rest", None)
            if rest and rest.get(id(f)):
                m["walk_rest"] = [asdict(g) for g in rest[id(f)]]
            if f.state:
                m["adapter_state"] = f.state
                m["platform"] = adapter.name
            out.append(scrapy.Request(f.url, method=f.method, body=f.body, headers=f.headers or None,
                                      callback=self.parse_column, errback=self.on_error, meta=m))
        return out

    # ---- entry: find the 年报 column -----------------------------------------------------------
    def parse_entry(self, response):
        if not self._check_response(response):
            self._visit(response, "entry", error=f"HTTP {response.status}")
            return
        site, hops = self._site(response), response.meta.get("hops", 0)
        self._entries.setdefault(site.site_id, []).append((response.url, hops))
        adapter = adapter_for(response, site.platform)
        target = adapter.shell_target(response)
        if target and self._on_site(site, target):
            yield response.follow(target, callback=self.parse_entry, errback=self.on_error,
                                  meta={"site_id": site.site_id, "role": "entry", "hops": hops + 1})
            return
        if self._looks_like_column(response, adapter):
            yield from self._column(response, {**self._column_start_meta(site.site_id, response.url),
                                               "fragment": ""})
            return
        columns, portals = [], []
        anchors = 0
        # links, and navigation written as data (`var nav = [{name: "政府信息公开", url: "/xxgk/"}]`)
        links = [(url, text) for url, text, _a in adapter.links(response)]
        links += [(i.url, i.title) for i in inline.data_items(response)]
        self._candidates(site.site_id, [(u, t) for u, t in links if self._on_site(site, u)])
        for url, text in links:
            anchors += 1
            if not self._on_site(site, url) or is_document_url(url):
                continue
            path = urlsplit(url).path
            if COLUMN_TEXT.search(text) or (COLUMN_HREF.search(path) and len(text) <= 20 and not is_report_title(text)):
                columns.append(url)
            elif PORTAL_TEXT.search(text) or PORTAL_HREF.search(path) and len(text) <= 12:
                portals.append(url)
        self._visit(response, "entry", adapter.name, len(links))
        for url in dict.fromkeys(columns):
            yield scrapy.Request(url, callback=self.parse_column, errback=self.on_error,
                                 meta=self._column_start_meta(site.site_id, url))
        if not columns and hops < MAX_ENTRY_HOPS:
            for url in dict.fromkeys(portals):
                yield scrapy.Request(url, callback=self.parse_entry, errback=self.on_error,
                                     meta={"site_id": site.site_id, "role": "entry", "hops": hops + 1})
        if not columns and not portals and anchors < 3 and not response.meta.get("rendered") \
                and adapter.needs_browser(response):
            self._entry_rendered.add(site.site_id)
            req = self._render(response.url, self.parse_entry, {"site_id": site.site_id, "role": "entry", "hops": hops},
                               "the page builds its links with JavaScript")
            if req is not None:
                yield req

    def _is_detail_page(self, response) -> bool:
        """One report's page, not a list: the first page of a column walk (no API state) whose own title is a
        report's, that carries the 信息公开 metadata block (索引号 / 发布机构), and that links no other page named
        as a report (its report-titled links are its own attachments)."""
        meta = response.meta
        if meta.get("adapter_state") or meta.get("depth_in_column", 0) or meta.get("list_page") \
                or not isinstance(response, scrapy.http.TextResponse):
            return False
        info = meta_from_html(response.text, tree=response.selector.root) if response.body else {}
        title = norm_title(info.get("title") or info.get("page_title") or "")
        if not is_report_title(title) or not (info.get("index_no") or info.get("publisher")):
            return False
        adapter = adapter_for(response, self._site(response).platform)
        return not any(is_report_title(text) and not is_document_url(url) and url.split("#")[0] != response.url
                       for url, text, _a in adapter.links(response))

    def _looks_like_column(self, response, adapter=None) -> bool:
        """The page is a report column: by its family's structure, or named so — its ColumnName, its <title>,
        the last step of its breadcrumb (当前位置：首页 > … > 政府信息公开年报) — or a 年报-like path listing reports."""
        adapter = adapter or adapter_for(response)
        if adapter.is_report_column(response):
            return True
        if any(COLUMN_TEXT.search(name) for name in _page_names(response)):
            return True
        return bool(COLUMN_HREF.search(urlsplit(response.url).path)) and any(
            is_report_title(text) for _u, text, _a in adapter.links(response))

    # ---- the column: pages, sub-columns, report items ------------------------------------------
    def parse_column(self, response):
        if self._check_response(response):
            if self._is_detail_page(response):
                # linked as a column (its link text names 信息公开工作年度报告) but one report's own page: read it
                # as the report it is, not its attachments as a list of reports
                self.ctx.event(response.meta["site_id"], response.url, "column_is_report",
                               "a link taken for a report column leads to one report's page", level="info")
                yield from self.parse_detail(response)
                return
            yield from self._column(response, response.meta)
        else:
            self._visit(response, "column", error=f"HTTP {response.status}")
            yield from self._fall_back(response.meta)

    def _column(self, response, meta):
        site, sid = self._site(response), meta["site_id"]
        st = self.ctx.site(sid)
        adapter = self._adapter(response, site)
        if adapter.name != "fragment":
            st.platform = st.platform or adapter.name
        column_meta = _column_meta(meta)
        state = response.meta.get("adapter_state") or {}
        api = bool(state)
        key = meta.get("column_key") or response.url
        column_meta["column_key"] = key
        if not api:
            target = adapter.shell_target(response)
            if target and self._on_site(site, target):
                yield response.follow(target, callback=self.parse_column, errback=self.on_error, meta=column_meta)
                return
            st.column_urls.add(response.url.split("#")[0])
            if meta.get("column_entry") and meta.get("depth_in_column", 0) == 0:
                st.column_roots.add(meta["column_entry"])
        fetches = [f for f in adapter.page_requests(response) if f.url != response.url or f.method != "GET"]
        carried = [Fetch(**d) for d in meta.get("walk_rest") or []]
        if carried:               # a page of a page-by-page walk: the pages after it, and any it names itself
            seen = {(f.method, f.url, f.body) for f in carried}
            fetches = carried + [f for f in fetches if (f.method, f.url, f.body) not in seen]
        fetches = fetches[: self.settings.getint("HARVESTER_MAX_LIST_PAGES", 200)]
        pages = list(fetches)     # the column's other pages: asked below, once this page's items are known
        root, depth = meta.get("column_root", ""), meta.get("depth_in_column", 0)
        page_set = {f.url for f in fetches}
        items = adapter.list_items(response)
        frames: list[str] = []
        if not api:      # the generic step: report items in inline data, fragments the scripts load
            known = {i.url for i in items}
            items += [i for i in inline.data_items(response) if i.url not in known and is_report_title(i.title)]
            skip = {(f.method, urlsplit(f.url).path) for f in fetches}
            own = any(is_report_title(i.title) for i in items)
            fragments = inline.fragment_fetches(response, skip, forms=not own and not fetches)
            if response.meta.get("rendered"):
                captured, frames = self._captured(response.meta, response.url,
                                                  skip | {(g.method, urlsplit(g.url).path) for g in fragments})
                fragments += captured
            frames = [u for u in dict.fromkeys(frames + inline.frame_urls(response))
                      if self._on_site(site, u) and u not in page_set]
            yield from self._requests_for(fragments, ADAPTERS["fragment"], column_meta, site)
            for url in frames:
                yield scrapy.Request(url, callback=self.parse_column, errback=self.on_error,
                                     meta={**column_meta, "list_page": True})
            fetches = fetches + fragments
            page_set |= {f.url for f in fragments}
        if not api and not fetches and not frames and not response.meta.get("rendered") \
                and key not in self._api_columns.get(sid, ()) \
                and not any(is_report_title(i.title) for i in items) and adapter.needs_browser(response):
            req = self._render(response.url, self.parse_column, column_meta, "the page builds its list with JavaScript")
            if req is not None:
                self._column_state(sid, key, column_meta)["rendered"] = True
                self._visit(response, "column", adapter.name, len(items), 0)
                yield req
                return
        reported = [i for i in items if self._on_site(site, i.url) and is_report_title(i.title)]
        fresh = self._note_items(sid, meta, reported)
        walk, rest = self._walk(sid, pages, reported, fresh)
        yield from self._requests_for(walk, adapter, column_meta, site, rest)
        listed = subcolumns = 0
        years: list[tuple[int, str]] = []
        for item in items:
            if not self._on_site(site, item.url):
                continue
            if is_report_title(item.title):
                listed += 1
                if self._harvested(sid, item.url):
                    st.known_listed += 1
                    continue
                if item.is_document:
                    if item.url not in self._listed_documents:     # listed twice (a page and its API): once
                        self._listed_documents.add(item.url)
                        yield self._document_item_request(site, item, response.url)
                else:
                    yield scrapy.Request(item.url, callback=self.parse_detail, errback=self.on_error,
                                         meta={"site_id": sid, "role": "detail", "list_title": item.title,
                                               "list_date": item.date, "column_url": response.url,
                                               "conditional": self.ctx.verify})
                continue
            # a sub-column: a short link under the column (or named like one) with no date — a dated item is an
            # article of the list
            if depth >= MAX_SUBCOLUMN_DEPTH or item.is_document or DETAIL_HINT.search(item.url) \
                    or item.url in page_set or len(item.title) > 24 or item.date:
                continue
            under_root = root and item.url.startswith(root) and item.url != response.url
            named = bool(SUBCOLUMN_TEXT.search(item.title) or COLUMN_TEXT.search(item.title))
            if under_root or named:
                if (sid, item.url) not in self._columns:       # a sibling met again is not this page's child
                    subcolumns += 1
                    self._column_state(sid, item.url, column_meta).update(named=named, depth=depth + 1)
                year = YEAR_FOLDER.match(item.title)
                if year and self._economy(sid):      # year folders: newest first, walked like pages (below)
                    if item.url != response.url and (sid, item.url) not in self._year_folders:
                        years.append((int(year.group(1)), item.url))   # (a folder's links to its siblings: walked)
                    continue
                yield scrapy.Request(item.url, callback=self.parse_column, errback=self.on_error,
                                     meta={**column_meta, "depth_in_column": depth + 1, "column_key": item.url})
        years = sorted(set(years), reverse=True)
        if years:
            yield self._year_folder(sid, years, {**column_meta, "depth_in_column": depth + 1})
        if meta.get("year_rest") and (fresh or not reported):    # this year brought something: the one before
            yield self._year_folder(sid, [tuple(y) for y in meta["year_rest"]], column_meta)
        elif meta.get("year_rest"):                               # all known: the older years are unchanged
            st.walks_stopped += 1
            st.known_items = len(self.ctx.memory(sid).get("listed") or ())
            st.pages_skipped += len(meta["year_rest"])
        self._visit(response, "column", adapter.name, len(items), listed)
        col = self._column_state(sid, key, column_meta)
        col["answered"] = True
        col["reports"] += listed
        col["subcolumns"] += subcolumns
        if listed and (state.get("captured") or state.get("remembered")):
            spec = inline.api_spec(state, key)
            if all((a["method"], a["url"], a["body"]) != (spec["method"], spec["url"], spec["body"]) for a in st.apis):
                st.apis.append(spec)
                if state.get("captured"):
                    self.ctx.event(sid, spec["url"], "api_found", f"the browser's call {spec['method']} {spec['url']} "
                                   f"lists {listed} reports of {key}: remembered, the next crawl asks it over HTTP",
                                   level="info")
        first_page = not api and not meta.get("list_page")
        if first_page and not listed and not subcolumns and not fetches and not frames and col["named"] \
                and not response.meta.get("rendered") and not col["rendered"] \
                and key not in self._api_columns.get(sid, ()):
            col["rendered"] = True
            req = self._render(response.url, self.parse_column, column_meta,
                               "a report column that lists no report over HTTP")
            if req is not None:
                yield req
        if not api and depth == 0 and not fetches and not listed and not subcolumns \
                and key not in self._api_columns.get(sid, ()):   # (a column whose remembered API lists it)
            yield from self._fall_back(meta)     # a remembered column that lists nothing now: look again

    def _year_folder(self, sid: str, years: list[tuple[int, str]], meta: dict):
        """The newest of a column's year folders (2024年度, 2023, …); on a nightly walk the next older one is asked
        only when this one lists something new — a new report goes into the newest folders. Every folder of the
        list is taken from here on: a folder page that links its siblings does not start the walk again."""
        self._year_folders.update((sid, u) for _y, u in years)
        (_y, url), rest = years[0], years[1:]
        return scrapy.Request(url, callback=self.parse_column, errback=self.on_error,
                              meta={**meta, "column_key": url, "year_rest": [list(y) for y in rest]})

    def _economy(self, sid: str) -> bool:
        """Walk a column page by page, stopping at the first page whose items are all known: an ordinary run of a
        site an earlier run listed (never --verify or --refresh, which walk every page)."""
        if self.ctx.verify or self.ctx.refresh:
            return False
        # items are remembered when a run finishes: a run killed half-way (resumed now) leaves none, and the
        # resumed run walks every page
        return bool(self.ctx.memory(sid).get("listed"))

    def _note_items(self, sid: str, meta: dict, reported: list) -> int:
        """Remember the report items a list page shows; how many of them no earlier finished run listed (by URL
        and title)."""
        known = self.ctx.memory(sid).get("listed") or set()
        fresh = 0
        for item in reported:
            key = item_key(item.url, item.title)
            self.ctx.listed_now(sid).add((key, item.url))
            if key not in known:
                fresh += 1
        self.ctx.column_checked(sid, meta.get("column_entry") or meta.get("column_key") or "", fresh > 0)
        return fresh

    def _walk(self, sid: str, pages: list[Fetch], reported: list, fresh: int) -> tuple[list[Fetch], dict]:
        """Which of the column's other pages to ask now. A first crawl (or --verify) asks them all at once. A
        nightly one walks each list page by page: a page whose report items are all known ends the walk; a page
        with something new (or with no report item: a shell, a frame) asks the next page of each list."""
        if not pages or not self._economy(sid):
            return pages, {}
        st = self.ctx.site(sid)
        if reported and not fresh:
            st.walks_stopped += 1
            st.known_items = len(self.ctx.memory(sid).get("listed") or ())
            st.pages_skipped += len(pages)
            return [], {}
        groups: dict[tuple, list[Fetch]] = {}
        for f in pages:
            groups.setdefault(_walk_group(f), []).append(f)
        now, rest = [], {}
        for group in groups.values():
            now.append(group[0])
            rest[id(group[0])] = group[1:]
        return now, rest

    def _captured(self, meta: dict, url: str, skip: set) -> tuple[list[Fetch], list[str]]:
        """The XHR/fetch calls (and frames) a rendered page made, as fetches over HTTP (kept as evidence)."""
        site, st = self.ctx.sites[meta["site_id"]], self.ctx.site(meta["site_id"])
        captured, frames = inline.captured_fetches(meta.get("browser_requests") or [], url)
        captured = [f for f in captured if (f.method, urlsplit(f.url).path) not in skip and self._on_site(site, f.url)]
        st.captured += [{"url": f.url, "method": f.method, "from": url} for f in captured]
        return captured, frames

    def _column_state(self, sid: str, key: str, meta: dict) -> dict:
        """What a column listed so far. `named`: reached as the report column (link text, its name, the registry,
        memory) or as a sub-column named like one — the columns a render is spent on."""
        return self._columns.setdefault((sid, key), {"reports": 0, "subcolumns": 0, "rendered": False, "answered": False,
                                                     "named": True, "depth": 0, "meta": dict(meta)})

    # ---- when the crawl runs dry: render what still lists nothing, once -----------------------------
    def _on_idle(self):
        """Columns that listed no report and sites where no column was found get their one render now (only in
        a single-process crawl: distributed workers do not see each other's counts)."""
        if self.settings.get("HARVESTER_DISTRIBUTED"):
            return
        requests = []
        found = Counter()
        for (sid, _key), col in self._columns.items():
            found[sid] += col["reports"]
        # the report column first, then its sub-columns; one with sub-columns only when the whole site lists nothing
        for (sid, key), col in sorted(self._columns.items(), key=lambda kv: kv[1]["depth"]):
            if col["reports"] or col["rendered"] or not col["answered"] or not col["named"] \
                    or (col["subcolumns"] and found[sid]):
                continue
            col["rendered"] = True
            req = self._render(key, self.parse_column, col["meta"], "a report column that listed no report")
            if req is not None:
                requests.append(req)
        for sid, st in self.ctx.stats.items():
            if sid not in self.ctx.sites or sid in self._entry_rendered or st.column_urls or not st.entry_ok \
                    or st.blocked or st.robots_blocked_entry:
                continue
            self._entry_rendered.add(sid)
            entries = self._entries.get(sid, [])
            start = [e for e in entries if e[1] == 0][:1]
            portal = [e for e in entries if e[1] > 0][:1]
            for url, hops in start + portal:
                req = self._render(url, self.parse_entry, {"site_id": sid, "role": "entry", "hops": hops},
                                   "no report column found over HTTP")
                if req is not None:
                    requests.append(req)
        for req in requests:
            self.crawler.engine.crawl(req)
        if requests:
            raise DontCloseSpider

    def _document_item_request(self, site, item, column_url):
        report = ReportItem(site_id=site.site_id, title=item.title, page_url=item.url, column_url=column_url,
                            list_date=item.date)
        return scrapy.Request(item.url, callback=self.parse_attachment, errback=self.attachment_failed,
                              dont_filter=True,
                              meta={"site_id": site.site_id, "role": "document", "report": report, "pending": [],
                                    "link_text": item.title, "conditional": self.ctx.verify})

    # ---- detail page and its attachments ---------------------------------------------------------
    def parse_detail(self, response):
        self.ctx.fetched(response.meta["site_id"], response.url, *response.meta.get("redirect_urls", ()))
        if response.status < 300 and not isinstance(response, scrapy.http.TextResponse):
            yield from self._linked_document(response)       # the list item links the file itself
            return
        if not self._check_response(response):
            self.ctx.failed_urls.setdefault(response.meta["site_id"], set()).add(response.url)
            return
        site, sid = self._site(response), response.meta["site_id"]
        list_title = response.meta.get("list_title") or ""
        meta = meta_from_html(response.text, tree=response.selector.root) if response.body else {}
        page_title = norm_title(meta.get("title") or "")
        title = page_title if is_report_title(page_title) and len(page_title) >= len(list_title) else list_title
        if not is_report_title(title):
            self.ctx.event(sid, response.url, "not_a_report", f"detail page title {title!r} is not an annual report",
                           level="info")
            return
        adapter = adapter_for(response, site.platform)
        body = adapter.body_selector(response)
        # attachments sit in the body, or in an attachment block beside it (div.article_attachment,
        # 相关附件); with no known body container, anywhere on the page
        scopes = [body] + response.css(ATTACHMENT_BLOCKS) if body is not None else [response]
        attachments: dict[str, str] = {}
        for scope in scopes:
            for a in scope.css("a[href]"):
                href = (a.attrib.get("href") or "").strip()
                if not href or href.startswith(("javascript:", "mailto:", "#")):
                    continue
                url = response.urljoin(href)
                if is_document_url(url) and self._on_site(site, url):
                    text = norm_title(a.attrib.get("title") or " ".join(a.css("::text").getall()))
                    attachments.setdefault(url, text)
        page = Fetched(url=response.url, role="page", status=response.status, body=response.body,
                       content_type=_content_type(response), etag=_header(response, "ETag"),
                       last_modified=_header(response, "Last-Modified"),
                       not_modified=bool(response.meta.get("not_modified")))
        report = ReportItem(site_id=sid, title=title, page_url=response.url,
                            column_url=response.meta.get("column_url", ""), list_date=response.meta.get("list_date"),
                            meta=meta, files=[page])
        yield from self._next_attachment(report, list(attachments.items())[:MAX_ATTACHMENTS])

    def _linked_document(self, response):
        """A list item whose URL, with no file extension, answers with the report's file (PDF, DOCX, …;
        named by Content-Disposition): the report is that document."""
        sid = response.meta["site_id"]
        title = response.meta.get("list_title") or ""
        report = ReportItem(site_id=sid, title=title, page_url=response.url, column_url=response.meta.get("column_url", ""),
                            list_date=response.meta.get("list_date"))
        report.files.append(Fetched(url=response.url, role="document", status=response.status, body=response.body,
                                    content_type=_header(response, "Content-Type"), etag=_header(response, "ETag"),
                                    last_modified=_header(response, "Last-Modified"), link_text=title,
                                    not_modified=bool(response.meta.get("not_modified"))))
        yield from self._next_attachment(report, [])

    def _next_attachment(self, report: ReportItem, pending: list[tuple[str, str]]):
        if not pending:
            self.ctx.site(report.site_id).report_items += 1
            yield report
            return
        (url, text), rest = pending[0], pending[1:]
        yield scrapy.Request(url, callback=self.parse_attachment, errback=self.attachment_failed, dont_filter=True,
                             meta={"site_id": report.site_id, "role": "attachment", "report": report,
                                   "pending": rest, "link_text": text, "conditional": self.ctx.verify})

    def parse_attachment(self, response):
        report: ReportItem = response.meta["report"]
        role = response.meta["role"]
        if role == "document":
            self.ctx.fetched(report.site_id, response.url, *response.meta.get("redirect_urls", ()))
        f = Fetched(url=response.url, role=role, status=response.status, body=response.body,
                    content_type=_header(response, "Content-Type"), etag=_header(response, "ETag"),
                    last_modified=_header(response, "Last-Modified"), link_text=response.meta.get("link_text", ""),
                    not_modified=bool(response.meta.get("not_modified")))
        if response.status >= 400:
            f.error, f.body = f"http_{response.status}", b""
            self.ctx.event(report.site_id, response.url, f.error, f"{role} returned HTTP {response.status}")
            if response.status in (404, 410):
                self._withdrawn(report.site_id, response.url, f"HTTP {response.status}")
                if role == "document" and self.ctx.verify and response.url in self.ctx.memory(report.site_id)["harvested"]:
                    return                   # the report is gone (withdrawn): nothing else of it to look at
        report.files.append(f)
        yield from self._next_attachment(report, response.meta["pending"])

    def attachment_failed(self, failure):
        request = failure.request
        report: ReportItem = request.meta["report"]
        kind, reason = self._classify(failure)
        report.files.append(Fetched(url=request.url, role=request.meta["role"], error=kind,
                                    link_text=request.meta.get("link_text", "")))
        self.ctx.event(report.site_id, request.url, kind, reason)
        yield from self._next_attachment(report, request.meta["pending"])

    # ---- errors ------------------------------------------------------------------------------------
    @staticmethod
    def _classify(failure) -> tuple[str, str]:
        if failure.check(IgnoreRequest):
            msg = str(failure.value)
            if "robots" in msg.lower():
                return "robots_disallowed", "forbidden by robots.txt"
            if "DOWNLOAD_MAXSIZE" in msg:
                return "too_large", msg[:300]
            if "max redirections" in msg:
                return "redirect_loop", msg
            return "ignored", msg or "request ignored"
        if failure.check(DNSLookupError, CannotResolveHostError):
            return "unreachable", f"DNS lookup failed: {failure.value}"
        if failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
            return "unreachable", "connection refused"
        if failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
            return "unreachable", f"timed out: {failure.value}"
        text = f"{failure.type.__name__}: {failure.value}"
        if "maxsize" in text.lower() or "max size" in text.lower() or "warnsize" in text.lower():
            return "too_large", text
        return "fetch_error", text[:300]

    def on_error(self, failure):
        request = failure.request
        sid = request.meta.get("site_id")
        kind, reason = self._classify(failure)
        role = request.meta.get("role")
        st = self.ctx.site(sid)
        if role in ("detail", "document"):       # its list item is not known yet: the next run tries again
            self.ctx.failed_urls.setdefault(sid, set()).add(request.url)
        if request.meta.get("playwright"):
            kind, reason = "render_failed", f"the browser could not render the page: {reason}"
        if role == "entry" and request.meta.get("hops", 0) == 0 and not request.meta.get("rendered"):
            if kind == "robots_disallowed":
                st.robots_blocked_entry = True
            st.entry_error = f"start page: {reason}"
        elif kind == "robots_disallowed":
            st.robots_denied.append(request.url)
            if role == "column":
                st.column_errors.append(f"column {request.url}: {reason}")
        elif role == "column":
            st.column_errors.append(f"column {request.url}: {reason}")
        self.ctx.event(sid, request.url, kind, f"{role} page: {reason}")
        if request.meta.get("playwright") and role == "column":
            # the page did not load in time: the calls it made so far are still known, and are asked over HTTP
            captured, frames = self._captured(request.meta, request.url, set())
            yield from self._requests_for(captured, ADAPTERS["fragment"], _column_meta(request.meta), self.ctx.sites[sid])
            for url in frames:
                if self._on_site(self.ctx.sites[sid], url):
                    yield scrapy.Request(url, callback=self.parse_column, errback=self.on_error,
                                         meta={**_column_meta(request.meta), "list_page": True})
        if role == "column":
            yield from self._fall_back(request.meta)
