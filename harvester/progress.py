"""A live progress line for the long commands, on a terminal only (rich).

``ProgressExtension`` (a Scrapy extension, on in harvester/settings.py) draws one line on stderr while the
crawl runs — sites done/total, reports new/updated (and rejected), requests, the site last heard from —
when stderr is a terminal and the log goes to a file (as `harvester crawl` and `nightly` do), or always with
``HARVESTER_PROGRESS=1``; ``HARVESTER_PROGRESS=0`` turns it off.
Not on a terminal (cron, systemd, a pipe) nothing is drawn: the commands stay quiet and line-based. A site
counts as done when it has had requests and none of them is pending.

``line_progress(label, total)`` is the same for loops of known length (reparse, export): a context manager
with ``advance(n=1, note="")``.
"""
from __future__ import annotations

import os
import sys
import time
from collections import Counter

from scrapy import signals

REFRESH_S = 0.25


def wanted(setting: str | None = None) -> bool:
    value = (setting if setting is not None else os.environ.get("HARVESTER_PROGRESS", "auto")).strip().lower()
    if value in ("0", "off", "no", "false"):
        return False
    if value in ("1", "on", "yes", "true"):
        return True
    return sys.stderr.isatty()


class _Line:
    """One transient line on stderr, redrawn at most every REFRESH_S seconds."""

    def __init__(self):
        from rich.console import Console
        from rich.live import Live
        from rich.text import Text

        self._text = Text
        self.console = Console(stderr=True, force_terminal=True if wanted() else None)
        self.live = Live(Text(""), console=self.console, transient=True, auto_refresh=False)
        self.live.start()
        self.last = 0.0

    def show(self, message: str, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= REFRESH_S:
            self.last = now
            self.live.update(self._text(message, no_wrap=True, overflow="ellipsis"), refresh=True)

    def stop(self) -> None:
        self.live.stop()


class ProgressExtension:
    def __init__(self, crawler):
        self.crawler = crawler
        self.pending: Counter = Counter()
        self.started: set[str] = set()
        self.current = ""
        self.line: _Line | None = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        s = crawler.settings
        setting = s.get("HARVESTER_PROGRESS")
        log_on_console = s.getbool("LOG_ENABLED") and s.getbool("LOG_INSTALL_ROOT_HANDLER") and not s.get("LOG_FILE")
        if not wanted(setting) or (log_on_console and str(setting).lower() not in ("1", "on", "yes", "true")):
            return ext   # not a terminal, or the log itself is on the console: nothing drawn, nothing connected
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(ext.left, signal=signals.request_left_downloader)
        crawler.signals.connect(ext.dropped, signal=signals.request_dropped)
        crawler.signals.connect(ext.received, signal=signals.response_received)
        crawler.signals.connect(ext.item, signal=signals.item_scraped)
        return ext

    def opened(self, spider):
        self.line = _Line()
        self.draw(force=True)

    def closed(self, spider, reason):
        if self.line is not None:
            self.line.stop()
            self.line = None

    def scheduled(self, request, spider):
        sid = request.meta.get("site_id")
        if sid:
            self.pending[sid] += 1
            self.started.add(sid)

    def _done_with(self, request):
        sid = request.meta.get("site_id")
        if sid and self.pending[sid] > 0:
            self.pending[sid] -= 1

    def left(self, request, spider):
        self._done_with(request)
        self.draw()

    def dropped(self, request, spider):
        self._done_with(request)

    def received(self, response, request, spider):
        self.current = request.meta.get("site_id") or self.current
        self.draw()

    def item(self, item, response, spider):
        self.draw()

    def draw(self, force: bool = False) -> None:
        if self.line is None:
            return
        ctx = getattr(self.crawler, "harvester_context", None)
        total = len(ctx.sites) if ctx is not None else 0
        reports: Counter = Counter()
        requests = 0
        if ctx is not None:
            for st in ctx.stats.values():
                reports.update(st.reports)
                requests += st.requests
        done = sum(1 for sid in self.started if self.pending[sid] == 0)
        name = ""
        if ctx is not None and self.current in ctx.sites:
            name = f" {ctx.sites[self.current].name[:16]}"
        rejected = f", {reports['rejected']} rejected" if reports["rejected"] else ""
        self.line.show(f"crawl: sites {done}/{total} done · reports {reports['new']} new, "
                       f"{reports['updated'] + reports['revised']} updated{rejected} · {requests} requests · "
                       f"now {self.current or '-'}{name}", force=force)


class _NoLine:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def advance(self, n: int = 1, note: str = "") -> None:
        pass


class _CountLine(_NoLine):
    def __init__(self, label: str, total: int):
        self.label, self.total, self.done = label, total, 0

    def __enter__(self):
        self.line = _Line()
        self.line.show(f"{self.label}: 0/{self.total}", force=True)
        return self

    def __exit__(self, *exc):
        self.line.stop()
        return False

    def advance(self, n: int = 1, note: str = "") -> None:
        self.done += n
        self.line.show(f"{self.label}: {self.done}/{self.total}" + (f" · {note}" if note else ""),
                       force=self.done >= self.total)


def line_progress(label: str, total: int):
    """A progress line for `total` steps on a terminal; a silent stand-in elsewhere."""
    return _CountLine(label, total) if total and wanted() else _NoLine()


# ---- progress bars of the library's long loops (export, publish, snapshots): a counting line or nothing

class _NoProgress:
    """What `progress_bar` gives when no bar is drawn: the same context manager, doing nothing."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


class _LineProgress:
    """`progress_bar` on a terminal: the rich progress line above."""

    def __init__(self, label: str, length: int):
        self.line = _CountLine(label, length)

    def __enter__(self):
        self.line.__enter__()
        return self

    def __exit__(self, *exc):
        return self.line.__exit__(*exc)

    def update(self, n):
        self.line.advance(n)


def progress_bar(label: str, length: int, enabled: bool = True):
    """A progress line on stderr when it is a terminal (and `enabled`; HARVESTER_PROGRESS=0/1 overrides);
    a silent stand-in otherwise."""
    if enabled and length and wanted():
        return _LineProgress(label, length)
    return _NoProgress()


def no_progress(label: str, length: int) -> _NoProgress:
    return _NoProgress()
