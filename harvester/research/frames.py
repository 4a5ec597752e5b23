"""The research database from Python, as pandas DataFrames (for notebooks). Read-only.

    from harvester.research import open_db
    db = open_db("sqlite:///data/harvester.db")      # or postgresql://user@host/db; None = $HARVESTER_DB
    db.reports()                    # wide: one row per report, one column per cell id
    db.reports(province="江苏", year=2023)
    db.cells(cell_id="apply.new.total")              # long: one row per report and cell, with labels
    db.cells(imputed=False)         # without the blanks the §7 rule set to 0 (imputed)
    db.reports(imputed=False)       # wide, imputed cells as NaN
    db.checks(status="FAIL")
    db.dictionary()                 # cell id → table, Chinese row/column labels, English label, unit
    db.sql("SELECT year, count(*) AS n FROM reports GROUP BY year")

    import harvester.research as hr
    hr.reports("sqlite:///data/harvester.db", province="35")    # shortcuts that open and close

Filters: ``province`` (name, short name or 2-digit code: "江苏省", "江苏", "32"), ``year`` (an int or a
list of ints). An unknown province raises ``UnknownProvince`` naming the provinces in the database.
The database is opened as ``harvester query`` opens it (``harvester.research.query.readonly_engine``): writes
are refused by SQLite / PostgreSQL themselves.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import inspect, select

from harvester.db.models import CELL_SOURCE_COLUMNS, Agency, CellRow, CheckRow, Document, Report
from harvester.divisions import province_code, province_name
from harvester.research.query import QueryError, one_line, readonly_engine, resolve, safe_url

__all__ = [
    "ResearchDB", "open_db", "reports", "cells", "checks", "dictionary", "data_dictionary",
    "UnknownProvince", "EmptyDatabase", "QueryError",
]

REPORT_COLUMNS = (
    "report_id", "agency_id", "agency", "province", "city", "county", "division_code", "year",
    "report_format", "parse_status", "failed_checks", "imputed_cells", "title", "publish_date", "publisher", "index_no",
    "page_url", "document_url", "document_type", "site_id",
    # provenance (harvester.research.export.PROVENANCE_COLUMNS)
    "fetched_at", "document_sha256", "archive_path", "report_state", "revised_at", "withdrawn_at",
    "withdrawn_reason", "parser_warnings",
    # evidence in the web archive (harvester.research.export.EVIDENCE_COLUMNS, from the report_evidence view)
    "page_warc_record_id", "page_captured_at", "document_warc_record_id", "document_captured_at",
    "document_warc_file", "withdrawn_warc_record_id",
)
# REPORT_COLUMNS' evidence column → the report_evidence view's column
_EVIDENCE = {"page_warc_record_id": "page_record_id", "page_captured_at": "page_captured_at",
             "document_warc_record_id": "document_record_id", "document_captured_at": "document_captured_at",
             "document_warc_file": "document_warc_file", "withdrawn_warc_record_id": "withdrawn_record_id"}


class UnknownProvince(QueryError, ValueError):
    """A province filter that names no province of the database."""


class EmptyDatabase(QueryError):
    """The database has no reports."""

    def __init__(self, message: str = "no reports yet — run `harvester crawl` first"):
        super().__init__(message)


# ---- the data dictionary -----------------------------------------------------------------------------

def data_dictionary() -> list[dict]:
    """Cell id → {cell_id, table, row_label, col_label, label_en, unit, formats}, from the project's data
    dictionary (``harvester.research.codebook.dictionary_rows``)."""
    from harvester.research import codebook as project

    out = []
    for d in project.dictionary_rows():
        row = dict(d)
        row.setdefault("row_label", row.pop("row_label_zh", ""))
        row.setdefault("col_label", row.pop("col_label_zh", ""))
        out.append(row)
    return out


def _ordered(ids: Iterable[str]) -> list[str]:
    from harvester.report.schema import all_cell_ids

    ids = set(ids)
    known = [c for c in all_cell_ids() if c in ids]
    return known + sorted(ids - set(known))


# ---- the database ------------------------------------------------------------------------------------

def _pd():
    import pandas as pd

    return pd


class ResearchDB:
    """A read-only view of the research database; see the module docstring."""

    def __init__(self, url: str | None = None):
        self.url = resolve(url)
        self.engine = readonly_engine(self.url)
        try:
            with self.engine.connect() as conn:
                tables = set(inspect(conn).get_table_names())
        except QueryError:
            raise
        except Exception as exc:
            self.engine.dispose()
            raise QueryError(f"cannot open {safe_url(self.url)}: {one_line(exc)}") from None
        if not {"reports", "agencies", "cells", "checks"} <= tables:
            self.engine.dispose()
            raise QueryError(f"{safe_url(self.url)} is not a harvester database (no reports/agencies tables); "
                             "run `harvester crawl` first")

    # plumbing
    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ResearchDB:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ResearchDB({safe_url(self.url)!r})"

    def _frame(self, stmt, columns=None):
        pd = _pd()
        with self.engine.connect() as conn:
            result = conn.execute(stmt)
            rows = result.fetchall()
            cols = list(result.keys())
        return pd.DataFrame([tuple(r) for r in rows], columns=columns or cols)

    def sql(self, query: str, params: dict | None = None):
        """Any read-only SQL as a DataFrame."""
        from sqlalchemy import text

        try:
            return self._frame(text(query).bindparams(**(params or {})))
        except Exception as exc:
            raise QueryError(f"SQL error: {one_line(exc)}") from None

    # divisions
    def provinces(self) -> list[str]:
        """Province names of the agencies in the database (sorted)."""
        with self.engine.connect() as conn:
            return sorted(p for (p,) in conn.execute(select(Agency.province).distinct()))

    def report_count(self) -> int:
        from sqlalchemy import func

        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(Report)).scalar_one()

    def province_names(self, province: str | None) -> list[str] | None:
        """The stored province names that ``province`` means (None = no filter); UnknownProvince if none."""
        if province is None or str(province).strip() == "":
            return None
        stored = self.provinces()
        code = province_code(str(province))
        wanted = [p for p in stored if (code is not None and province_code(p) == code) or p == str(province).strip()]
        if not wanted:
            known = ", ".join(p or "(unknown)" for p in stored) or "none — no reports yet, run `harvester crawl` first"
            what = f"{province!r}" + (f" ({province_name(code)})" if code and province_name(code) != province else "")
            raise UnknownProvince(f"unknown province {what}: the database has {known}")
        return wanted

    def _where(self, stmt, province, year, agency=None):
        names = self.province_names(province)
        if names is not None:
            stmt = stmt.where(Agency.province.in_(names))
        if year is not None:
            years = [int(year)] if isinstance(year, (int, str)) else [int(y) for y in year]
            stmt = stmt.where(Report.year.in_(years))
        if agency is not None:
            stmt = stmt.where(Agency.name == agency)
        return stmt

    # reports
    def report_list(self, province: str | None = None, year: Any = None):
        """One row per report: the REPORT_COLUMNS (no cells)."""
        stmt = self._where(
            select(Report.id.label("report_id"), Report.agency_id, Agency.name.label("agency"), Agency.province,
                   Agency.city, Agency.county, Report.year, Report.report_format,
                   Report.parse_status, Report.title, Report.publish_date, Report.publisher, Report.index_no,
                   Report.page_url, Report.document_url, Report.document_type, Report.site_id,
                   Report.document_sha256, Report.revised_at, Report.withdrawn_at, Report.withdrawn_reason,
                   Report.parse_detail, Document.fetched_at, Document.storage_path)
            .join(Agency, Agency.id == Report.agency_id)
            .outerjoin(Document, Document.url == Report.document_url), province, year)
        frame = self._frame(stmt)
        from harvester.research.export import provenance

        prov = [provenance(r) for r in frame.to_dict("records")]
        for col in ("fetched_at", "archive_path", "report_state", "parser_warnings"):
            frame[col] = [p[col] for p in prov]
        self._identify(frame, site=True)
        self._evidence(frame)
        failed = self._failed(list(frame["report_id"]))
        frame["failed_checks"] = [";".join(failed.get(i, [])) for i in frame["report_id"]]
        imputed = self._imputed(list(frame["report_id"]))
        frame["imputed_cells"] = [";".join(imputed.get(i, [])) for i in frame["report_id"]]
        frame = frame[list(REPORT_COLUMNS)]
        return frame.sort_values(["province", "agency", "year", "report_id"], kind="stable",
                                 key=lambda s: s.astype(str) if s.dtype == object else s).reset_index(drop=True)

    def _evidence(self, frame) -> None:
        """Add the evidence columns of the report_evidence view (WARC record ids, capture times as UTC
        timestamps); empty on a database from before WARC capture (no such view)."""
        pd = _pd()
        found: dict[int, dict] = {}
        with self.engine.connect() as conn:
            if "report_evidence" in inspect(conn).get_view_names():
                from sqlalchemy import text

                cols = ", ".join(sorted(set(_EVIDENCE.values())))
                for r in conn.execute(text(f"SELECT report_id, {cols} FROM report_evidence")).mappings():
                    found[r["report_id"]] = dict(r)
        for col, view_col in _EVIDENCE.items():
            values = [(found.get(int(i)) or {}).get(view_col) for i in frame["report_id"]]
            frame[col] = pd.to_datetime(values, utc=True, format="ISO8601") if col.endswith("_at") else values

    def identities(self) -> dict:
        """``agencies.id`` → ``harvester.research.identity.AgencyIdentity`` (stable agency_id, division_code, site_id)."""
        from harvester.research.identity import agency_identities

        with self.engine.connect() as conn:
            return agency_identities(conn)

    def _identify(self, frame, *, site: bool = False) -> None:
        """Replace the database's integer ``agency_id`` of ``frame`` by the stable one and fill
        ``division_code`` (and ``site_id`` where the report has none) — see ``harvester.research.identity``."""
        idents = self.identities()
        ids = [idents.get(int(a)) for a in frame["agency_id"]]
        frame["division_code"] = [i.division_code if i else "" for i in ids]
        if site:
            frame["site_id"] = [s if isinstance(s, str) and s else (i.site_id if i else "")
                                for s, i in zip(frame["site_id"], ids)]
        frame["agency_id"] = [i.agency_id if i else "" for i in ids]

    def _per_report(self, ids: list[int], model, column, condition) -> dict[int, list]:
        """{report id: [column values of its rows meeting condition]} for the given reports."""
        out: dict[int, list] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(ids), 500):
                chunk = [int(x) for x in ids[i:i + 500]]
                for rid, value in conn.execute(select(model.report_id, column)
                                               .where(model.report_id.in_(chunk), condition)):
                    out.setdefault(rid, []).append(value)
        return out

    def _failed(self, ids: list[int]) -> dict[int, list[str]]:
        """Per report, the ids of its checks that FAIL (sorted)."""
        found = self._per_report(ids, CheckRow, CheckRow.check_id, CheckRow.status == "FAIL")
        return {rid: sorted(v) for rid, v in found.items()}

    def _imputed(self, ids: list[int]) -> dict[int, list[str]]:
        """Per report, the ids of its imputed cells (§7 zeros), in the specification's order."""
        found = self._per_report(ids, CellRow, CellRow.cell_id, CellRow.imputed.is_(True))
        return {rid: _ordered(v) for rid, v in found.items()}

    def reports(self, province: str | None = None, year: Any = None, *, cells: bool = True, imputed: bool = True):
        """Wide: one row per report — REPORT_COLUMNS, the derived figures (``derived.*``, computed from the
        cells: harvester.research.derived), then one column per cell id (float, NaN when blank; with ``imputed=False``
        the cells imputed as 0 are NaN too, and so are the derived figures that need them)."""
        pd = _pd()
        frame = self.report_list(province, year)
        if not cells:
            return frame
        ids = [int(i) for i in frame["report_id"]]
        values: dict[int, dict[str, float]] = {i: {} for i in ids}
        with self.engine.connect() as conn:
            for i in range(0, len(ids), 500):
                for rid, cid, value, imp in conn.execute(
                        select(CellRow.report_id, CellRow.cell_id, CellRow.value, CellRow.imputed)
                        .where(CellRow.report_id.in_(ids[i:i + 500]))):
                    values[rid][cid] = None if imp and not imputed else value
        seen = {cid for v in values.values() for cid in v}
        cell_ids = _ordered(seen | {d["cell_id"] for d in data_dictionary() if d.get("kind", "cell") == "cell"})
        from harvester.research.derived import DERIVED_IDS, derive

        derived = [list(derive(values[i]).values()) for i in ids]
        wide = pd.DataFrame([d + [values[i].get(cid) for cid in cell_ids] for i, d in zip(ids, derived)],
                            columns=[*DERIVED_IDS, *cell_ids], dtype="float64")
        return pd.concat([frame, wide], axis=1)

    def cells(self, province: str | None = None, year: Any = None, *, cell_id: str | Iterable[str] | None = None,
              labels: bool = True, imputed: bool = True):
        """Long: one row per report and cell, with the report's agency/division/year, the cell's labels and
        where it was read (``imputed``, ``document_url``, ``document_sha256``, ``src_*``: CELL_SOURCE_COLUMNS).
        ``imputed=False`` leaves out the cells imputed as 0."""
        pd = _pd()
        stmt = self._where(
            select(CellRow.report_id, Report.agency_id, Agency.name.label("agency"), Agency.province, Agency.city,
                   Agency.county, Report.site_id, Report.year, Report.report_format, CellRow.cell_id, CellRow.value,
                   CellRow.raw,
                   CellRow.unit, CellRow.flags, CellRow.imputed, Report.document_url,
                   *(getattr(CellRow, c) for c in CELL_SOURCE_COLUMNS))
            .join(Report, Report.id == CellRow.report_id).join(Agency, Agency.id == Report.agency_id),
            province, year)
        if not imputed:
            stmt = stmt.where(CellRow.imputed.is_(False))
        if cell_id is not None:
            ids = [cell_id] if isinstance(cell_id, str) else list(cell_id)
            stmt = stmt.where(CellRow.cell_id.in_(ids))
        frame = self._frame(stmt)
        self._identify(frame, site=True)
        frame = frame[["report_id", "agency_id", "agency", "province", "city", "county", "division_code", "site_id",
                       *[c for c in frame.columns if c not in (
                           "report_id", "agency_id", "agency", "province", "city", "county", "division_code",
                           "site_id")]]]
        frame["flags"] = [";".join(f) if isinstance(f, list) else (f or "") for f in frame["flags"]]
        frame["imputed"] = frame["imputed"].astype(bool)
        if labels:
            d = pd.DataFrame(data_dictionary(), columns=["cell_id", "table", "row_label", "col_label",
                                                         "label_en", "unit", "formats"])
            d = d.rename(columns={"unit": "dictionary_unit"}).drop(columns=["formats"])
            frame = frame.merge(d, on="cell_id", how="left")
        order = {cid: n for n, cid in enumerate(_ordered(set(frame["cell_id"])))}
        frame["_o"] = frame["cell_id"].map(order)
        frame = frame.sort_values(["province", "agency", "year", "report_id", "_o"], kind="stable")
        return frame.drop(columns="_o").reset_index(drop=True)

    def checks(self, province: str | None = None, year: Any = None, *, status: str | None = None):
        """One row per report and check: check_id, status (PASS/FAIL/NOT_ASSESSABLE/AMBIGUOUS), cells, detail."""
        stmt = self._where(
            select(CheckRow.report_id, Report.agency_id, Agency.name.label("agency"), Agency.province, Agency.city,
                   Agency.county, Report.site_id, Report.year, CheckRow.check_id, CheckRow.status, CheckRow.cells, CheckRow.detail)
            .join(Report, Report.id == CheckRow.report_id).join(Agency, Agency.id == Report.agency_id),
            province, year)
        if status is not None:
            stmt = stmt.where(CheckRow.status == status.upper())
        frame = self._frame(stmt)
        self._identify(frame, site=True)
        frame = frame[["report_id", "agency_id", "agency", "province", "city", "county", "division_code", "site_id",
                       "year", "check_id", "status", "cells", "detail"]]
        frame["cells"] = [";".join(c) if isinstance(c, list) else (c or "") for c in frame["cells"]]
        return frame.sort_values(["province", "agency", "year", "report_id", "check_id"],
                                 kind="stable").reset_index(drop=True)

    def agencies(self, province: str | None = None):
        names = self.province_names(province)
        stmt = select(Agency.id.label("agency_id"), Agency.name.label("agency"), Agency.province, Agency.city,
                      Agency.county, Agency.site_id)
        if names is not None:
            stmt = stmt.where(Agency.province.in_(names))
        frame = self._frame(stmt)
        self._identify(frame, site=True)
        frame = frame[["agency_id", "agency", "province", "city", "county", "division_code", "site_id"]]
        return frame.sort_values(["province", "agency", "agency_id"], kind="stable").reset_index(drop=True)

    def dictionary(self):
        return _pd().DataFrame(data_dictionary(), columns=["cell_id", "table", "row_label", "col_label",
                                                           "label_en", "unit", "formats"])


def open_db(url: str | None = None) -> ResearchDB:
    """Open the research database read-only (``None`` = ``$HARVESTER_DB`` or sqlite:///data/harvester.db)."""
    return ResearchDB(url)


def _shortcut(method: str):
    def call(db_url: str | None = None, *args, **kwargs):
        with open_db(db_url) as db:
            return getattr(db, method)(*args, **kwargs)
    call.__name__ = method
    call.__doc__ = f"``open_db(db_url).{method}(…)`` in one call (opens and closes the database)."
    return call


reports = _shortcut("reports")
cells = _shortcut("cells")
checks = _shortcut("checks")


def dictionary():
    """The data dictionary as a DataFrame."""
    return _pd().DataFrame(data_dictionary(), columns=["cell_id", "table", "row_label", "col_label",
                                                       "label_en", "unit", "formats"])


