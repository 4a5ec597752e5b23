"""`harvester reparse`: the parser again over every archived document — no network, idempotent.

It rebuilds each report's files (page and attachments) from the archive and runs the crawl's own
extract → parse → choose → store functions, keeping the report's agency and year.
"""
from __future__ import annotations

import contextlib
from collections import Counter

from harvester.crawl.items import Fetched, ReportItem
from harvester.crawl.process import choose, read_file, report_fields, report_urls


def reparse_all(db_url: str | None, *, progress=None, line=None, memory_mib: int | None = None,
                timeout: float | None = None) -> Counter:
    """Every archived report read again in the sandbox (``memory_mib``/``timeout``: other limits than the
    settings', to retry documents that were ``timeout``/``memory_limit`` under them); each document's
    read is recorded on its row and counted as ``read_<status>``. ``progress(n)`` after each report,
    ``line(label, total)`` a progress line (harvester.progress.line_progress)."""
    from harvester.db import Store

    counts: Counter = Counter()
    store = Store(db_url)
    run_id = store.start_run("reparse", {})
    try:
        docs = list(store.iter_archived_documents())
        with (line("reparse", len(docs)) if line is not None else contextlib.nullcontext()) as bar:
            _reparse(store, run_id, docs, counts, progress, bar, memory_mib, timeout)
        store.finish_run(run_id, "finished", dict(counts))
    except BaseException:
        store.finish_run(run_id, "failed", dict(counts))
        raise
    finally:
        store.close()
    return counts


def _reparse(store, run_id, docs, counts, progress, bar, memory_mib, timeout) -> None:
    for doc in docs:
        meta = dict(doc["meta"])
        files = []
        for row in store.report_files(doc["report_id"]) or [{"url": doc["url"], "role": "document",
                                                              "sha256": doc["sha256"], "kind": doc["kind"],
                                                              "content_type": meta.get("content_type")}]:
            try:
                body = store.read_document(row["sha256"])
            except (FileNotFoundError, OSError) as exc:
                store.record_event(run_id, meta.get("site_id"), row["url"], "archive_missing", str(exc))
                counts["archive_missing"] += 1
                continue
            files.append(Fetched(url=row["url"], role="page" if row["role"] == "page" else "attachment",
                                 status=200, body=body, content_type=row.get("content_type") or "",
                                 sha256=row["sha256"], kind=row.get("kind")))
        item = ReportItem(site_id=meta.get("site_id") or "", title=doc["title"] or "",
                          page_url=meta.get("page_url") or doc["url"], meta=meta, files=files)
        for f in files:
            r = read_file(f, title=item.title, meta=meta, memory_mib=memory_mib, timeout=timeout)
            if r is None:
                continue
            store.record_read(f.url, r.as_row())
            counts[f"read_{r.status}"] += 1
            if r.status != "ok":
                store.record_event(run_id, item.site_id, f.url, r.status, r.detail[:500])
        item.chosen = choose(files)
        item.parsed = item.chosen.parsed if item.chosen is not None else None
        # no run id: a re-parse has not seen the report on its portal (it neither moves last_seen_run nor
        # undoes a withdrawal)
        _, status = store.upsert_report(site_id=item.site_id, agency=meta["agency"], year=meta["year"],
                                        fields=report_fields(item), urls=report_urls(item), run_id=None)
        if item.parsed is not None:
            store.save_parse(doc["report_id"], item.parsed)
        counts["reports"] += 1
        counts[status] += 1
        if progress:
            progress(counts["reports"])
        if bar is not None:
            bar.advance(1, f"{meta.get('agency') or ''} {meta.get('year') or ''}")
