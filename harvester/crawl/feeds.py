"""Scrapy's own feed flags on the reports spider: ``scrapy crawl reports -O items.jsonl`` (or ``-o items.csv``,
``.json``, ``.jl``, ``.xml``) writes one readable item per report page — what was found and stored, with
references to the documents (URL, SHA-256, archive path, size, type, fetch status) instead of their bytes.

``FEED_EXPORTERS`` in harvester/settings.py puts these exporters in place of Scrapy's: each turns a
`ReportItem` into the plain dict ``readable(item)`` and hands it to Scrapy's own exporter. CSV and XML, which
have no nesting, get the documents as one text column (``url sha256; url sha256``).
"""
from __future__ import annotations

from scrapy.exporters import (
    CsvItemExporter, JsonItemExporter, JsonLinesItemExporter, MarshalItemExporter, PickleItemExporter,
    XmlItemExporter,
)

from harvester.archive import Archive
from harvester.crawl.items import Fetched, ReportItem

FIELDS = ("site_id", "agency", "year", "title", "report_id", "stored", "page_url", "column_url", "list_date",
          "publish_date", "index_no", "publisher", "parse_status", "report_format", "filled_cells",
          "failed_checks", "document_url", "document_sha256", "documents")


def document_ref(f: Fetched) -> dict:
    return {"url": f.url, "role": f.role, "http_status": 304 if f.not_modified else f.status,
            "content_type": f.content_type or None, "kind": f.kind, "sha256": f.sha256,
            "archive_path": f.storage_path or (Archive.relpath(f.sha256) if f.sha256 else None),
            "size": len(f.body) if f.body else 0, "error": f.error}


def readable(item) -> dict:
    """One report page as plain data (no bytes, no parser objects)."""
    if not isinstance(item, ReportItem):
        return item
    parsed = item.parsed
    chosen = item.chosen
    if parsed is not None:
        status = parsed.status
    elif chosen is not None and chosen.extracted is not None and not getattr(chosen.extracted, "ok", True):
        status = chosen.extracted.problem
    else:
        status = None
    return {
        "site_id": item.site_id, "agency": item.agency, "year": item.year, "title": item.title,
        "report_id": item.report_id, "stored": item.store_status or None,
        "page_url": item.page_url, "column_url": item.column_url or None, "list_date": item.list_date,
        "publish_date": item.meta.get("publish_date"), "index_no": item.meta.get("index_no"),
        "publisher": item.meta.get("publisher"),
        "parse_status": status, "report_format": parsed.report_format if parsed is not None else None,
        "filled_cells": sum(1 for c in parsed.cells.values() if c.value is not None) if parsed is not None else None,
        "failed_checks": list(parsed.failed_checks) if parsed is not None else [],
        "document_url": chosen.url if chosen is not None else None,
        "document_sha256": chosen.sha256 if chosen is not None else None,
        "documents": [document_ref(f) for f in item.files],
    }


def flat(item) -> dict:
    row = readable(item)
    if isinstance(row, dict) and isinstance(row.get("documents"), list):
        row = dict(row, documents="; ".join(f"{d['url']} {d['sha256'] or d['error'] or ''}".strip()
                                            for d in row["documents"]),
                   failed_checks=",".join(row.get("failed_checks") or []))
    return row


class ReportJsonLinesExporter(JsonLinesItemExporter):
    def export_item(self, item):
        return super().export_item(readable(item))


class ReportJsonExporter(JsonItemExporter):
    def export_item(self, item):
        return super().export_item(readable(item))


class ReportCsvExporter(CsvItemExporter):
    def __init__(self, file, **kwargs):
        kwargs.setdefault("fields_to_export", list(FIELDS))
        super().__init__(file, **kwargs)

    def export_item(self, item):
        return super().export_item(flat(item))


class ReportXmlExporter(XmlItemExporter):
    def export_item(self, item):
        return super().export_item(flat(item))


class ReportMarshalExporter(MarshalItemExporter):
    def export_item(self, item):
        return super().export_item(readable(item))


class ReportPickleExporter(PickleItemExporter):
    def export_item(self, item):
        return super().export_item(readable(item))
