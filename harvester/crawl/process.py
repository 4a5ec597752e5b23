"""The stages between a fetched report and the database, as plain functions.

The Scrapy pipelines (`pipelines/`) are thin shells over these, and `harvester reparse` runs the
same extract → parse → choose on archived bytes, so a crawl and a re-parse can never disagree.
"""
from __future__ import annotations

import re

from harvester.extract import Extracted, extract, sniff
from harvester.crawl.items import Fetched, ReportItem
from harvester.crawl.titles import title_agency, title_year

# how good a parse is, for choosing among a page and its attachments
_STATUS_RANK = {"parsed": 5, "partial": 4, "text_only": 3, "no_tables": 2}


def archive_file(store, f: Fetched, site_id: str | None = None) -> None:
    """Keep the raw bytes (by SHA-256) and the fetch state of one file; `f.changed` says whether the URL's
    bytes differ from what was archived for it before (a 304's archived copy is not stored again)."""
    if f.body:
        f.kind = sniff(f.body, f.url, f.content_type)
    data = None if f.not_modified else (f.body or None)
    saved = store.save_document(f.url, data, kind=f.kind or "", http_status=304 if f.not_modified else f.status,
                                content_type=f.content_type, etag=f.etag, last_modified=f.last_modified,
                                problem=f.error, site_id=site_id, role=f.role)
    f.sha256 = saved.get("sha256") if saved else None
    f.storage_path = saved.get("storage_path") if saved else None
    f.changed = bool(saved.get("changed")) if saved else True


def unchanged_report(store, item: ReportItem) -> int | None:
    """The stored report this item is, when none of its files changed since it was stored (nothing to
    re-parse); None for a new report, a changed one, or one whose earlier fetch failed."""
    if any(f.changed or f.error for f in item.files):
        return None
    ids = set(store.reports_at([item.page_url]).values())
    return ids.pop() if len(ids) == 1 else None


def extract_file(f: Fetched) -> Extracted | None:
    if f.error or not f.body:
        return None
    f.extracted = extract(f.body, url=f.url, content_type=f.content_type)
    return f.extracted


def read_file(f: Fetched, *, title: str | None, meta: dict | None, memory_mib: int | None = None,
              timeout: float | None = None):
    """Extract and parse one file in the sandbox (``harvester.sandbox.read``): ``f.extracted``,
    ``f.parsed`` and ``f.read`` (the ReadResult: status, detail, seconds, peak memory) are set; a file
    that a worker could not read gets its status as the problem (timeout, memory_limit, crashed …)."""
    if f.error or not f.body:
        return None
    from harvester.sandbox.read import read_document
    r = read_document(f.body, url=f.url, content_type=f.content_type, title=title, meta=meta,
                      memory_mib_limit=memory_mib, timeout=timeout)
    f.extracted, f.parsed, f.read = r.extracted, r.parsed, r
    return r


def parse_extracted(ex: Extracted, *, title: str | None, meta: dict | None):
    from harvester.report import parse_extracted as _parse
    return _parse(ex, title=title, meta=meta)


def parse_file(f: Fetched, *, title: str | None, meta: dict | None):
    if f.extracted is None:
        return None
    f.parsed = parse_extracted(f.extracted, title=title, meta=meta)
    return f.parsed


def score(parsed) -> tuple:
    if parsed is None:
        return (-1, 0)
    filled = sum(1 for c in parsed.cells.values() if c.value is not None)
    return (_STATUS_RANK.get(parsed.status, 0), filled)


def other_copy(existing: dict | None, item: ReportItem) -> bool:
    """Whether ``item`` is another copy of a report already stored for the same agency and year (a repost,
    a （图片版） twin, the same file under a second column). The same page or document URL coming back is
    the same report (perhaps revised), not another copy."""
    if not existing or not existing.get("document_url"):
        return False
    urls = {f.url for f in item.files} | {item.page_url}
    return existing["document_url"] not in urls and existing.get("page_url") not in urls


def keeps_stored_version(existing: dict | None, item: ReportItem) -> bool:
    """For another copy (``other_copy``): keep the stored document unless this copy parses better; between
    copies that parse equally well the smaller document URL wins, so the copy kept does not depend on the
    order the copies were met in (two workers, a resumed crawl)."""
    if not other_copy(existing, item):
        return False
    fields = report_fields(item)          # ranked as they would be stored, so the comparison is symmetric
    stored = (_STATUS_RANK.get(existing.get("parse_status") or "", 0), existing.get("filled_cells") or 0)
    new = (_STATUS_RANK.get(fields["parse_status"] or "", 0), score(item.parsed)[1])
    if new != stored:
        return new < stored
    return existing["document_url"] <= (fields["document_url"] or "")


def worse_revision(existing: dict | None, item: ReportItem) -> str | None:
    """Why the re-fetched document of a stored report must not become current — it parses worse: a document
    problem or a lower status (corrupt, not a report …), fewer filled cells, or more failed checks than the
    current one — or None (a new report, another copy, the same bytes, or a real revision: same quality or
    better)."""
    if not existing or other_copy(existing, item) or not existing.get("document_sha256"):
        return None
    fields = report_fields(item)
    if not fields["document_sha256"] or fields["document_sha256"] == existing["document_sha256"]:
        return None
    old_status, new_status = existing.get("parse_status") or "", fields["parse_status"] or ""
    old_rank, new_rank = _STATUS_RANK.get(old_status, 0), _STATUS_RANK.get(new_status, 0)
    if new_rank < old_rank:
        return f"the new document is {new_status or 'unreadable'} where the current one is {old_status}"
    old_filled, new_filled = existing.get("filled_cells") or 0, score(item.parsed)[1]
    if new_filled < old_filled:
        return f"the new document fills {new_filled} cells where the current one fills {old_filled}"
    old_failed = existing.get("failed_checks") or 0
    new_failed = len(item.parsed.failed_checks) if item.parsed is not None else 0
    if new_failed > old_failed:
        return f"the new document fails {new_failed} checks where the current one fails {old_failed}"
    return None


def choose(files: list[Fetched]) -> Fetched | None:
    """The file whose parse becomes the report's data (its URL and type become the report's
    document_url/document_type): the best parse wins — status, then most cells. On a tie the page
    wins only when it has tables of its own; otherwise an attachment is the report (text on the page,
    tables or a scan in the attachment). When no file that was read is a report (the page says "see the
    attachment", the other attachments are forms) and an attachment could not be fetched (too large,
    HTTP error …), that attachment is the report and its fetch error the reason (it is given an
    ``Extracted`` carrying it). Unparsed files: the last readable one, else the first."""
    candidates = [f for f in files if f.parsed is not None]
    if not candidates:
        readable = [f for f in files if f.extracted is not None]
        return readable[-1] if readable else (files[0] if files else None)

    def tie(f: Fetched) -> int:
        if f.role != "page":
            return 1
        return 2 if f.extracted is not None and f.extracted.tables else 0

    best = max(candidates, key=lambda f: (score(f.parsed), tie(f)))
    failed = [f for f in files if f.role != "page" and f.error]
    if failed and best.parsed.status in ("not_a_report", "empty"):
        f = failed[0]
        if f.extracted is None:
            why = {"too_large": "it is larger than the download limit (HARVESTER_MAX_DOCUMENT_BYTES)"}.get(
                f.error, f"the download failed ({f.error})")
            f.extracted = Extracted(kind=f.kind or "", problem=f.error,
                                    detail=f"the report's attachment {f.url} was not fetched: {why}")
        return f
    return best


_BODY_SUFFIX = "(?:人民政府|政府|街道办事处|办事处|管理委员会|管委会)"


def same_body_fuller(short: str, publisher: str | None) -> bool:
    """True when `publisher` is the full name of the body the title calls `short`:
    北厝镇 → 平潭综合实验区北厝镇人民政府, 洪泽区卫生健康委员会 → 淮安市洪泽区卫生健康委员会, but not
    平潭综合实验区 → 平潭综合实验区管委会办公室 (an office publishing for its government)."""
    if not publisher or len(publisher) < len(short):
        return False
    core = re.sub(_BODY_SUFFIX + "$", "", short) or short
    return re.fullmatch(".*" + re.escape(core) + _BODY_SUFFIX + "?", publisher) is not None


def identify(item: ReportItem, site_name: str = "") -> tuple[str | None, int | None]:
    """The report's agency — its publisher: the title's name (in the 发布机构's fuller form when that names
    the same body), else 发布机构, else the parser's, else the site — and its year."""
    parsed = item.parsed
    publisher = item.meta.get("publisher")
    agency = title_agency(item.title)
    if agency and same_body_fuller(agency, publisher):
        agency = publisher
    agency = agency or publisher or (parsed.agency if parsed is not None else None) or site_name or None
    year = title_year(item.title) or (parsed.year if parsed is not None else None)
    return agency, year


def report_fields(item: ReportItem) -> dict:
    meta, chosen, parsed = item.meta, item.chosen, item.parsed
    document = next((f for f in item.files if f.role != "page" and not f.error), None)
    doc = chosen or document
    status, detail = _status(item)
    return {
        "title": item.title,
        "publish_date": meta.get("publish_date") or (parsed.publish_date if parsed is not None else None)
        or item.list_date,
        "written_date": meta.get("written_date"),
        "index_no": meta.get("index_no"),
        "publisher": meta.get("publisher") or meta.get("source"),
        "doc_number": meta.get("doc_number"),
        "validity": meta.get("validity"),
        "page_url": item.page_url,
        "document_url": doc.url if doc else None,
        "document_type": doc.kind if doc else None,
        "document_sha256": doc.sha256 if doc else None,
        "report_format": parsed.report_format if parsed is not None else None,
        "parse_status": status,
        "parse_detail": detail,
    }


def _status(item: ReportItem) -> tuple[str, str]:
    parsed, chosen = item.parsed, item.chosen
    if parsed is not None:
        return parsed.status, "; ".join(parsed.problems)[:2000]
    if chosen is not None and chosen.extracted is not None and not chosen.extracted.ok:
        return chosen.extracted.problem, chosen.extracted.detail
    failed = [f for f in item.files if f.error]
    if failed and len(failed) == len(item.files):
        return "fetch_failed", "; ".join(f"{f.url}: {f.error}" for f in failed)[:2000]
    return "unparsed", "no parser result"


def report_urls(item: ReportItem) -> list[tuple[str, str]]:
    urls = [(item.page_url, "page")]
    urls += [(f.url, "document") for f in item.files if f.role != "page"]
    return list(dict.fromkeys(urls))
