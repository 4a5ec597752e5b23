"""The report part of the Store: agencies, reports (upsert, withdrawal, lookups, the per-agency lock) and
the report listings for exports and ``reparse``."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, func, select, update

from harvester.agencies import agency_key
from harvester.divisions import lookup_division
from harvester.report.model import ParsedReport

from .coerce import _number, _text, coerce_date, normalize_name
from .models import (
    URL_ROLES, Agency, CellRow, CheckRow, Document, Report, ReportUrl, ReportVersion, Site, utcnow,
)

REPORT_FIELDS = (
    "title", "publish_date", "written_date", "index_no", "publisher", "doc_number", "validity",
    "page_url", "document_url", "document_type", "document_sha256",
    # normally set by save_parse; accepted here for reports without a parse (fetch_failed, image_only …)
    "report_format", "parse_status", "parse_detail",
)
_DATE_FIELDS = ("publish_date", "written_date")


class ReportStore:
    """Mixin of ``Store``: the ``agencies``, ``reports``, ``report_urls`` and ``report_versions`` tables."""

    def _ensure_agency(self, conn: Connection, agency: str | Mapping[str, Any],
                       site: Mapping[str, Any]) -> int:
        if isinstance(agency, Mapping):
            name = _text(agency.get("name"))
            division = {k: _text(agency.get(k)) or (site[k] if k not in agency else "")
                        for k in ("province", "city", "county")}
            division_code = _text(agency.get("division_code")) or None
            if division_code is None and all(division[k] == (site[k] or "") for k in division):
                division_code = _text(site.get("division_code"))
        else:
            name = _text(agency)
            division = {k: site[k] or "" for k in ("province", "city", "county")}
            division_code = _text(site.get("division_code"))
        norm = normalize_name(name or "")
        if not norm:
            raise ValueError(f"agency name is empty: {agency!r}")
        key = (Agency.norm_name == norm, Agency.province == division["province"],
               Agency.city == division["city"], Agency.county == division["county"])
        stable_key = agency_key(norm, lookup_division(division["province"], division["city"],
                                                      division["county"], division_code))
        agency_id = conn.execute(self._insert(Agency).values(
            name=name, norm_name=norm, site_id=site["site_id"], division_code=division_code,
            agency_key=stable_key, created_at=utcnow(), **division,
        ).on_conflict_do_nothing(index_elements=["norm_name", "province", "city", "county"])
            .returning(Agency.id)).scalar()
        if agency_id is not None:
            return agency_id
        row = conn.execute(select(Agency.id, Agency.division_code, Agency.agency_key).where(*key)).one()
        changes: dict[str, Any] = {}
        if division_code and not row.division_code:
            changes["division_code"] = division_code
            stable_key = agency_key(norm, lookup_division(division["province"], division["city"],
                                                          division["county"], division_code))
        elif row.division_code and row.division_code != division_code:
            stable_key = agency_key(norm, lookup_division(division["province"], division["city"],
                                                          division["county"], row.division_code))
        if row.agency_key != stable_key:
            changes["agency_key"] = stable_key
        if changes:
            conn.execute(update(Agency).where(Agency.id == row.id).values(**changes))
        return row.id

    def _clean_report_fields(self, fields: Mapping[str, Any]) -> tuple[dict, list[str]]:
        unknown = set(fields) - set(REPORT_FIELDS)
        if unknown:
            raise ValueError(f"unknown report fields {sorted(unknown)}; expected some of {REPORT_FIELDS}")
        clean: dict[str, Any] = {}
        problems: list[str] = []
        for key, value in fields.items():
            if key in _DATE_FIELDS:
                try:
                    value = coerce_date(value)
                except (ValueError, TypeError) as exc:
                    problems.append(f"{key}: {exc}")
                    value = None
            elif key == "document_sha256":
                value = _text(value)
                value = value.lower() if value else None
            else:
                value = _text(value)
            if value is not None:           # None = not known this time; never erase
                clean[key] = value
        return clean, problems

    def upsert_report(self, *, site_id: str, agency: str | Mapping[str, Any], year: int,
                      fields: Mapping[str, Any] | None = None,
                      urls: Iterable[tuple[str, str]] = (), run_id: int | None = None,
                      parsed: ParsedReport | None = None, other_copy: bool = False) -> tuple[int, str]:
        """Insert or update the report of (agency, year); returns (report_id, status), status one of
        'new', 'revised' (its document's bytes changed: the earlier document is kept in report_versions and
        ``revised_at`` is set), 'updated' (other fields changed) or 'unchanged'. With ``parsed`` the parse
        result is saved in the same transaction (as ``save_parse``): a crash never leaves a report without
        the parse it was stored with. A withdrawn report seen again is no longer withdrawn.

        ``agency`` is the name as published (division taken from the site) or a mapping
        {name, province, city, county, division_code} for agencies outside the site's division.
        ``fields`` are among REPORT_FIELDS; a field is written only when it differs, and None
        never erases. A new document SHA-256 moves the old one to ``report_versions``, except with
        ``other_copy``: the fields come from another copy of the report (a repost under another URL that
        parses better), which replaces the stored one as 'updated' — the earlier copy stays in ``documents``
        and ``report_urls``, and the result does not depend on the order the copies were met in.
        When ``document_url`` is given without ``document_sha256`` the SHA-256 is taken from the
        ``documents`` row of that URL. ``urls`` are (url, role) pairs, role 'page' or 'document';
        ``page_url``/``document_url`` are added to them. Unparseable dates are recorded as
        ``bad_field`` events and ignored. Adding URLs alone does not make a report 'updated'.
        """
        try:
            year = int(year)
        except (TypeError, ValueError):
            raise ValueError(f"report year must be an integer, got {year!r}") from None
        if not 1900 <= year <= 2200:
            raise ValueError(f"implausible report year {year}")
        clean, problems = self._clean_report_fields(fields or {})
        pairs: dict[str, str] = {}
        if clean.get("page_url"):
            pairs[clean["page_url"]] = "page"
        if clean.get("document_url"):
            pairs.setdefault(clean["document_url"], "document")
        for url, role in urls:
            if role not in URL_ROLES:
                raise ValueError(f"unknown URL role {role!r}; expected one of {URL_ROLES}")
            if url:
                pairs.setdefault(str(url).strip(), role)

        now = utcnow()
        with self._write() as conn:
            site = self._ensure_site(conn, site_id)
            agency_id = self._ensure_agency(conn, agency, site)
            if "document_sha256" not in clean and clean.get("document_url"):
                sha = conn.execute(select(Document.sha256)
                                   .where(Document.url == clean["document_url"])).scalar()
                if sha:
                    clean["document_sha256"] = sha
            report_id = conn.execute(self._insert(Report).values(
                agency_id=agency_id, year=year, site_id=site_id, first_seen_run=run_id,
                last_seen_run=run_id, created_at=now, updated_at=now, **clean,
            ).on_conflict_do_nothing(index_elements=["agency_id", "year"])
                .returning(Report.id)).scalar()
            if report_id is not None:
                status = "new"
            else:
                old = conn.execute(select(Report.__table__).where(
                    Report.agency_id == agency_id, Report.year == year)).mappings().one()
                report_id = old["id"]
                changes = {k: v for k, v in clean.items() if old[k] != v}
                extra: dict[str, Any] = {}
                if run_id is not None and old["last_seen_run"] != run_id:
                    extra["last_seen_run"] = run_id
                if run_id is not None and old["first_seen_run"] is None:
                    extra["first_seen_run"] = run_id
                if run_id is not None and old["withdrawn_at"] is not None:
                    extra.update(withdrawn_at=None, withdrawn_reason=None)
                if changes:
                    status = "updated"
                    if "document_sha256" in changes and old["document_sha256"] and not other_copy:
                        conn.execute(self._insert(ReportVersion).values(
                            report_id=report_id, document_url=old["document_url"],
                            document_sha256=old["document_sha256"],
                            document_type=old["document_type"], title=old["title"],
                            publish_date=old["publish_date"], reason="revised",
                            superseded_at=now, superseded_run=run_id))
                        status = "revised"
                        extra["revised_at"] = now
                    extra.update(changes, updated_at=now)
                else:
                    status = "unchanged"
                if extra:
                    conn.execute(update(Report).where(Report.id == report_id).values(**extra))
            for url, role in pairs.items():
                conn.execute(self._insert(ReportUrl).values(
                    report_id=report_id, url=url, role=role, first_seen_run=run_id, first_seen_at=now,
                ).on_conflict_do_nothing(index_elements=["report_id", "url"]))
            for problem in problems:
                self._event(conn, run_id, site_id, clean.get("page_url") or clean.get("document_url"),
                            "bad_field", problem)
            if parsed is not None:
                self._save_parse(conn, report_id, parsed)
        return report_id, status

    def mark_withdrawn(self, report_id: int, reason: str) -> bool:
        """Flag a report as withdrawn from its portal (the data stays); True when it was not already."""
        with self._write() as conn:
            return conn.execute(update(Report).where(Report.id == report_id, Report.withdrawn_at.is_(None))
                                .values(withdrawn_at=utcnow(), withdrawn_reason=reason)
                                .returning(Report.id)).first() is not None

    @contextmanager
    def report_lock(self, agency: str, year: int) -> Iterator[None]:
        """Hold while choosing and storing one agency's report for a year, so that two processes storing two
        copies of it at once (distributed workers) decide one after the other, as one process does. A
        PostgreSQL advisory lock; SQLite serialises its writers already."""
        if self.dialect != "postgresql":
            yield
            return
        from sqlalchemy import text

        digest = hashlib.sha256(f"harvester.report|{normalize_name(agency or '')}|{year}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()

    def find_report(self, site_id: str, agency: str, year: int) -> dict | None:
        """The stored report of (agency, year) as `upsert_report` would key it for this site — with
        `filled_cells`, the number of its non-null cells — or None."""
        norm = normalize_name(agency or "")
        with self._read() as conn:
            site = conn.execute(select(Site.province, Site.city, Site.county)
                                .where(Site.site_id == site_id)).first()
            if site is None or not norm:
                return None
            report_id = conn.execute(
                select(Report.id).join(Agency, Agency.id == Report.agency_id)
                .where(Agency.norm_name == norm, Agency.province == (site.province or ""),
                       Agency.city == (site.city or ""), Agency.county == (site.county or ""),
                       Report.year == year)).scalar()
            if report_id is None:
                return None
            filled = conn.execute(select(func.count()).select_from(CellRow)
                                  .where(CellRow.report_id == report_id, CellRow.value.is_not(None))).scalar_one()
            failed = conn.execute(select(func.count()).select_from(CheckRow)
                                  .where(CheckRow.report_id == report_id, CheckRow.status == "FAIL")).scalar_one()
        found = self.get_report(report_id)
        found["filled_cells"] = filled
        found["failed_checks"] = failed
        return found

    def find_reports(self, agency: str, year: int | None = None) -> list[dict]:
        """Reports of an agency by its name as published or normalised (in every division), optionally of
        one year: [{id, year, agency, province, city, county}], by agency id and year."""
        norm = normalize_name(agency or "")
        stmt = (select(Report.id, Report.year, Agency.name.label("agency"), Agency.province, Agency.city,
                       Agency.county).join(Agency, Agency.id == Report.agency_id)
                .where((Agency.name == agency) | (Agency.norm_name == norm)))
        if year is not None:
            stmt = stmt.where(Report.year == year)
        with self._read() as conn:
            return [dict(r) for r in conn.execute(stmt.order_by(Agency.id, Report.year)).mappings()]

    def get_report(self, report_id: int) -> dict | None:
        """The report's row with its agency (name, norm_name, province, city, county) and URLs."""
        with self._read() as conn:
            row = conn.execute(
                select(Report.__table__, Agency.name.label("agency"),
                       Agency.norm_name.label("agency_norm"), Agency.province, Agency.city,
                       Agency.county)
                .join(Agency, Agency.id == Report.agency_id).where(Report.id == report_id)
            ).mappings().first()
            if row is None:
                return None
            result = dict(row)
            result["urls"] = [(r.url, r.role) for r in conn.execute(
                select(ReportUrl.url, ReportUrl.role).where(ReportUrl.report_id == report_id)
                .order_by(ReportUrl.id))]
        return result

    # ------------------------------------------------------------------ reparse

    def iter_archived_documents(self) -> Iterator[dict]:
        """Every report whose document is archived, for ``harvester reparse``:
        {report_id, sha256, kind, url, title, meta}; ordered by report id. ``meta`` holds the
        page metadata (agency, year, site_id, division, index_no, publisher, ...)."""
        sha = func.coalesce(Report.document_sha256, Document.sha256)
        stmt = (select(Report.id, sha.label("sha256"), Document.kind, Report.document_type,
                       Report.document_url, Report.page_url, Report.title, Report.year,
                       Report.publish_date, Report.written_date, Report.index_no, Report.publisher,
                       Report.doc_number, Report.validity, Report.site_id, Document.content_type,
                       Agency.name.label("agency"), Agency.province, Agency.city, Agency.county)
                .join(Agency, Agency.id == Report.agency_id)
                .outerjoin(Document, Document.url == Report.document_url)
                .where(sha.is_not(None))
                .order_by(Report.id))
        with self._read() as conn:
            rows = conn.execute(stmt).mappings().all()   # read fully: reparse writes meanwhile
        for r in rows:
            meta = {k: r[k] for k in ("agency", "year", "site_id", "province", "city", "county",
                                      "page_url", "index_no", "publisher", "doc_number", "validity",
                                      "document_type", "content_type")}
            for k in ("publish_date", "written_date"):
                meta[k] = r[k].isoformat() if r[k] else None
            yield {"report_id": r["id"], "sha256": r["sha256"], "kind": r["kind"] or r["document_type"],
                   "url": r["document_url"] or r["page_url"], "title": r["title"], "meta": meta}

    def report_files(self, report_id: int) -> list[dict]:
        """The archived files a report was seen at (its page and documents), in the order first seen:
        {url, role, sha256, kind, content_type}. ``reparse`` re-chooses among them as the crawl did."""
        stmt = (select(ReportUrl.url, ReportUrl.role, Document.sha256, Document.kind, Document.content_type)
                .join(Document, Document.url == ReportUrl.url)
                .where(ReportUrl.report_id == report_id, Document.sha256.is_not(None))
                .order_by(ReportUrl.id))
        with self._read() as conn:
            rows = [dict(r) for r in conn.execute(stmt).mappings()]
            current = conn.execute(select(Report.document_url, Report.document_sha256)
                                   .where(Report.id == report_id)).first()
        if current is not None and current.document_sha256:
            for row in rows:      # the accepted document, not a worse one rejected since at the same URL
                if row["url"] == current.document_url:
                    row["sha256"] = current.document_sha256
        return rows

    # ------------------------------------------------------------------ export & summary

    def report_rows(self) -> list[dict]:
        """Every report with its agency and division, for exports (unsorted)."""
        stmt = (select(Report.id, Report.year, Report.report_format, Report.title,
                       Report.publish_date, Report.index_no, Report.publisher, Report.page_url,
                       Report.document_url, Report.parse_status,
                       Agency.name.label("agency"), Agency.province, Agency.city, Agency.county)
                .join(Agency, Agency.id == Report.agency_id))
        with self._read() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    def cell_values(self, report_ids: Iterable[int]) -> dict[int, dict[str, float | int | None]]:
        ids = list(report_ids)
        out: dict[int, dict] = {i: {} for i in ids}
        with self._read() as conn:
            for i in range(0, len(ids), 500):
                for r in conn.execute(select(CellRow.report_id, CellRow.cell_id, CellRow.value)
                                      .where(CellRow.report_id.in_(ids[i:i + 500]))):
                    out[r.report_id][r.cell_id] = _number(r.value)
        return out

    def failed_checks(self, report_ids: Iterable[int]) -> dict[int, list[str]]:
        ids = list(report_ids)
        out: dict[int, list[str]] = {i: [] for i in ids}
        with self._read() as conn:
            for i in range(0, len(ids), 500):
                for r in conn.execute(select(CheckRow.report_id, CheckRow.check_id)
                                      .where(CheckRow.report_id.in_(ids[i:i + 500]),
                                             CheckRow.status == "FAIL")
                                      .order_by(CheckRow.report_id, CheckRow.check_id)):
                    out[r.report_id].append(r.check_id)
        return out
