"""The parse-result part of the Store: a report's cells, checks and sections (saved, rebuilt as a
ParsedReport) and the carry-over check between an agency's consecutive years."""
from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, select, update

import harvester.report as report_parser
from harvester.report.model import Cell, Check, ParsedReport, Source

from .coerce import _number, _text, coerce_date
from .models import Agency, CellRow, CheckRow, Report, ReportSection, utcnow

log = logging.getLogger(__name__)

CARRY_CHAIN_CHECK_ID = "t3.carry_chain"


def _cell_row(report_id: int, cell_id: str, cell: Cell, sha: str | None) -> dict:
    """A cells row: value (finite float or None), raw text, flags, imputed and where it was read (the
    document of the parse for every cell, the location for the cells that were read)."""
    value, flags = cell.value, list(cell.flags or [])
    if value is not None:
        value = float(value)
        if not math.isfinite(value):
            value, flags = None, flags + ["non_finite"]
    src = cell.source
    row = {"report_id": report_id, "cell_id": cell_id, "value": value, "raw": cell.raw or "",
           "unit": cell.unit, "flags": flags or None, "imputed": bool(cell.imputed),
           "document_sha256": sha, "src_reader": None, "src_page": cell.page,
           "src_table": None, "src_row": None, "src_col": cell.col, "src_line": cell.line,
           "src_text": None, "src_readings": None, "src_candidates": None}
    if src is not None:
        row.update(src_reader=src.reader, src_table=src.table, src_row=src.row, src_text=src.text or None,
                   src_line=cell.line if cell.line is not None else src.line)
        if src.candidates:
            row.update(src_readings=src.readings, src_candidates=[list(c) for c in src.candidates])
    return row


def _cell_of(r) -> Cell:
    """The Cell of a stored cells row (its Source rebuilt when it has one)."""
    src = None
    if r.src_reader:
        src = Source(r.src_reader, r.src_table, r.src_row, r.src_line, r.src_text or "",
                     tuple(tuple(c) for c in r.src_candidates or ()), r.src_readings or 0)
    return Cell(value=_number(r.value), raw=r.raw or "", unit=r.unit, flags=list(r.flags or []),
                imputed=bool(r.imputed), source=src, col=r.src_col, line=r.src_line, page=r.src_page)


def _as_checks(result: Any) -> list[Check]:
    if result is None:
        return []
    if isinstance(result, (Check, Mapping)) or hasattr(result, "status"):
        result = [result]
    out = []
    for item in result:
        if isinstance(item, Mapping):
            item = Check(id=item["id"], status=item["status"], cells=list(item.get("cells") or []),
                         detail=item.get("detail") or "")
        out.append(item)
    return out


class ParseStore:
    """Mixin of ``Store``: the ``cells``, ``checks`` and ``report_sections`` tables."""

    def save_parse(self, report_id: int, parsed: ParsedReport) -> None:
        """Replace the report's cells, checks and sections with ``parsed`` (one transaction),
        set report_format / parse_status / parse_detail, and run the carry-over check against
        the same agency's previous-year report (and for the next-year report against this one)
        when ``harvester.report.carry_chain_check`` exists."""
        with self._write() as conn:
            self._save_parse(conn, report_id, parsed)

    def _save_parse(self, conn: Connection, report_id: int, parsed: ParsedReport) -> None:
        report = conn.execute(select(Report.id, Report.agency_id, Report.year, Report.title,
                                     Report.publish_date, Report.document_sha256).where(Report.id == report_id)
                              ).mappings().first()
        if report is None:
            raise KeyError(f"no report {report_id}")
        # the document the cells were read from: the parse's own, else the report's (stored with it)
        sha = (parsed.document_sha256 or report["document_sha256"] or "").lower() or None
        cells = [_cell_row(report_id, cell_id, cell, sha) for cell_id, cell in parsed.cells.items()]
        checks = []
        seen: dict[str, int] = {}
        for check in parsed.checks:
            check_id = check.id
            seen[check.id] = seen.get(check.id, 0) + 1
            if seen[check.id] > 1:            # keep every result even if an id repeats
                check_id = f"{check.id}#{seen[check.id]}"
            checks.append({"report_id": report_id, "check_id": check_id, "status": check.status,
                           "cells": list(check.cells or []), "detail": check.detail or ""})
        sections = [{"report_id": report_id, "section_id": k, "text": v or ""}
                    for k, v in parsed.sections.items()]
        detail = list(parsed.problems or [])
        if parsed.year is not None and parsed.year != report["year"]:
            detail.append(f"parsed year {parsed.year} differs from report year {report['year']}")
        for model in (CellRow, CheckRow, ReportSection):
            conn.execute(delete(model).where(model.report_id == report_id))
        if cells:
            conn.execute(self._insert(CellRow), cells)
        if checks:
            conn.execute(self._insert(CheckRow), checks)
        if sections:
            conn.execute(self._insert(ReportSection), sections)
        values: dict[str, Any] = {
            "report_format": parsed.report_format, "table_formats": parsed.table_formats or None,
            "parse_status": parsed.status, "parse_detail": "; ".join(detail) or None,
            "parsed_at": utcnow(),
        }
        if report["title"] is None and _text(parsed.title):
            values["title"] = _text(parsed.title)
        if report["publish_date"] is None and parsed.publish_date:
            try:
                values["publish_date"] = coerce_date(parsed.publish_date)
            except ValueError:
                pass
        conn.execute(update(Report).where(Report.id == report_id).values(**values))
        self._carry_over(conn, report, parsed)

    def _carry_over(self, conn: Connection, report: Mapping[str, Any], parsed: ParsedReport) -> None:
        fn = report_parser.carry_chain_check   # looked up at call time: tests stand in their own
        agency_id, year = report["agency_id"], report["year"]
        neighbours = {r.year: r.id for r in conn.execute(
            select(Report.id, Report.year).where(Report.agency_id == agency_id,
                                                 Report.year.in_([year - 1, year + 1])))}
        # (report id to store the check on, that year's parse, previous year's {cell id: value})
        pairs = []
        if year - 1 in neighbours:
            previous = self._cells(conn, neighbours[year - 1])
            if previous:
                pairs.append((report["id"], parsed, {k: c.value for k, c in previous.items()}))
        if year + 1 in neighbours:
            later = self._parsed_from_db(conn, neighbours[year + 1])
            if later.cells and parsed.cells:
                pairs.append((neighbours[year + 1], later, {k: c.value for k, c in parsed.cells.items()}))
        for target_id, current, previous in pairs:
            try:
                result = _as_checks(fn(current, previous))
            except Exception as exc:   # a parser bug must not lose the parse result
                log.exception("carry_chain_check failed for report %s", target_id)
                result = [Check(id=CARRY_CHAIN_CHECK_ID, status="NOT_ASSESSABLE",
                                detail=f"carry_chain_check raised {type(exc).__name__}: {exc}")]
            for check in result:
                stmt = self._insert(CheckRow).values(
                    report_id=target_id, check_id=check.id, status=check.status,
                    cells=list(check.cells or []), detail=check.detail or "")
                conn.execute(stmt.on_conflict_do_update(
                    index_elements=["report_id", "check_id"],
                    set_={"status": stmt.excluded.status, "cells": stmt.excluded.cells,
                          "detail": stmt.excluded.detail}))

    def _cells(self, conn: Connection, report_id: int) -> dict[str, Cell]:
        return {r.cell_id: _cell_of(r) for r in conn.execute(
            select(CellRow.__table__).where(CellRow.report_id == report_id))}

    def cell_documents(self, report_id: int) -> set[str]:
        """The SHA-256 of every document the report's stored cells were read from."""
        with self._read() as conn:
            return {s for (s,) in conn.execute(select(CellRow.document_sha256).distinct()
                                               .where(CellRow.report_id == report_id)) if s}

    def _checks(self, conn: Connection, report_id: int) -> list[Check]:
        return [Check(id=r.check_id, status=r.status, cells=list(r.cells or []), detail=r.detail or "")
                for r in conn.execute(select(CheckRow.check_id, CheckRow.status, CheckRow.cells,
                                             CheckRow.detail)
                                      .where(CheckRow.report_id == report_id)
                                      .order_by(CheckRow.check_id))]

    def _parsed_from_db(self, conn: Connection, report_id: int) -> ParsedReport:
        row = conn.execute(select(Report.year, Report.title, Report.publish_date, Report.report_format,
                                  Report.table_formats, Report.parse_status, Agency.name)
                           .join(Agency, Agency.id == Report.agency_id)
                           .where(Report.id == report_id)).one()
        sections = {r.section_id: r.text for r in conn.execute(
            select(ReportSection.section_id, ReportSection.text)
            .where(ReportSection.report_id == report_id))}
        return ParsedReport(
            agency=row.name, year=row.year, report_format=row.report_format,
            table_formats=dict(row.table_formats or {}), title=row.title,
            publish_date=row.publish_date.isoformat() if row.publish_date else None,
            sections=sections, cells=self._cells(conn, report_id),
            checks=self._checks(conn, report_id), status=row.parse_status or "")

    def cells(self, report_id: int) -> dict[str, Cell]:
        with self._read() as conn:
            return self._cells(conn, report_id)

    def checks(self, report_id: int) -> list[Check]:
        with self._read() as conn:
            return self._checks(conn, report_id)

    def load_parsed(self, report_id: int) -> ParsedReport:
        """The stored parse result of a report, rebuilt as a ParsedReport."""
        with self._read() as conn:
            return self._parsed_from_db(conn, report_id)
