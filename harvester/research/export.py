"""The researchers' export: per province a wide, a long and a checks file, plus a data dictionary and
a manifest. File formats and every column are described in docs/exports.md.

* ``reports_<code>.csv`` — one row per report: ``EXPORT_COLUMNS``, ``DIVISION_COLUMNS``, then one
  column per cell id of ``all_cell_ids()``;
* ``cells_<code>.csv`` — one row per stored cell (``CELL_COLUMNS``), value and raw text;
* ``checks_<code>.csv`` — one row per check result (``CHECK_COLUMNS``);
* ``data_dictionary.csv`` — one row per cell id (``harvester.research.codebook``);
* ``manifest.json`` — files, row counts, columns, filters, database, latest crawl run, version.

``<code>`` is the 2-digit GB/T 2260 province code (``00`` for an unknown province, with a
warning). Rows are sorted in Python (agency, year, city, county, report id; then cell id in the
specification's order, check id), never by database collation, so SQLite and PostgreSQL give the
same bytes. CSV is UTF-8 with BOM. Text that a spreadsheet would run as a formula (starting with
``= + - @``, tab, CR or their full-width forms) gets a leading ``'``; numbers stay numbers. With
``fmt="parquet"`` the same tables are written as Parquet (pyarrow): text as strings (neutralised
the same way), counts and years as int64, cell values as float64.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harvester.research.identity import identify
from harvester.research.derived import DERIVED_IDS, derive, explain_check
from harvester.research.codebook import DICTIONARY_COLUMNS, dictionary_rows, export_dictionary_rows
from harvester.divisions import (
    PROVINCES, UNKNOWN_CODE, dataset_info, province_code, province_names,
)
from harvester.csvsafe import neutralise
from harvester.progress import progress_bar
from harvester.db.models import CELL_SOURCE_COLUMNS
from harvester.report.schema import all_cell_ids

log = logging.getLogger(__name__)

EXPORT_COLUMNS = (
    "province", "city", "county", "agency", "year", "report_format", "title", "publish_date",
    "index_no", "publisher", "url", "document_url", "parse_status", "failed_checks", "imputed_cells",
)
DIVISION_COLUMNS = ("agency_id", "report_id", "province_code", "city_code", "county_code", "division_status",
                    "division_code", "site_id")
PROVENANCE_COLUMNS = ("fetched_at", "document_sha256", "archive_path", "report_state", "revised_at",
                      "withdrawn_at", "withdrawn_reason", "parser_warnings")
# the report's evidence in the web archive (the report_evidence view; harvester/evidence/warc.py): the WARC records of
# its page and of the document its numbers came from, and when they were captured (withdrawn_at/_reason above)
EVIDENCE_COLUMNS = ("page_warc_record_id", "page_captured_at", "document_warc_record_id", "document_captured_at",
                    "document_warc_file", "withdrawn_warc_record_id")
# a cell's evidence: the report page and its capture, the document the cell was read from and the capture of that
# URL holding those bytes (Store.document_captures: the report_evidence view's rule, per cell's document_sha256)
CELL_EVIDENCE_COLUMNS = ("url", "page_warc_record_id", "page_captured_at", "document_url", "document_warc_record_id",
                         "document_captured_at", "document_warc_file")
CELL_COLUMNS = ("province", "city", "county", "agency", "agency_id", "report_id", "division_code", "site_id",
                "year", "report_format",
                "cell_id", "value", "raw", "unit", "flags", "imputed", *CELL_SOURCE_COLUMNS,  # + where it was read
                *CELL_EVIDENCE_COLUMNS)                                                     # + its WARC evidence
CHECK_COLUMNS = ("province", "city", "county", "agency", "agency_id", "report_id", "division_code", "site_id",
                 "year", "check_id", "status", "cells", "detail", "explanation")
FORMATS = ("csv", "parquet")
EXIT_EMPTY = 3          # `harvester export` on a database without reports (errors exit 1, usage 2)
_INT_COLUMNS = {"year", "report_id", "imputed", "src_page", "src_table", "src_row", "src_col", "src_line",
                "src_readings"}
_BATCH = 500

DESCRIPTIONS = {
    "reports": "One row per report of the province: agency, division names and GB/T 2260 codes, the stable "
               "agency_id, report metadata, parse status, failed checks, then one column per cell id "
               "(empty where the report's format has no such cell or it is blank). Its evidence: the WARC "
               "records of its page and document with their capture times, and when it was withdrawn "
               "(data_dictionary rows of table 'meta').",
    "cells": "One row per cell stored for a report of the province (long format): cell id, numeric value "
             "and the raw text it was read from, unit, parser flags, imputed (1: a blank set to 0 by the "
             "format's rule, filter it out with imputed = 0) and where it was read: the document's SHA-256, "
             "the reader, PDF page, table/row/column of a grid, line of the text, the row as read and the "
             "readings of glued digits, and its evidence: the report page and the WARC record of its capture, "
             "the document's URL and the WARC record of that URL holding those bytes, with capture times "
             "(data_dictionary rows of table 'meta').",
    "checks": "One row per consistency check (勾稽关系) of a report of the province: check id, status "
              "(PASS/FAIL/NOT_ASSESSABLE/AMBIGUOUS), the cells involved and the detail.",
    "dictionary": "One row per cell id: table, Chinese row and column labels, English label, unit, "
                  "value type and the report formats (gov2021/gov2019/pre2019) that have it.",
}


class ExportError(ValueError):
    """A problem the user must fix (bad database URL, unknown province); the message is one line."""


class EmptyDatabase(ExportError):
    """The database holds no reports at all."""


def format_number(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    f = float(value)
    if f.is_integer() and abs(f) < 2**53:
        return str(int(f))
    return repr(f)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(neutralise(str(value)))


def _number(value: Any) -> int | float | None:
    if value is None:
        return None
    f = float(value)
    return int(f) if f.is_integer() and abs(f) < 2**53 else f


# ---- filters ---------------------------------------------------------------------------------------

def resolve_province(province: str | None) -> str | None:
    """2-digit code of a --province value ('00' allowed); ExportError naming the known ones otherwise."""
    if province is None:
        return None
    if str(province).strip() == UNKNOWN_CODE:
        return UNKNOWN_CODE
    code = province_code(province)
    if code is None:
        raise ExportError(f"unknown province {province!r}; known: {', '.join(province_names())}, "
                          f"or {UNKNOWN_CODE} for reports without a known province")
    return code


def parse_years(values: Iterable[str | int] | None) -> tuple[int, ...] | None:
    """'2021', '2021-2023', '2019,2021' (repeatable) → sorted years; None for no filter."""
    years: set[int] = set()
    for value in values or ():
        for part in str(value).replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            lo, sep, hi = part.partition("-")
            try:
                a, b = int(lo), int(hi) if sep else int(lo)
            except ValueError:
                raise ExportError(f"not a year or range of years: {part!r} (e.g. 2021 or 2021-2023)") from None
            if a > b or not (1900 <= a <= 2200 and 1900 <= b <= 2200):
                raise ExportError(f"not a plausible range of years: {part!r}")
            years.update(range(a, b + 1))
    return tuple(sorted(years)) if years else None


# ---- opening the database --------------------------------------------------------------------------

def open_store(url):
    """A Store on an *existing* database; ExportError (one line, password masked) when it cannot be opened.
    Unlike ``Store(url)`` it never creates a SQLite file (or its directory) that is not there."""
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

    from harvester.db import SchemaTooNewError, Store, resolve_url
    from harvester.db.engine import sqlite_path

    try:
        resolved = resolve_url(url)
    except (ArgumentError, ValueError) as exc:
        raise ExportError(f"not a database URL: {url!r} ({exc})") from None
    shown = resolved.render_as_string(hide_password=True)
    path = sqlite_path(resolved) if resolved.get_backend_name() == "sqlite" else None
    if path is not None and not path.is_file():
        where = "its directory does not exist" if not path.parent.is_dir() else "no such file"
        raise ExportError(f"no database at {path} ({where}); check --db or run `harvester crawl` first")
    try:
        return Store(resolved)
    except SchemaTooNewError as exc:
        raise ExportError(str(exc)) from None
    except (DBAPIError, NoSuchModuleError, SQLAlchemyError, OSError) as exc:
        cause = getattr(exc, "orig", None) or exc
        first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        raise ExportError(f"cannot open database {shown}: {first}") from None


# ---- reading ---------------------------------------------------------------------------------------

def iter_report_rows(store, years: tuple[int, ...] | None):
    """Every report row with its identity, streamed in the files' order (agency, year, city, county, id) —
    the database sorts (by code point, as Python would: COLLATE "C" on PostgreSQL) and the rows are read in
    batches, never all at once."""
    from sqlalchemy import func, select

    from harvester.db.models import Agency, Document, Report

    def text_key(column):
        key = func.coalesce(column, "")
        return key.collate("C") if store.engine.dialect.name == "postgresql" else key

    stmt = (select(Report.id, Report.document_sha256, Report.revised_at, Report.withdrawn_at,
                   Report.withdrawn_reason, Report.parse_detail, Document.fetched_at, Document.storage_path, Report.year, Report.report_format, Report.title, Report.publish_date,
                   Report.index_no, Report.publisher, Report.page_url, Report.document_url,
                   Report.parse_status, Report.site_id, Agency.site_id.label("agency_site_id"),
                   Agency.name.label("agency"), Agency.norm_name,
                   Agency.province, Agency.city, Agency.county, Agency.division_code, Agency.agency_key)
            .join(Agency, Agency.id == Report.agency_id)
            .outerjoin(Document, Document.url == Report.document_url)
            .order_by(text_key(Agency.name), Report.year, text_key(Agency.city), text_key(Agency.county), Report.id))
    if years:
        stmt = stmt.where(Report.year.in_(years))
    with store.engine.connect() as conn:
        for m in conn.execution_options(stream_results=True, yield_per=_BATCH).execute(stmt).mappings():
            r = dict(m)
            ident = identify(r["agency"], r["norm_name"], r["province"], r["city"], r["county"], r["division_code"],
                             r["agency_key"], r["agency_site_id"])
            division = ident.division
            r["division"] = division
            r["agency_id"] = ident.agency_id
            r["division_code"] = ident.division_code
            r["site_id"] = r["site_id"] or ident.site_id
            r.update(provenance(r))
            code = division.province_code[:2] or province_code(r["province"])
            r["code"] = code if code in PROVINCES else None
            yield r


def _report_rows(store, years: tuple[int, ...] | None) -> list[dict]:
    """Every report row at once (for small selections: one province's WACZ)."""
    return list(iter_report_rows(store, years))


def report_state(revised_at, withdrawn_at) -> str:
    """'withdrawn' (its page or document is gone), 'revised' (its document changed) or 'current'."""
    return "withdrawn" if _present(withdrawn_at) else "revised" if _present(revised_at) else "current"


def _present(value) -> bool:
    """Not None and not NaN/NaT (DataFrame blanks)."""
    return value is not None and value == value


def provenance(r: dict) -> dict:
    """The PROVENANCE_COLUMNS of a report row (keys as selected by ``_report_rows``)."""
    from harvester.archive import Archive

    sha = r.get("document_sha256") if isinstance(r.get("document_sha256"), str) else None
    stored = r.get("storage_path") if isinstance(r.get("storage_path"), str) else None
    detail = r.get("parse_detail") if isinstance(r.get("parse_detail"), str) else ""
    fetched = r.get("fetched_at") if _present(r.get("fetched_at")) else None
    return {"fetched_at": fetched, "document_sha256": sha,
            "archive_path": stored or (Archive.relpath(sha) if sha else None),
            "report_state": report_state(r.get("revised_at"), r.get("withdrawn_at")),
            "parser_warnings": ";".join(p for p in detail.split("; ") if p) or None}


def _count_reports(store, years: tuple[int, ...] | None = None) -> int:
    from sqlalchemy import func, select

    from harvester.db.models import Report

    stmt = select(func.count()).select_from(Report)
    if years:
        stmt = stmt.where(Report.year.in_(years))
    with store.engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def _cells_and_checks(store, ids: list[int]) -> tuple[dict, dict]:
    from sqlalchemy import select

    from harvester.db.models import CellRow, CheckRow

    cells: dict[int, list] = {i: [] for i in ids}
    checks: dict[int, list] = {i: [] for i in ids}
    with store.engine.connect() as conn:
        for r in conn.execute(select(CellRow.report_id, CellRow.cell_id, CellRow.value, CellRow.raw,
                                     CellRow.unit, CellRow.flags, CellRow.imputed,
                                     *(getattr(CellRow, c) for c in CELL_SOURCE_COLUMNS))
                              .where(CellRow.report_id.in_(ids))):
            cells[r.report_id].append(r)
        for r in conn.execute(select(CheckRow.report_id, CheckRow.check_id, CheckRow.status, CheckRow.cells,
                                     CheckRow.detail).where(CheckRow.report_id.in_(ids))):
            checks[r.report_id].append(r)
    return cells, checks


def _latest_run(store) -> dict | None:
    from sqlalchemy import select

    from harvester.db.models import CrawlRun

    with store.engine.connect() as conn:
        r = conn.execute(select(CrawlRun.id, CrawlRun.command, CrawlRun.status, CrawlRun.started_at,
                                CrawlRun.finished_at).order_by(CrawlRun.id.desc()).limit(1)).mappings().first()
    if r is None:
        return None
    return {"id": r["id"], "command": r["command"], "status": r["status"],
            "started_at": r["started_at"].isoformat() if r["started_at"] else None,
            "finished_at": r["finished_at"].isoformat() if r["finished_at"] else None}


# ---- writing ---------------------------------------------------------------------------------------

class _Table:
    """One output file: CSV (UTF-8 with BOM, neutralised text) or Parquet (typed columns), written
    through a temporary name and renamed when complete."""

    def __init__(self, path: Path, columns: tuple[str, ...], numeric: set[str], fmt: str):
        self.path, self.columns, self.fmt, self.rows = path, columns, fmt, 0
        self.kinds = ["int" if c in _INT_COLUMNS else "float" if c in numeric else "text" for c in columns]
        self.tmp = path.with_name(path.name + ".tmp")
        self._buffer: list[list] = []
        self._group_rows = max(100, 500_000 // len(columns))     # a Parquet row group: ~500,000 values
        if fmt == "csv":
            self._fh = self.tmp.open("w", encoding="utf-8-sig", newline="")
            self._csv = csv.writer(self._fh)
            self._csv.writerow(columns)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            types = {"int": pa.int64(), "float": pa.float64(), "text": pa.string()}
            self._schema = pa.schema([pa.field(c, types[k]) for c, k in zip(columns, self.kinds)])
            self._pq = pq.ParquetWriter(self.tmp, self._schema, compression="zstd")

    def write(self, row: list) -> None:
        self.rows += 1
        if self.fmt == "csv":
            self._csv.writerow([format_number(v) if k != "text" else _text(v) for v, k in zip(row, self.kinds)])
            return
        self._buffer.append([(_number(v) if k != "text" else (None if v is None else _text(v)))
                             for v, k in zip(row, self.kinds)])
        if len(self._buffer) >= self._group_rows:
            self._flush()

    def _flush(self) -> None:
        if self.fmt != "parquet" or not self._buffer:
            return
        import pyarrow as pa

        columns = list(zip(*self._buffer))
        arrays = []
        for values, kind, fld in zip(columns, self.kinds, self._schema):
            if kind == "float":
                values = [None if v is None else float(v) for v in values]
            arrays.append(pa.array(values, type=fld.type))
        self._pq.write_table(pa.Table.from_arrays(arrays, schema=self._schema))
        self._buffer = []

    def close(self) -> Path:
        if self.fmt == "csv":
            self._fh.close()
        else:
            self._flush()
            if self.rows == 0:      # an empty file still carries the schema
                self._pq.write_table(self._schema.empty_table())
            self._pq.close()
        self.tmp.replace(self.path)
        return self.path

    def abort(self) -> None:
        try:
            self._fh.close() if self.fmt == "csv" else self._pq.close()
        finally:
            self.tmp.unlink(missing_ok=True)


_UNITS = {d["cell_id"]: d["unit"] for d in dictionary_rows()}


def _cell_order():
    order = {cid: i for i, cid in enumerate(all_cell_ids())}
    return lambda cid: (order.get(cid, len(order)), cid)


def export_reports(store_or_url, out_dir, *, province: str | None = None,
                   years: Iterable[int | str] | None = None, fmt: str = "csv",
                   progress: bool = False) -> list[Path]:
    """Write the export set into ``out_dir``; return the paths written (per province: reports, cells,
    checks; then the data dictionary and manifest.json). An empty database writes nothing and
    returns [].

    ``store_or_url``: a ``harvester.db.Store`` or a database URL (None = the default database).
    ``province``: only this province (name, short name or code; '00' = unknown province); its files
    are written even when it has no reports (header only). ``years``: only these report years
    (ints or '2021-2023' strings). ``fmt``: 'csv' or 'parquet'. ``progress``: a progress bar on
    stderr when it is a terminal. Bad arguments raise ExportError (a ValueError too).
    """
    from harvester.db import Store

    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    wanted = resolve_province(province)
    year_filter = parse_years(years)
    own = not isinstance(store_or_url, Store)
    store = open_store(store_or_url) if own else store_or_url
    try:
        if _count_reports(store) == 0:
            return []
        return _export(store, Path(out_dir), wanted, province, year_filter, fmt, progress)
    finally:
        if own:
            store.close()


def _export(store, out: Path, wanted, province_arg, year_filter, fmt, progress) -> list[Path]:
    """Stream the report rows (in the files' order) into one set of files per province, a batch of
    ``_BATCH`` reports at a time with their cells, checks and evidence: memory stays flat however large the
    database (the open files are one set per province met)."""
    unknown: dict[str, int] = defaultdict(int)
    out.mkdir(parents=True, exist_ok=True)
    ext = "csv" if fmt == "csv" else "parquet"
    cell_ids = all_cell_ids()
    cell_key = _cell_order()
    wide_columns = (*EXPORT_COLUMNS, *DIVISION_COLUMNS, *PROVENANCE_COLUMNS, *EVIDENCE_COLUMNS, *DERIVED_IDS,
                    *cell_ids)
    open_tables: dict[str, dict[str, _Table]] = {}
    pending: dict[str, list[dict]] = defaultdict(list)

    def tables_of(code: str) -> dict[str, _Table]:
        if code not in open_tables:
            open_tables[code] = {
                "reports": _Table(out / f"reports_{code}.{ext}", wide_columns, {*cell_ids, *DERIVED_IDS}, fmt),
                "cells": _Table(out / f"cells_{code}.{ext}", CELL_COLUMNS, {"value"}, fmt),
                "checks": _Table(out / f"checks_{code}.{ext}", CHECK_COLUMNS, set(), fmt),
            }
        return open_tables[code]

    def flush(code: str) -> None:
        batch = pending.pop(code, [])
        if not batch:
            return
        ids = [r["id"] for r in batch]
        cells, checks = _cells_and_checks(store, ids)
        evidence = store.report_evidence(ids)
        captures = store.document_captures({(r["document_url"], c.document_sha256) for r in batch
                                            for c in cells[r["id"]] if c.document_sha256})
        tables = tables_of(code)
        for r in batch:
            _write_report(tables, r, cells[r["id"]], checks[r["id"]], cell_ids, cell_key,
                          evidence.get(r["id"]) or {}, captures)

    total = _count_reports(store, year_filter)
    try:
        with progress_bar("exporting reports", total, enabled=progress) as bar:
            if wanted is not None:
                tables_of(wanted)           # its files are written even when it has no reports
            for row in iter_report_rows(store, year_filter):
                bar.update(1)
                code = row["code"]
                if code is None:
                    code = UNKNOWN_CODE
                    unknown[row["province"] or ""] += 1
                if wanted is not None and code != wanted:
                    continue
                pending[code].append(row)
                if len(pending[code]) >= _BATCH:
                    flush(code)
            for code in list(pending):
                flush(code)
    except BaseException:
        for tables in open_tables.values():
            for t in tables.values():
                t.abort()
        raise
    if wanted in (None, UNKNOWN_CODE):
        for name, n in sorted(unknown.items()):
            log.warning("province %r is not a known province: %d report(s) written to reports_%s",
                        name, n, UNKNOWN_CODE)
    files: list[tuple[str, _Table]] = []
    for code in sorted(open_tables):
        for kind, t in open_tables[code].items():
            t.close()
            files.append((kind, t))

    dictionary = _Table(out / f"data_dictionary.{ext}", DICTIONARY_COLUMNS, set(), fmt)
    for d in export_dictionary_rows():
        dictionary.write([d[c] for c in DICTIONARY_COLUMNS])
    dictionary.close()
    files.append(("dictionary", dictionary))

    manifest = out / "manifest.json"
    _write_manifest(store, manifest, files, {
        "province": province_arg, "province_code": wanted,
        "years": list(year_filter) if year_filter else None, "format": fmt})
    return [t.path for _, t in files] + [manifest]


def _when(value) -> str | None:
    """A capture time as ISO 8601 UTC text (``2025-03-01T00:02:00+00:00``), whichever way the database returned
    it: SQLite's view gives naive text (UTC), PostgreSQL aware datetimes — the same text from both."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).isoformat()


def _cell_evidence(r: dict, ev: dict, captures: dict, sha256: str | None) -> tuple:
    """The CELL_EVIDENCE_COLUMNS of a cell read from the document of ``sha256``: the page and its capture (the
    report_evidence view), the document URL and the capture of it holding those bytes (when only another URL
    holds them, that URL and its record). The same for every cell of one document: computed once per report
    and document (``_write_report``)."""
    cap = captures.get((r["document_url"], sha256)) if sha256 else None
    page = (r["page_url"], ev.get("page_record_id"), _when(ev.get("page_captured_at")))
    if cap is None:
        return (*page, r["document_url"], None, None, None)
    return (*page, cap["uri"], cap["record_id"], _when(cap["captured_at"]), cap["warc_file"])


def _write_report(tables, r, cells, checks, cell_ids, cell_key, ev, captures) -> None:
    d = r["division"]
    head = [r["province"], r["city"], r["county"], r["agency"]]
    ident = [r["agency_id"], r["id"], r["division_code"], r["site_id"], r["year"]]
    checks = sorted(checks, key=lambda c: c.check_id)
    failed = ";".join(c.check_id for c in checks if c.status == "FAIL")
    cells = sorted(cells, key=lambda c: cell_key(c.cell_id))
    imputed = ";".join(c.cell_id for c in cells if c.imputed)
    values = {c.cell_id: c.value for c in cells}
    tables["reports"].write([
        *head, r["year"], r["report_format"], r["title"], r["publish_date"], r["index_no"], r["publisher"],
        r["page_url"], r["document_url"], r["parse_status"], failed, imputed or None,
        r["agency_id"], r["id"], d.province_code, d.city_code, d.county_code, d.status,
        r["division_code"], r["site_id"], *(r[c] for c in PROVENANCE_COLUMNS),
        ev.get("page_record_id"), _when(ev.get("page_captured_at")), ev.get("document_record_id"),
        _when(ev.get("document_captured_at")), ev.get("document_warc_file"), ev.get("withdrawn_record_id"),
        *derive(values).values(), *(values.get(cid) for cid in cell_ids)])
    evidence_of: dict[str | None, tuple] = {}       # document sha256 → its cells' evidence columns
    for c in cells:
        if c.document_sha256 not in evidence_of:
            evidence_of[c.document_sha256] = _cell_evidence(r, ev, captures, c.document_sha256)
        tables["cells"].write([*head, *ident, r["report_format"], c.cell_id, c.value, c.raw,
                               c.unit or _UNITS.get(c.cell_id),
                               ";".join(c.flags or []) or None, int(bool(c.imputed)),
                               *(getattr(c, k) for k in CELL_SOURCE_COLUMNS[:-1]),
                               json.dumps(c.src_candidates, ensure_ascii=False) if c.src_candidates else None,
                               *evidence_of[c.document_sha256]])
    for c in checks:
        tables["checks"].write([*head, *ident, c.check_id, c.status, ";".join(c.cells or []) or None,
                                c.detail or None, explain_check(c.check_id)])


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("harvester")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def _write_manifest(store, path: Path, files, filters: dict) -> None:
    manifest = {
        "description": ("Annual reports on government information disclosure (政府信息公开工作年度报告) "
                        "harvested by harvester: per province a wide file (one row per report), a long "
                        "file (one row per cell) and the consistency checks, with a data dictionary. "
                        "See docs/exports.md for every column."),
        "generated_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "harvester_version": _version(),
        "database": store.safe_url,
        "latest_crawl_run": _latest_run(store),
        "filters": filters,
        "division_dataset": dataset_info(),
        "files": [{"name": t.path.name, "kind": kind, "format": t.fmt, "rows": t.rows,
                   "columns": list(t.columns), "description": DESCRIPTIONS[kind]} for kind, t in files],
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
