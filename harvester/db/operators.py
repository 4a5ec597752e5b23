"""The operators' part of the Store: rejected revisions (re-fetched documents that parsed worse) and site
mutes."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update

from .models import Agency, RejectedRevision, Report, SiteMute, utcnow


class OperatorStore:
    """Mixin of ``Store``: the ``rejected_revisions`` and ``site_mutes`` tables."""

    def reject_revision(self, report_id: int, *, site_id: str | None, fields: Mapping[str, Any],
                        filled_cells: int, failed_checks: int, reason: str, run_id: int | None) -> int:
        """Record a re-fetched document that parsed worse than the report's current one (the report keeps
        its document, cells and checks); an open rejection of the same bytes is not recorded twice."""
        sha = fields.get("document_sha256")
        with self._write() as conn:
            found = conn.execute(select(RejectedRevision.id).where(
                RejectedRevision.report_id == report_id, RejectedRevision.document_sha256 == sha,
                RejectedRevision.resolved_at.is_(None))).scalar()
            if found is not None:
                return found
            return conn.execute(self._insert(RejectedRevision).values(
                report_id=report_id, site_id=site_id, document_url=fields.get("document_url"),
                document_sha256=sha, document_type=fields.get("document_type"),
                parse_status=fields.get("parse_status"), filled_cells=filled_cells,
                failed_checks=failed_checks, reason=reason, run_id=run_id, rejected_at=utcnow(),
            ).returning(RejectedRevision.id)).scalar_one()

    def resolve_rejections(self, report_id: int, resolution: str) -> int:
        """Close the report's open rejected revisions (a later document was accepted); how many."""
        with self._write() as conn:
            rows = conn.execute(update(RejectedRevision).where(
                RejectedRevision.report_id == report_id, RejectedRevision.resolved_at.is_(None))
                .values(resolved_at=utcnow(), resolution=resolution).returning(RejectedRevision.id)).all()
        return len(rows)

    def rejected_revisions(self, *, open_only: bool = True, run_id: int | None = None) -> list[dict]:
        """Rejected revisions with their report (agency, year, current status and cells kept)."""
        stmt = (select(RejectedRevision.__table__, Agency.name.label("agency"), Report.year,
                       Report.parse_status.label("current_status"),
                       Report.document_sha256.label("current_sha256"))
                .join(Report, Report.id == RejectedRevision.report_id)
                .join(Agency, Agency.id == Report.agency_id).order_by(RejectedRevision.id))
        if open_only:
            stmt = stmt.where(RejectedRevision.resolved_at.is_(None))
        if run_id is not None:
            stmt = stmt.where(RejectedRevision.run_id == run_id)
        with self._read() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    def mute_site(self, site_id: str, reason: str, until: dt.date) -> None:
        with self._write() as conn:
            conn.execute(delete(SiteMute).where(SiteMute.site_id == site_id))
            conn.execute(self._insert(SiteMute).values(site_id=site_id, reason=reason, until=until,
                                                       muted_at=utcnow()))

    def unmute_site(self, site_id: str) -> bool:
        with self._write() as conn:
            return conn.execute(delete(SiteMute).where(SiteMute.site_id == site_id)
                                .returning(SiteMute.site_id)).first() is not None

    def mutes(self) -> dict[str, dict]:
        with self._read() as conn:
            return {r.site_id: {"reason": r.reason, "until": r.until, "muted_at": r.muted_at}
                    for r in conn.execute(select(SiteMute.__table__))}
