"""One crawl run: the database handle, per-site bookkeeping, and the outcome of every site.

The spider, the pipelines and this extension share one `CrawlContext` per crawler. At the end the
extension turns what each site did into an outcome (ok, unreachable, robots_disallowed, blocked,
no_report_column, no_reports) with a reason, stores it with the run, and closes the database.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from scrapy import signals

from harvester.registry import Site, load_sites

log = logging.getLogger(__name__)

OK, UNREACHABLE, ROBOTS, BLOCKED = "ok", "unreachable", "robots_disallowed", "blocked"
NO_COLUMN, NO_REPORTS, LAYOUT_CHANGED = "no_report_column", "no_reports", "layout_changed"


@dataclass
class SiteStats:
    requests: int = 0
    responses: int = 0
    entry_ok: bool = False             # the start page (or a page reached from it) answered
    entry_error: str | None = None     # why the start page failed
    robots_blocked_entry: bool = False
    blocked: str | None = None         # challenge reason
    column_urls: set[str] = field(default_factory=set)
    column_errors: list[str] = field(default_factory=list)
    report_items: int = 0              # report candidates handed to the pipelines
    reports: Counter = field(default_factory=Counter)  # new / updated / unchanged / failed
    problems: int = 0

    def outcome(self) -> tuple[str, str]:
        if self.robots_blocked_entry:
            return ROBOTS, "robots.txt disallows the start page"
        if self.blocked and not self.report_items:
            return BLOCKED, self.blocked
        if not self.entry_ok:
            return UNREACHABLE, self.entry_error or "the start page never answered"
        if not self.column_urls:
            if self.column_errors:
                return NO_COLUMN, "; ".join(self.column_errors[:3])
            return NO_COLUMN, "no link to a 政府信息公开年报 column was found from the start page"
        if not self.report_items:
            return NO_REPORTS, f"the report column ({min(self.column_urls)}) lists no annual report"
        return OK, f"{self.report_items} report pages, {self.reports['new']} new, {self.reports['updated']} updated"


class CrawlContext:
    """Shared by spider, pipelines and extension of one crawler."""

    def __init__(self, settings):
        from harvester.db import Store

        self.settings = settings
        self.db_url = settings.get("HARVESTER_DB")
        self.sites_path = settings.get("HARVESTER_SITES")
        only = [s for s in (settings.get("HARVESTER_ONLY_SITES") or "").split(",") if s]
        sites = load_sites(self.sites_path)
        if only:
            unknown = sorted(set(only) - {s.site_id for s in sites})
            if unknown:
                raise ValueError(f"unknown site id(s): {', '.join(unknown)}")
            sites = [s for s in sites if s.site_id in only]
        self.sites: dict[str, Site] = {s.site_id: s for s in sites}
        self.stats: dict[str, SiteStats] = {sid: SiteStats() for sid in self.sites}
        self.store = Store(self.db_url)
        self.store.upsert_sites([s.as_row() for s in sites])
        self.run_id = self.store.start_run("crawl", {"sites": self.sites_path, "only": only,
                                                     "db": self.store.safe_url if hasattr(self.store, "safe_url") else ""})
        self.started = datetime.now(timezone.utc)
        self.outcomes: dict[str, tuple[str, str]] = {}
        self.closed = False

    def site(self, site_id: str) -> SiteStats:
        return self.stats.setdefault(site_id, SiteStats())

    def event(self, site_id: str | None, url: str, kind: str, reason: str, level: str = "warning") -> None:
        if site_id:
            self.site(site_id).problems += 1
        log.log(logging.WARNING if level != "info" else logging.INFO, "%s %s %s: %s", site_id, kind, url, reason)
        self.store.record_event(self.run_id, site_id, url, kind, reason, level=level)

    def finish(self, status: str = "finished") -> None:
        if self.closed:
            return
        totals: Counter = Counter()
        for sid, st in self.stats.items():
            outcome, reason = st.outcome()
            self.outcomes[sid] = (outcome, reason)
            totals[outcome] += 1
            self.store.record_site_outcome(
                self.run_id, sid, outcome, reason, requests=st.requests, reports_found=st.report_items,
                reports_new=st.reports["new"], reports_updated=st.reports["updated"])
        counts = {"sites": len(self.stats), "outcomes": dict(totals),
                  "reports_found": sum(s.report_items for s in self.stats.values()),
                  "reports_new": sum(s.reports["new"] for s in self.stats.values()),
                  "reports_updated": sum(s.reports["updated"] for s in self.stats.values()),
                  "requests": sum(s.requests for s in self.stats.values()),
                  "problems": sum(s.problems for s in self.stats.values())}
        self.store.finish_run(self.run_id, status, counts)
        self.store.close()
        self.closed = True


def crawl_context(crawler) -> CrawlContext:
    ctx = getattr(crawler, "harvester_context", None)
    if ctx is None:
        ctx = CrawlContext(crawler.settings)
        crawler.harvester_context = ctx
    return ctx


class CrawlRunExtension:
    """Counts requests per site and writes the run's outcomes when the spider closes."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.request_reached, signal=signals.request_reached_downloader)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        return ext

    def spider_opened(self, spider):
        crawl_context(self.crawler)

    def request_reached(self, request, spider):
        sid = request.meta.get("site_id")
        if sid:
            crawl_context(self.crawler).site(sid).requests += 1

    def response_received(self, response, request, spider):
        sid = request.meta.get("site_id")
        if sid:
            crawl_context(self.crawler).site(sid).responses += 1

    def spider_closed(self, spider, reason):
        crawl_context(self.crawler).finish("finished" if reason == "finished" else f"stopped: {reason}")
