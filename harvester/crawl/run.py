"""One crawl run: the database handle, per-site bookkeeping, and the outcome of every site.

The spider, the pipelines and this extension share one `CrawlContext` per crawler. At the end the
extension turns what each site did into an outcome with a reason, stores it with the run, and closes the
database:

    ok                 report pages were found
    robots_disallowed  robots.txt forbids the start page (or every way to the report column)
    blocked            an anti-bot challenge (412 $_ts, 521 __jsluid, cookie loop) answered instead of pages
    unreachable        the start page never answered (refused, DNS, TLS on both schemes, timeouts, HTTP errors)
    no_report_column   no 政府信息公开年报 column was found from the start page
    no_reports         the column was found but lists no annual report (or none of its reports could be stored)
    layout_changed     no column or no reports now, though an earlier run found reports on the site — or half
                       the reports or fewer of the last run that found any

A site that ends with no reports is never `ok`. Every outcome carries its evidence (`SiteStats.evidence()`,
stored in site_outcomes.evidence and printed for every site that is not ok): the pages visited with the
adapter that read each and the items and reports it listed, the renders and the browser calls captured, the
list APIs remembered, the best report-column candidates with their link texts, the errors met.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from scrapy import signals

from harvester.procinfo import peak_rss_kb
from harvester.crawl.registry import Site, load_sites

log = logging.getLogger(__name__)

OK, UNREACHABLE, ROBOTS, BLOCKED = "ok", "unreachable", "robots_disallowed", "blocked"
NO_COLUMN, NO_REPORTS, LAYOUT_CHANGED = "no_report_column", "no_reports", "layout_changed"
EVIDENCE_FIELDS = ("pages", "candidates", "render_urls", "render_skipped", "captured", "apis")


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
    hosts: set[str] = field(default_factory=set)        # hosts the site moved to (its start page redirected there)
    moved_to: str | None = None
    robots_denied: list[str] = field(default_factory=list)  # URLs robots.txt kept us from (after the start page)
    backoffs: int = 0                  # 429/503 answers waited out
    rendered: int = 0                  # pages rendered in the browser
    soft_404s: int = 0
    platform: str = ""                 # the CMS family the report column was read with (adapter name)
    # incremental crawls
    from_memory: bool = False          # started at the report columns an earlier run found
    fell_back: bool = False            # … which failed: walked from the start page again
    column_roots: set[str] = field(default_factory=set)   # report columns reached (remembered when ok)
    known_listed: int = 0              # reports listed that were harvested before (not fetched again)
    not_modified: int = 0              # 304s answered from the archive
    withdrawn: int = 0                 # known reports gone from the site (verifying run)
    walks_stopped: int = 0             # list pages whose items were all known: the walk of the list ended there
    pages_skipped: int = 0             # … and the list pages after them not asked
    known_items: int = 0               # report items earlier runs listed (a stopped walk lists only its first pages)
    # evidence of what was tried (lists of small dicts: distributed workers' lists are joined)
    pages_visited: int = 0             # entry and column pages answered (or failing)
    pages: list = field(default_factory=list)        # the first of them: url, role, via, adapter, items, reports
    candidates: list = field(default_factory=list)   # best report-column links met: url, text, score
    render_urls: list = field(default_factory=list)  # pages rendered in the browser
    render_skipped: list = field(default_factory=list)   # why a render was wanted and not made (no browser, limit)
    captured: list = field(default_factory=list)     # XHR/fetch calls of rendered pages asked again over HTTP
    apis: list = field(default_factory=list)         # list APIs that listed reports (remembered when ok)

    @property
    def reports_listed(self) -> int:
        """Report pages listed; a walk that stopped at a page of known items vouches for the items of the pages
        it did not ask (they were listed before): the layout is unchanged."""
        walked = self.report_items + self.known_listed
        return max(walked, self.known_items) if self.walks_stopped else walked

    def as_dict(self) -> dict:
        """Every field (published by distributed workers and summed: harvester/crawl/distributed.py merge_stats)."""
        out = {}
        for k, v in self.__dict__.items():
            out[k] = sorted(v) if isinstance(v, set) else dict(v) if isinstance(v, Counter) else v
        return out

    def counters(self) -> dict:
        """The raw counters stored with the outcome (site_outcomes.stats); the evidence is stored apart."""
        return {k: v for k, v in self.as_dict().items() if k not in EVIDENCE_FIELDS}

    def evidence(self) -> dict:
        """What was tried on the site, for a person to read when it yields nothing."""
        roles = Counter(p.get("role") for p in self.pages)
        return {"pages_visited": self.pages_visited, "pages_by_role": dict(roles), "pages": self.pages,
                "platform": self.platform, "columns": sorted(self.column_urls), "renders": self.rendered,
                "rendered": self.render_urls, "render_skipped": self.render_skipped, "captured": self.captured,
                "apis": self.apis, "candidates": self.candidates, "reports_listed": self.reports_listed,
                "errors": ([self.entry_error] if self.entry_error else []) + self.column_errors[:5]
                + ([self.blocked] if self.blocked else []) + self.robots_denied[:3]}

    def outcome(self) -> tuple[str, str]:
        if self.robots_blocked_entry:
            return ROBOTS, "robots.txt disallows the start page"
        if self.blocked and not self.report_items:
            return BLOCKED, self.blocked
        if not self.entry_ok:
            return UNREACHABLE, self.entry_error or "the start page never answered"
        if not self.column_urls:
            if self.robots_denied and not [e for e in self.column_errors if "robots" not in e]:
                return ROBOTS, f"robots.txt disallows the way to the report column ({self.robots_denied[0]})"
            if self.column_errors:
                return NO_COLUMN, "; ".join(self.column_errors[:3])
            return NO_COLUMN, "no link to a 政府信息公开年报 column was found from the start page"
        if not self.reports_listed:
            return NO_REPORTS, f"the report column ({min(self.column_roots or self.column_urls)}) lists no annual report"
        if self.reports["failed"] >= self.report_items and not self.known_listed:
            return NO_REPORTS, (f"{self.report_items} report pages listed, none could be stored "
                                f"({self.reports['failed']} failed: see the no_year / no_agency events)")
        extra = []
        if self.known_listed:
            extra.append(f"{self.known_listed} harvested before")
        if self.not_modified:
            extra.append(f"{self.not_modified} pages not modified")
        if self.walks_stopped:
            extra.append(f"{self.walks_stopped} lists known from their first pages")
        if self.reports["revised"]:
            extra.append(f"{self.reports['revised']} revised")
        if self.withdrawn:
            extra.append(f"{self.withdrawn} withdrawn")
        if self.moved_to:
            extra.append(f"moved to {self.moved_to}")
        if self.backoffs:
            extra.append(f"waited out {self.backoffs} rate-limit answers")
        if self.rendered:
            extra.append(f"{self.rendered} pages rendered in the browser")
        return OK, (f"{self.report_items} report pages, {self.reports['new']} new, {self.reports['updated']} updated"
                    + ("; " + "; ".join(extra) if extra else ""))


def evidence_lines(ev: dict | None, pages: int = 6, candidates: int = 3) -> list[str]:
    """A site's evidence (SiteStats.evidence) as a few lines for a person."""
    if not ev:
        return []
    roles = ", ".join(f"{n} {r}" for r, n in sorted((ev.get("pages_by_role") or {}).items()))
    lines = [f"{ev.get('pages_visited', 0)} pages visited ({roles or 'none answered'}); "
             f"{ev.get('renders', 0)} rendered; {len(ev.get('captured') or [])} browser calls captured; "
             f"{len(ev.get('apis') or [])} list APIs; {ev.get('reports_listed', 0)} reports listed"]
    for p in (ev.get("pages") or [])[:pages]:
        if p.get("error"):
            lines.append(f"{p['role']:<6} {p['url']}  via {p.get('via')}: {p['error']}")
        else:
            lines.append(f"{p['role']:<6} {p['url']}  via {p.get('via')}, read as {p.get('adapter') or '?'}: "
                         f"{p.get('items', 0)} items, {p.get('reports', 0)} reports")
    more = len(ev.get("pages") or []) - pages
    if more > 0:
        lines.append(f"… {more} more pages")
    for c in (ev.get("candidates") or [])[:candidates]:
        lines.append(f"candidate column «{c['text']}» {c['url']}")
    for a in (ev.get("captured") or [])[:3]:
        lines.append(f"captured {a['method']} {a['url']}")
    for why in ev.get("render_skipped") or []:
        lines.append("render wanted, not made: " + {"needs_browser": "no browser configured",
                                                     "render_limit": "the site's renders were spent"}.get(why, why))
    for err in (ev.get("errors") or [])[:3]:
        lines.append(f"error: {err}")
    return lines


class CrawlContext:
    """Shared by spider, pipelines and extension of one crawler."""

    def __init__(self, settings):
        from harvester.db import Store

        self.settings = settings
        self.db_url = settings.get("HARVESTER_DB")
        self.sites_path = settings.get("HARVESTER_SITES")
        only = [s for s in (settings.get("HARVESTER_ONLY_SITES") or "").split(",") if s]
        sites = load_sites(self.sites_path)
        registry_ids = [s.site_id for s in sites]
        if only:
            unknown = sorted(set(only) - {s.site_id for s in sites})
            if unknown:
                raise ValueError(f"unknown site id(s): {', '.join(unknown)}")
            sites = [s for s in sites if s.site_id in only]
        self.sites: dict[str, Site] = {s.site_id: s for s in sites}
        self.stats: dict[str, SiteStats] = {sid: SiteStats() for sid in self.sites}
        self.refresh = settings.getbool("HARVESTER_REFRESH")
        self.verify = settings.getbool("HARVESTER_VERIFY")
        self.job = settings.get("HARVESTER_JOB") or None
        self.store = Store(self.db_url)
        self.store.upsert_sites([s.as_row() for s in sites])
        interrupted = self.store.mark_interrupted_runs()
        if interrupted:
            log.warning("runs %s were interrupted (their process is gone); this run picks up where they stopped",
                        interrupted)
        self.run_id = self.store.start_run("crawl", {"sites": self.sites_path, "only": only,
                                                     "db": self.store.safe_url, "refresh": self.refresh,
                                                     "verify": self.verify, "resumes": interrupted,
                                                     "registry": registry_ids},
                                           job=self.job)
        self._memory: dict[str, dict] = {}
        self.started = datetime.now(timezone.utc)
        self.outcomes: dict[str, tuple[str, str]] = {}
        self.evidence: dict[str, dict] = {}
        self.closed = False
        self._schedules: dict | None = None
        self.deferred: dict[str, object] = {}          # sites not due this run → when they are due
        self._listed: dict[str, set] = {}
        self._checked: dict[str, dict] = {}
        self.failed_urls: dict[str, set] = {}
        self._fetched: dict[str, set] = {}
        # distributed mode (harvester/crawl/distributed.py): called with this worker's stats when the run finishes;
        # returns the whole job's merged stats (the job's last worker) or None (another worker records them)
        self.merge_stats = None

    def site(self, site_id: str) -> SiteStats:
        return self.stats.setdefault(site_id, SiteStats())

    # ---- nightly economy: items listed, columns checked, sites not due (harvester/crawl/revisit.py) ------------
    def schedules(self) -> dict:
        """(site, column) → revisit schedule of every column, read once per run."""
        if self._schedules is None:
            self._schedules = self.store.column_schedules()
        return self._schedules

    def defer(self, site_id: str, schedules: list) -> None:
        """A site none of whose columns is due: not crawled in this run (no outcome recorded; its last stands)."""
        self.stats.pop(site_id, None)
        self.deferred[site_id] = min((s["next_due_at"] for s in schedules if s and s.get("next_due_at")),
                                     default=None)

    def listed_now(self, site_id: str) -> set:
        """(item key, URL) of the report items the site's list pages showed in this run."""
        return self._listed.setdefault(site_id, set())

    def fetched(self, site_id: str, *urls: str) -> None:
        """A listed item's page or document was answered in this run (whatever came of it)."""
        self._fetched.setdefault(site_id, set()).update(u for u in urls if u)

    def column_checked(self, site_id: str, column: str, changed: bool) -> None:
        if column:
            cols = self._checked.setdefault(site_id, {})
            cols[column] = cols.get(column, False) or changed

    def _record_economy(self, site_id: str, outcome: str) -> None:
        """Items listed (except those whose report could not be fetched: tried again) and column schedules."""
        from harvester.crawl import revisit

        listed = self._listed.pop(site_id, set())
        if listed:
            # known from now on: items harvested before or answered in this run — not those whose fetch failed,
            # nor those still queued when the run stopped (a time limit, a shutdown): the next run asks for them
            failed = self.store.failed_report_urls(site_id) | self.failed_urls.pop(site_id, set())
            settled = self.memory(site_id)["harvested"] | self._fetched.pop(site_id, set())
            self.store.record_listed(site_id, {k for k, url in listed if url in settled and url not in failed},
                                     self.run_id)
        checked = self._checked.pop(site_id, {})
        if checked and outcome == OK:
            sched = self.schedules()
            self.store.save_column_schedules(site_id, {url: revisit.after_check(sched.get((site_id, url)), changed)
                                                       for url, changed in checked.items()})

    def memory(self, site_id: str) -> dict:
        """What earlier runs learnt of the site (Store.crawl_memory), read once per run; empty on --refresh."""
        mem = self._memory.get(site_id)
        if mem is None:
            mem = ({"columns": [], "harvested": set(), "validators": {}} if self.refresh
                   else self.store.crawl_memory(site_id))
            self._memory[site_id] = mem
        return mem

    def on_site(self, site_id: str, url: str) -> bool:
        """Stay on the registry's domains: the site's host, its www twin and sub-domains, its listed extra
        domains, and a host its start page moved to."""
        from urllib.parse import urlsplit

        site = self.sites.get(site_id)
        if site is None:
            return False
        host = (urlsplit(url).hostname or "").lower()
        base = site.host[4:] if site.host.startswith("www.") else site.host
        if host in (site.host, base) or host in site.extra_domains or host in self.site(site_id).hosts:
            return True
        return not base.replace(".", "").isdigit() and host.endswith("." + base)

    def site_for(self, url: str) -> str | None:
        """The registry site a URL belongs to (for requests Scrapy makes on its own, like robots.txt)."""
        for sid in self.sites:
            if self.on_site(sid, url):
                return sid
        return None

    def judge(self, site_id: str, st: SiteStats) -> tuple[str, str]:
        """The site's outcome; no column or no reports on a site that had reports in an earlier run is a
        changed layout, and so is a site listing half the reports or fewer of the last run that found any."""
        outcome, reason = st.outcome()
        if outcome in (NO_COLUMN, NO_REPORTS, OK):
            try:
                history = self.store.previous_site_outcomes(site_id, before_run=self.run_id)
            except Exception:  # noqa: BLE001 - history is a refinement; never lose the outcome over it
                log.exception("reading the site's history failed")
                history = []
            found = next((h for h in history if (h.get("reports_found") or 0) > 0), None)
            if found is not None and outcome == OK:
                before, now = found["reports_found"], st.reports_listed
                if now * 2 <= before:
                    return LAYOUT_CHANGED, (f"{now} report pages listed, {before} in run {found['run_id']}: "
                                            f"half or fewer — {reason}")
                return outcome, reason
            if found is not None:
                when = found.get("recorded_at")
                day = when.date().isoformat() if hasattr(when, "date") else str(when or "")[:10]
                return LAYOUT_CHANGED, (f"{found['reports_found']} report pages found in run {found['run_id']}"
                                        f"{' (' + day + ')' if day else ''}, none now: {reason}")
        return outcome, reason

    def event(self, site_id: str | None, url: str, kind: str, reason: str, level: str = "warning") -> None:
        if site_id:
            self.site(site_id).problems += 1
        log.log(logging.WARNING if level != "info" else logging.INFO, "%s %s %s: %s", site_id, kind, url, reason)
        self.store.record_event(self.run_id, site_id, url, kind, reason, level=level)

    def finish(self, status: str = "finished") -> None:
        if self.closed:
            return
        totals: Counter = Counter()
        judged = self.stats
        if self.merge_stats is not None:       # distributed worker: outcomes from the merged job stats, or none
            judged = self.merge_stats(self.stats) or {}
        for sid, st in judged.items():
            outcome, reason = self.judge(sid, st)
            self.outcomes[sid] = (outcome, reason)
            self.evidence[sid] = st.evidence()
            totals[outcome] += 1
            self.store.record_site_outcome(
                self.run_id, sid, outcome, reason, raw=st.counters(), evidence=self.evidence[sid],
                requests=st.requests, reports_found=st.reports_listed, reports_new=st.reports["new"],
                reports_updated=st.reports["updated"] + st.reports["revised"])
            if outcome == OK and st.column_roots:
                self.store.record_columns(sid, st.column_roots, self.run_id)
            if outcome == OK and (st.apis or st.column_roots):
                self.store.record_apis(sid, st.apis, self.run_id)
        for sid in sorted(set(self._listed) | set(self._checked)):   # this worker's items and checks
            self._record_economy(sid, self.outcomes.get(sid, (OK, ""))[0])
        counts = {"sites": len(self.stats), "outcomes": dict(totals),
                  "reports_found": sum(s.report_items for s in self.stats.values()),
                  "reports_new": sum(s.reports["new"] for s in self.stats.values()),
                  "reports_updated": sum(s.reports["updated"] for s in self.stats.values()),
                  "reports_revised": sum(s.reports["revised"] for s in self.stats.values()),
                  "reports_unchanged": sum(s.reports["unchanged"] for s in self.stats.values()),
                  "reports_rejected": sum(s.reports["rejected"] for s in self.stats.values()),
                  "reports_withdrawn": sum(s.withdrawn for s in self.stats.values()),
                  "reports_known": sum(s.known_listed for s in self.stats.values()),
                  "not_modified": sum(s.not_modified for s in self.stats.values()),
                  "walks_stopped": sum(s.walks_stopped for s in self.stats.values()),
                  "list_pages_skipped": sum(s.pages_skipped for s in self.stats.values()),
                  "sites_not_due": len(self.deferred),
                  "requests": sum(s.requests for s in self.stats.values()),
                  "problems": sum(s.problems for s in self.stats.values()),
                  "renders": sum(s.rendered for s in self.stats.values()),
                  "backoffs": sum(s.backoffs for s in self.stats.values()),
                  # what the web did wrong and was survived: retries by reason, responses cut or too big
                  "faults": getattr(self, "transport", {}) or {},
                  "peak_rss_mib": round(peak_rss_kb() / 1024, 1)}  # memory creep shows run by run
        self.store.finish_run(self.run_id, status, counts)
        self.store.close()
        self.closed = True


def transport_faults(stats: dict) -> dict:
    """Scrapy's counters of a failing web, by kind: retried exceptions and statuses (``retry/reason_count/…``),
    downloads given up (``retry/max_reached``), bodies over the size limit or cut short, redirect loops."""
    out: dict = {}
    for key, value in stats.items():
        if key.startswith("retry/reason_count/"):
            reason = key.rsplit("/", 1)[-1].rsplit(".", 1)[-1]
            out[f"retry:{reason}"] = out.get(f"retry:{reason}", 0) + int(value)
        elif key in ("retry/max_reached", "downloader/response_count"):
            continue
        elif key.startswith("downloader/exception_type_count/"):
            name = key.rsplit("/", 1)[-1].rsplit(".", 1)[-1]
            out[f"exception:{name}"] = out.get(f"exception:{name}", 0) + int(value)
        elif key in ("httpcompression/response_bytes", ):
            continue
        elif key.startswith("harvester/fault/"):       # spiders/middlewares.py: bomb, redirect loop, size cancel
            name = key.rsplit("/", 1)[-1]
            out[name] = out.get(name, 0) + int(value)
        elif "maxsize" in key or "dataloss" in key or key.startswith("redirect/") and "max" in key:
            out[key] = int(value)
    if stats.get("retry/max_reached"):
        out["gave_up"] = int(stats["retry/max_reached"])
    return out


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
        ctx = crawl_context(self.crawler)
        ctx.transport = transport_faults(self.crawler.stats.get_stats() if self.crawler.stats else {})
        ctx.finish("finished" if reason == "finished" else f"stopped: {reason}")
