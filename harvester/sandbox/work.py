"""What a sandbox worker does with one document: extract it, and parse it when asked (in the worker process,
under its limits; or in-process with HARVESTER_SANDBOX=0)."""
from __future__ import annotations


def work(data: bytes, url, content_type, title, meta, parse: bool):
    """(Extracted, ParsedReport or None) of one document."""
    from harvester.extract import extract
    ex = extract(data, url=url, content_type=content_type)
    parsed = None
    if parse:
        from harvester.report import parse_extracted
        parsed = parse_extracted(ex, title=title, meta=meta)
    return ex, parsed
