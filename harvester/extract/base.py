"""What every extractor returns: text and table grids, or a recorded reason why not."""
from __future__ import annotations

from dataclasses import dataclass, field

Grid = list[list[str]]  # rows of cell texts; rowspan/colspan already expanded (a merged cell repeats)


@dataclass
class Extracted:
    kind: str                      # type sniffed from the bytes: html, pdf, docx, text, ...
    text: str = ""                 # the document's text; tables appear in place, one row a line, cells tab-separated
    tables: list[Grid] = field(default_factory=list)  # table grids in document order (HTML, DOCX, ...)
    meta: dict = field(default_factory=dict)          # page metadata: title, index_no, publisher, doc_number, publish_date, ...
    attachments: list[dict] = field(default_factory=list)  # links to documents found in an HTML page: {url, text}
    # per table, per grid position: the id of the source cell (a merged cell repeats its id), so that
    # readers can count a merged cell once and skip rowspan continuations; empty when unknown
    table_cell_ids: list[list[list[int]]] = field(default_factory=list)
    # paged documents (PDF): offset in ``text`` where each page's text starts (page 1 first); empty when unknown
    page_starts: list[int] = field(default_factory=list)
    problem: str | None = None     # why no usable text: encrypted, image_only, corrupt, unsupported_type, empty, too_large, ...
    detail: str = ""               # human-readable detail for the problem
    # problems met on the way that did not stop the reading (a span capped at its budget …), one line each
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None
