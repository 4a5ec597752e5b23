"""`harvester reparse`: the parser again over every archived document — no network, idempotent.

It rebuilds each report's files (page and attachments) from the archive and runs the crawl's own
extract → parse → choose → store functions, keeping the report's agency and year.
"""
from __future__ import annotations

from collections import Counter

from harvester.items import Fetched, ReportItem
from harvester.process import choose, read_file, report_fields, report_urls


def reparse_all(db_url: str | None, *, progress=None, memory_mib: int | None = None,
                timeout: float | None = None) -> Counter:
    """Every archived report read again in the sandbox (``memory_mib``/``timeout``: other limits than the
    settings', to retry documents that were ``timeout``/``memory_limit`` under them); each document's
    read is recorded on its row and counted as ``read_<status>``."""
    from harvester.db import Store

    counts: Counter = Counter()
    store = Store(db_url)
    run_id = store.start_run("reparse", {})
    try:
        for doc in store.iter_archived_documents():
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
            _, status = store.upsert_report(site_id=item.site_id, agency=meta["agency"], year=meta["year"],
                                            fields=report_fields(item), urls=report_urls(item), run_id=run_id)
            if item.parsed is not None:
                store.save_parse(doc["report_id"], item.parsed)
            counts["reports"] += 1
            counts[status] += 1
            if progress:
                progress(counts["reports"])
        store.finish_run(run_id, "finished", dict(counts))
    except BaseException:
        store.finish_run(run_id, "failed", dict(counts))
        raise
    finally:
        store.close()
    return counts
