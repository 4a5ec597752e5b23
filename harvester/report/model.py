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


@dataclass
class Cell:
    value: float | int | None      # number, or None when blank/missing/marker
    raw: str = ""                  # text as printed ("251000元", "-18", "/", "")
    unit: str | None = None        # 元 / 万元 when printed
    # why a value is as it is: blank (printed empty), marker (/, -, 无), missing (not found / lost in
    # extraction), not_printed (the layout has no such cell), glued (decoded from concatenated digits),
    # ambiguous / glued_ambiguous (several readings: left empty), extra_value_dropped (P-M6)
    flags: list[str] = field(default_factory=list)


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

    @property
    def failed_checks(self) -> list[str]:
        return [c.id for c in self.checks if c.status == FAIL]

    def values(self) -> dict[str, float | int | None]:
        return {k: c.value for k, c in self.cells.items()}

    def to_json(self) -> dict:
        return {
            "agency": self.agency, "year": self.year, "report_format": self.report_format,
            "table_formats": self.table_formats, "title": self.title, "publish_date": self.publish_date,
            "status": self.status, "problems": self.problems, "meta": self.meta,
            "sections": {k: len(v) for k, v in self.sections.items()},
            "cells": self.values(),
            "cell_flags": {k: c.flags for k, c in self.cells.items() if c.flags and c.flags != ["not_printed"]},
            "units": {k: c.unit for k, c in self.cells.items() if c.unit},
            "checks": [asdict(c) for c in self.checks],
            "failed_checks": self.failed_checks,
        }
