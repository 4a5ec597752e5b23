"""What the spider hands to the pipelines: one item per report candidate, with every fetched file."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fetched:
    """One fetched file (the detail page or an attachment) and what the pipelines learn about it."""
    url: str
    role: str                      # page | attachment | document (a list link straight to a file)
    status: int = 0
    body: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    link_text: str = ""
    error: str | None = None       # why it could not be fetched (too_large, unreachable, robots, http_404 …)
    not_modified: bool = False     # a 304: `body` is the archived copy
    # filled by the pipelines
    sha256: str | None = None
    storage_path: str | None = None  # where the archived copy is: warc:<file>#<offset> or ab/cd/<sha256>
    changed: bool = True           # the URL's bytes differ from what was archived for it before
    kind: str | None = None
    extracted: Any = None          # harvester.extract.Extracted
    parsed: Any = None             # harvester.report.ParsedReport
    read: Any = None               # harvester.sandbox.read.ReadResult (status, seconds, peak memory)


@dataclass
class ReportItem:
    site_id: str
    title: str                     # the report title (list title, or the page's when fuller)
    page_url: str
    column_url: str = ""
    list_date: str | None = None
    meta: dict = field(default_factory=dict)   # 索引号, 发布机构, dates … from the detail page
    files: list[Fetched] = field(default_factory=list)
    # filled by the pipelines
    unchanged_report: int | None = None   # id of the stored report when none of its files changed
    chosen: Fetched | None = None  # the file whose parse became the report's data
    parsed: Any = None
    agency: str | None = None
    year: int | None = None
    report_id: int | None = None   # the stored report (harvester.crawl.feeds: `scrapy crawl reports -O items.jsonl`)
    store_status: str = ""         # new, revised, updated, unchanged, rejected, duplicate, failed
