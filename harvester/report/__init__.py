"""The report parser: a 政府信息公开工作年度报告 (text + table grids) -> stable cell ids and checks.

Public API (pipelines, ``harvester parse``/``reparse`` and tests call these):

- ``parse_extracted(ex, *, title=None, meta=None) -> ParsedReport``
- ``parse_bytes(data, *, url=None, title=None, meta=None) -> ParsedReport`` (extract + parse)
- ``parse_file(path) -> ParsedReport``
- ``carry_chain_check(current, previous_cells) -> Check`` (S1, called by the storage layer)

Modules by concern: ``normalize`` (NFKC, values), ``sections`` (headings), ``rows`` (grid / text-line /
glued readers -> rows), ``decode`` (values -> candidate vectors, glued segmentation), ``tables``
(rows -> cell ids, driven by ``report-format.json``), ``checks`` (H1–H5, S5, S1), ``meta``
(title, agency, year, date), ``parser`` (orchestration).
"""
from __future__ import annotations

from pathlib import Path

from .checks import carry_chain_check
from .model import AMBIGUOUS, FAIL, NOT_ASSESSABLE, PASS, Cell, Check, ParsedReport
from .parser import parse_extracted

__all__ = ["parse_extracted", "parse_bytes", "parse_file", "carry_chain_check",
           "ParsedReport", "Cell", "Check", "PASS", "FAIL", "NOT_ASSESSABLE", "AMBIGUOUS"]


def parse_bytes(data: bytes, *, url: str | None = None, title: str | None = None,
                meta: dict | None = None, content_type: str | None = None,
                sha256: str | None = None) -> ParsedReport:
    """Extract (type sniffed from the bytes) and parse. Never raises on bad input. ``sha256`` (the
    document's, when the caller has it: the archive does) is recorded as the cells' document."""
    from harvester.extract import extract
    ex = extract(data, url=url, content_type=content_type)
    m = dict(meta or {})
    if url and "url" not in m:
        m["url"] = url
    rep = parse_extracted(ex, title=title, meta=m)
    rep.document_sha256 = sha256
    return rep


def parse_file(path) -> ParsedReport:
    """Parse a local file; its SHA-256 is the cells' document."""
    import hashlib
    data = Path(path).read_bytes()
    return parse_bytes(data, sha256=hashlib.sha256(data).hexdigest())
