"""The parser's result: cells by stable id, checks with status, and a parse status with its reason."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

# parse_status values (stored in reports.parse_status)
PARSED = "parsed"                  # every table of the format found and complete
PARTIAL = "partial"                # some table missing or incomplete (details in problems)
NO_TABLES = "no_tables"            # text read, but no statistical table found
TEXT_ONLY = "text_only"            # pre-2019 report with no statistics table: sections only
NOT_A_REPORT = "not_a_report"      # the text is not an annual report
# extraction problems are passed through as parse_status too: image_only, encrypted, corrupt, ...

PASS, FAIL, NOT_ASSESSABLE, AMBIGUOUS = "PASS", "FAIL", "NOT_ASSESSABLE", "AMBIGUOUS"


# The readers a cell can come from (Source.reader; the cells.src_reader column)
READERS = {
    "grid": "an HTML/DOCX table grid (merged cells expanded): table, row and column of the grid",
    "text_runs": "a text line holding a row's cells (PDF text runs, tab-separated text): its line and page",
    "cell_per_line": "text with one cell per line (flattened HTML): the line of the value",
    "glued": "cells concatenated without separators, decoded by the table's arithmetic: the line and the digits",
    "imputed": "a blank cell set to 0 (spec §7): its row, column or block is blank or 0 throughout and no hard check on it fails or misses a cell",
}


@dataclass(slots=True)
class Source:
    """Where one row of a table was read; shared by the cells of that row (cheap: one per row).

    Numbers are 1-based: ``table`` is the grid's place among the document's tables (Extracted.tables),
    ``row`` the grid row, ``line`` the line of the extracted text (Extracted.text after NFKC);
    ``text`` is the row as read (a text line, the glued digits; empty for grids, where the cell's own
    ``raw`` is the text); ``candidates`` the readings of glued digits or of a row with one value too
    many, when there were several (``readings`` counts them; at most MAX_KEPT_READINGS are kept)."""
    reader: str
    table: int | None = None
    row: int | None = None
    line: int | None = None
    text: str = ""
    candidates: tuple[tuple[str, ...], ...] = ()
    readings: int = 0


MAX_KEPT_READINGS = 20


@dataclass(slots=True)
class Cell:
    value: float | int | None      # number, or None when blank/missing/marker
    raw: str = ""                  # text as printed ("251000元", "-18", "/", "")
    unit: str | None = None        # 元 / 万元 when printed
    # why a value is as it is: blank (printed empty), marker (/, -, 无), missing (not found / lost in
    # extraction), not_printed (the layout has no such cell), glued (decoded from concatenated digits),
    # ambiguous / glued_ambiguous (several readings: left empty), extra_value_dropped (P-M6)
    flags: list[str] = field(default_factory=list)
    imputed: bool = False          # a blank set to 0 by the §7 rule (the cell keeps its 'blank' flag)
    source: Source | None = None   # where its row was read (None: not read, e.g. missing)
    col: int | None = None         # grid column (grid) or place of the value in its row (text readers)
    line: int | None = None        # line of the extracted text the value is on (text readers)
    page: int | None = None        # PDF page of that line

    def provenance(self) -> dict:
        """The cell's location as a flat dict (only what is known): reader, page, table, row, col, line,
        text, candidates, readings."""
        s = self.source
        if s is None:
            return {}
        out: dict = {"reader": s.reader}
        for k, v in (("page", self.page), ("table", s.table), ("row", s.row), ("col", self.col),
                     ("line", self.line if self.line is not None else s.line)):
            if v is not None:
                out[k] = v
        if s.text:
            out["text"] = s.text
        if s.candidates:
            out["candidates"] = [list(c) for c in s.candidates]
            out["readings"] = s.readings
        return out


@dataclass
class Check:
    id: str                        # t3.balance.<col>, t3.rowsum.<row>, t3.results.<col>, t4.sum.<block>, domain, text.vs.tables, t3.carry_chain
    status: str                    # PASS / FAIL / NOT_ASSESSABLE / AMBIGUOUS
    cells: list[str] = field(default_factory=list)
    detail: str = ""


@dataclass
class ParsedReport:
    agency: str | None = None
    year: int | None = None
    report_format: str | None = None          # gov2021 / gov2019 / pre2019 (majority of tables; per-table in table_formats)
    table_formats: dict[str, str] = field(default_factory=dict)  # {"t2": "gov2021", "t3": "gov2019", ...}
    title: str | None = None
    publish_date: str | None = None           # YYYY-MM-DD
    sections: dict[str, str] = field(default_factory=dict)      # s1_overall ... s6_other -> text
    cells: dict[str, Cell] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    status: str = PARSED
    problems: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)  # page/document metadata used (index_no, publisher, url, ...)
    document_sha256: str | None = None        # the document the cells were read from, when known

    @property
    def failed_checks(self) -> list[str]:
        return [c.id for c in self.checks if c.status == FAIL]

    def values(self) -> dict[str, float | int | None]:
        return {k: c.value for k, c in self.cells.items()}

    @property
    def imputed_cells(self) -> list[str]:
        return [k for k, c in self.cells.items() if c.imputed]

    def to_json(self) -> dict:
        return {
            "agency": self.agency, "year": self.year, "report_format": self.report_format,
            "table_formats": self.table_formats, "title": self.title, "publish_date": self.publish_date,
            "status": self.status, "problems": self.problems, "meta": self.meta,
            "sections": {k: len(v) for k, v in self.sections.items()},
            "cells": self.values(),
            "cell_flags": {k: c.flags for k, c in self.cells.items() if c.flags and c.flags != ["not_printed"]},
            "units": {k: c.unit for k, c in self.cells.items() if c.unit},
            "imputed": self.imputed_cells,
            "document_sha256": self.document_sha256,
            "provenance": {k: p for k, c in self.cells.items() if (p := c.provenance())},
            "checks": [asdict(c) for c in self.checks],
            "failed_checks": self.failed_checks,
        }
