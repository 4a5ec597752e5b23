"""The spider: from each registry site's start URL to its annual reports and their documents.

entry page ──(disclosure portal links)──► entry page … ──(年报 column link)──► column page
column page ──(pagination, sub-columns, shells)──► column pages
column page ──(report items)──► detail page ──(attachments, chained)──► one ReportItem
column page ──(report item that is a file)──► one ReportItem

Every failure is recorded with its reason in the crawl run (crawl_events) and the crawl goes on.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import (CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError,
                               IgnoreRequest)
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError

from harvester.crawlrun import crawl_context
from harvester.extract.metadata import meta_from_html
from harvester.items import Fetched, ReportItem
from harvester.obstacles import challenge_reason
from harvester.titles import is_report_title, norm_title
from spiders.platforms import adapter_for
from spiders.platforms.base import (COLUMN_HREF, COLUMN_TEXT, DETAIL_HINT, PORTAL_HREF, PORTAL_TEXT,
                                    is_document_url)

MAX_ENTRY_HOPS = 3          # home → disclosure portal → sub-portal → column
MAX_SUBCOLUMN_DEPTH = 2     # column → township column → year folder
MAX_ATTACHMENTS = 6
ATTACHMENT_BLOCKS = ("[class*=attach], [id*=attach], [class*=fujian], [id*=fujian], [class*=xgfj], [id*=xgfj], "
                     "[class*=appendix], [class*=file-list], [class*=download]")
SUBCOLUMN_TEXT = re.compile(r"(?:镇|乡|街道|办事处|管委会|年报|年度报告|部门|乡镇|区县|县区)$|^(?:19|20)\d{2}年?(?:度)?$")


def _header(response, name: str) -> str:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else ""


def _base_domain(host: str) -> str:
    if re.fullmatch(r"[\d.]+", host or ""):
        return host
    return host[4:] if host.startswith("www.") else host


class ReportsSpider(scrapy.Spider):
    name = "reports"

    custom_settings: dict = {}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.ctx = crawl_context(crawler)
        return spider

    # ---- start ---------------------------------------------------------------------------------
    async def start(self):
        for site in self.ctx.sites.values():
            yield scrapy.Request(site.start_url, callback=self.parse_entry, errback=self.on_error, dont_filter=True,
                                 meta={"site_id": site.site_id, "role": "entry", "hops": 0})

    # ---- helpers -------------------------------------------------------------------------------
    def _site(self, response_or_request):
        return self.ctx.sites[response_or_request.meta["site_id"]]

    def _on_site(self, site, url: str) -> bool:
        """Stay on the registry's domains: the site's host, its www twin and its sub-domains."""
        host = urlsplit(url).hostname or ""
        base = _base_domain(site.host)
        return host == site.host or host == base or host.endswith("." + base) or host in site.extra_domains

    def _check_response(self, response) -> bool:
        """Record blocks and HTTP errors; True when the page can be read."""
        sid = response.meta["site_id"]
        st = self.ctx.site(sid)
        headers = {"set-cookie": [v.decode("latin-1") for v in response.headers.getlist("Set-Cookie")]}
        reason = challenge_reason(response.status, headers, response.body)
        if reason:
            st.blocked = reason
            self.ctx.event(sid, response.url, "blocked", reason)
            return False
        role = response.meta.get("role")
        if response.status >= 400:
            reason = f"HTTP {response.status}"
            if role == "entry" and response.meta.get("hops", 0) == 0:
                st.entry_error = f"start page returned HTTP {response.status}"
            elif role == "column":
                st.column_errors.append(f"column {response.url} returned HTTP {response.status}")
            self.ctx.event(sid, response.url, f"http_{response.status}", f"{role} page: {reason}")
            return False
        if role in ("entry", "column"):
            st.entry_ok = True
        if not hasattr(response, "text"):
            self.ctx.event(sid, response.url, "not_html", f"{role} page is not HTML ({_header(response, 'Content-Type')})")
            return False
        return True

    # ---- entry: find the 年报 column -----------------------------------------------------------
    def parse_entry(self, response):
        if not self._check_response(response):
            return
        site, hops = self._site(response), response.meta.get("hops", 0)
        adapter = adapter_for(response, site.platform)
        target = adapter.shell_target(response)
        if target and self._on_site(site, target):
            yield response.follow(target, callback=self.parse_entry, errback=self.on_error,
                                  meta={"site_id": site.site_id, "role": "entry", "hops": hops + 1})
            return
        if self._looks_like_column(response):
            yield from self._column(response, {"site_id": site.site_id, "role": "column", "depth_in_column": 0,
                                               "column_root": response.url.rsplit("/", 1)[0] + "/"})
            return
        columns, portals = [], []
        for url, text, _a in adapter.links(response):
            if not self._on_site(site, url) or is_document_url(url):
                continue
            path = urlsplit(url).path
            if COLUMN_TEXT.search(text) or (COLUMN_HREF.search(path) and len(text) <= 20 and not is_report_title(text)):
                columns.append(url)
            elif PORTAL_TEXT.search(text) or PORTAL_HREF.search(path) and len(text) <= 12:
                portals.append(url)
        for url in dict.fromkeys(columns):
            yield scrapy.Request(url, callback=self.parse_column, errback=self.on_error,
                                 meta={"site_id": site.site_id, "role": "column", "depth_in_column": 0,
                                       "column_root": url.rsplit("/", 1)[0] + "/"})
        if not columns and hops < MAX_ENTRY_HOPS:
            for url in dict.fromkeys(portals):
                yield scrapy.Request(url, callback=self.parse_entry, errback=self.on_error,
                                     meta={"site_id": site.site_id, "role": "entry", "hops": hops + 1})

    def _looks_like_column(self, response) -> bool:
        name = " ".join(response.xpath("//meta[@name='ColumnName' or @name='columnname']/@content").getall())
        if COLUMN_TEXT.search(norm_title(name)):
            return True
        return bool(COLUMN_HREF.search(urlsplit(response.url).path)) and any(
            is_report_title(text) for _u, text, _a in adapter_for(response).links(response))

    # ---- the column: pages, sub-columns, report items ------------------------------------------
    def parse_column(self, response):
        if self._check_response(response):
            yield from self._column(response, response.meta)

    def _column(self, response, meta):
        site, sid = self._site(response), meta["site_id"]
        st = self.ctx.site(sid)
        adapter = adapter_for(response, site.platform)
        column_meta = {k: meta[k] for k in ("site_id", "role", "depth_in_column", "column_root")}
        target = adapter.shell_target(response)
        if target and self._on_site(site, target):
            yield response.follow(target, callback=self.parse_column, errback=self.on_error, meta=column_meta)
            return
        st.column_urls.add(response.url)
        pages = adapter.list_pages(response)[: self.settings.getint("HARVESTER_MAX_LIST_PAGES", 200)]
        for url in pages:
            if url != response.url and self._on_site(site, url):
                yield scrapy.Request(url, callback=self.parse_column, errback=self.on_error, meta=column_meta)
        root, depth = meta.get("column_root", ""), meta.get("depth_in_column", 0)
        page_set = set(pages)
        for item in adapter.list_items(response):
            if not self._on_site(site, item.url):
                continue
            if is_report_title(item.title):
                if item.is_document:
                    yield self._document_item_request(site, item, response.url)
                else:
                    yield scrapy.Request(item.url, callback=self.parse_detail, errback=self.on_error,
                                         meta={"site_id": sid, "role": "detail", "list_title": item.title,
                                               "list_date": item.date, "column_url": response.url})
                continue
            if depth >= MAX_SUBCOLUMN_DEPTH or item.is_document or DETAIL_HINT.search(item.url) \
                    or item.url in page_set or len(item.title) > 24:
                continue
            under_root = root and item.url.startswith(root) and item.url != response.url
            if under_root or SUBCOLUMN_TEXT.search(item.title):
                yield scrapy.Request(item.url, callback=self.parse_column, errback=self.on_error,
                                     meta={**column_meta, "depth_in_column": depth + 1})

    def _document_item_request(self, site, item, column_url):
        report = ReportItem(site_id=site.site_id, title=item.title, page_url=item.url, column_url=column_url,
                            list_date=item.date)
        return scrapy.Request(item.url, callback=self.parse_attachment, errback=self.attachment_failed,
                              dont_filter=True,
                              meta={"site_id": site.site_id, "role": "document", "report": report, "pending": [],
                                    "link_text": item.title})

    # ---- detail page and its attachments ---------------------------------------------------------
    def parse_detail(self, response):
        if not self._check_response(response):
            return
        site, sid = self._site(response), response.meta["site_id"]
        list_title = response.meta.get("list_title") or ""
        meta = meta_from_html(response.text, tree=None) if response.body else {}
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
                       content_type=_header(response, "Content-Type"), etag=_header(response, "ETag"),
                       last_modified=_header(response, "Last-Modified"))
        report = ReportItem(site_id=sid, title=title, page_url=response.url,
                            column_url=response.meta.get("column_url", ""), list_date=response.meta.get("list_date"),
                            meta=meta, files=[page])
        yield from self._next_attachment(report, list(attachments.items())[:MAX_ATTACHMENTS])

    def _next_attachment(self, report: ReportItem, pending: list[tuple[str, str]]):
        if not pending:
            self.ctx.site(report.site_id).report_items += 1
            yield report
            return
        (url, text), rest = pending[0], pending[1:]
        yield scrapy.Request(url, callback=self.parse_attachment, errback=self.attachment_failed, dont_filter=True,
                             meta={"site_id": report.site_id, "role": "attachment", "report": report,
                                   "pending": rest, "link_text": text})

    def parse_attachment(self, response):
        report: ReportItem = response.meta["report"]
        role = response.meta["role"]
        f = Fetched(url=response.url, role=role, status=response.status, body=response.body,
                    content_type=_header(response, "Content-Type"), etag=_header(response, "ETag"),
                    last_modified=_header(response, "Last-Modified"), link_text=response.meta.get("link_text", ""))
        if response.status >= 400:
            f.error, f.body = f"http_{response.status}", b""
            self.ctx.event(report.site_id, response.url, f.error, f"{role} returned HTTP {response.status}")
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
        if role == "entry" and request.meta.get("hops", 0) == 0:
            if kind == "robots_disallowed":
                st.robots_blocked_entry = True
            st.entry_error = f"start page: {reason}"
        elif role == "column":
            st.column_errors.append(f"column {request.url}: {reason}")
        self.ctx.event(sid, request.url, kind, f"{role} page: {reason}")
