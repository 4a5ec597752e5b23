"""The crawl-run part of the Store: runs, site outcomes, events, the end-of-crawl summary, and what
incremental crawls remember of a site (columns, list APIs, listed items, revisit schedules)."""
from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, func, select, update

from .models import (
    SITE_OUTCOMES, Agency, CheckRow, ColumnSchedule, CrawlEvent, CrawlRun, Document, ListedItem,
    RejectedRevision, Report, ReportUrl, Site, SiteApi, SiteColumn, SiteOutcome, utcnow,
)

OUTCOME_STATS = ("requests", "reports_found", "reports_new", "reports_updated")
EVENT_LEVELS = ("debug", "info", "warning", "error")


def _process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:    # a zombie (killed, not yet reaped by its parent) is not alive
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class RunStore:
    """Mixin of ``Store``: crawl_runs, site_outcomes, crawl_events and the incremental-crawl tables."""

    def start_run(self, command: str, args: Mapping[str, Any] | None = None, *, job: str | None = None) -> int:
        """A new run, recorded with this machine and process (so a killed run can be told from a live one)."""
        with self._write() as conn:
            return conn.execute(self._insert(CrawlRun).values(
                command=command, args=dict(args or {}), status="running", started_at=utcnow(),
                host=socket.gethostname(), pid=os.getpid(), job=job,
            ).returning(CrawlRun.id)).scalar_one()

    def mark_interrupted_runs(self) -> list[int]:
        """Runs still 'running' on this machine whose process is gone (killed, crashed, power cut) become
        'interrupted'; returns their ids. Runs of other machines (distributed workers) are left alone."""
        with self._write() as conn:
            rows = conn.execute(select(CrawlRun.id, CrawlRun.pid).where(
                CrawlRun.status == "running", CrawlRun.host == socket.gethostname())).all()
            dead = [r.id for r in rows if r.pid != os.getpid() and not _process_alive(r.pid)]
            if dead:
                conn.execute(update(CrawlRun).where(CrawlRun.id.in_(dead)).values(
                    status="interrupted", finished_at=utcnow()))
        self.archive.sweep()                  # partial files a killed crawl was writing
        return dead

    def finish_run(self, run_id: int, status: str, counts: Mapping[str, Any] | None = None) -> None:
        with self._write() as conn:
            found = conn.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(
                status=status, counts=dict(counts or {}), finished_at=utcnow(),
            ).returning(CrawlRun.id)).first()
        if found is None:
            raise KeyError(f"no crawl run {run_id}")

    def record_site_outcome(self, run_id: int, site_id: str, outcome: str, reason: str = "",
                            raw: Mapping[str, Any] | None = None, evidence: Mapping[str, Any] | None = None,
                            **stats: int) -> None:
        """One row per (run, site); a later call for the same pair replaces it."""
        if outcome not in SITE_OUTCOMES:
            raise ValueError(f"unknown site outcome {outcome!r}; expected one of {SITE_OUTCOMES}")
        unknown = set(stats) - set(OUTCOME_STATS)
        if unknown:
            raise ValueError(f"unknown site outcome stats {sorted(unknown)}; expected {OUTCOME_STATS}")
        values = {k: int(stats.get(k) or 0) for k in OUTCOME_STATS}
        with self._write() as conn:
            self._ensure_site(conn, site_id)
            stmt = self._insert(SiteOutcome).values(
                run_id=run_id, site_id=site_id, outcome=outcome, reason=reason or "",
                recorded_at=utcnow(), stats=dict(raw) if raw else None,
                evidence=dict(evidence) if evidence else None, **values)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["run_id", "site_id"],
                set_={"outcome": stmt.excluded.outcome, "reason": stmt.excluded.reason,
                      "recorded_at": stmt.excluded.recorded_at, "stats": stmt.excluded.stats,
                      "evidence": stmt.excluded.evidence,
                      **{k: getattr(stmt.excluded, k) for k in OUTCOME_STATS}}))

    def record_event(self, run_id: int | None, site_id: str | None, url: str | None, kind: str,
                     reason: str, level: str = "warning") -> int:
        """Record why an input was bad (or anything else worth keeping); returns the event id."""
        if level not in EVENT_LEVELS:
            raise ValueError(f"unknown event level {level!r}; expected one of {EVENT_LEVELS}")
        with self._write() as conn:
            return self._event(conn, run_id, site_id, url, kind, reason, level)

    def _event(self, conn, run_id, site_id, url, kind, reason, level="warning") -> int:
        return conn.execute(self._insert(CrawlEvent).values(
            run_id=run_id, site_id=site_id, url=url, kind=kind, reason=reason or "", level=level,
            at=utcnow()).returning(CrawlEvent.id)).scalar_one()

    def summary(self, run_id: int | None = None) -> dict:
        """Counts for the end-of-crawl printout.

        ``problems``/``problems_by_kind``: warning and error events (of ``run_id`` when given, else
        all); ``problems_last_run``: the same by kind for the latest run; ``failed_checks``: reports
        with at least one FAIL check; ``site_outcomes`` (with ``run_id``): outcome → sites."""
        def grouped(conn, col):
            return {(k if k is not None else "unknown"): n for k, n in conn.execute(
                select(col, func.count()).group_by(col).order_by(col))}

        with self._read() as conn:
            count = lambda model: conn.execute(select(func.count()).select_from(model)).scalar_one()  # noqa: E731
            events = select(CrawlEvent.kind, func.count()).where(CrawlEvent.level.in_(("warning", "error")))
            by_kind_of = lambda stmt: {k: n for k, n in conn.execute(  # noqa: E731
                stmt.group_by(CrawlEvent.kind).order_by(CrawlEvent.kind))}
            by_kind = by_kind_of(events if run_id is None else events.where(CrawlEvent.run_id == run_id))
            last_run = conn.execute(select(func.max(CrawlRun.id))).scalar()
            last = by_kind_of(events.where(CrawlEvent.run_id == last_run)) if last_run is not None else {}
            result = {
                "sites": count(Site),
                "agencies": count(Agency),
                "reports": count(Report),
                "documents": count(Document),
                "reports_by_year": grouped(conn, Report.year),
                "reports_by_format": grouped(conn, Report.report_format),
                "reports_by_document_type": grouped(conn, Report.document_type),
                "parse_status": grouped(conn, Report.parse_status),
                "problems": sum(by_kind.values()),
                "problems_by_kind": by_kind,
                "problems_last_run": last,
                "failed_checks": conn.execute(select(func.count(func.distinct(CheckRow.report_id)))
                                              .where(CheckRow.status == "FAIL")).scalar_one(),
            }
            if run_id is not None:
                result["site_outcomes"] = {k: n for k, n in conn.execute(
                    select(SiteOutcome.outcome, func.count()).where(SiteOutcome.run_id == run_id)
                    .group_by(SiteOutcome.outcome).order_by(SiteOutcome.outcome))}
        return result

    # ------------------------------------------------------------------ site history (read only)

    def previous_site_outcomes(self, site_id: str, before_run: int | None = None, limit: int = 10) -> list[dict]:
        """The site's outcomes in earlier runs, newest first: run_id, outcome, reason, reports_found, requests,
        recorded_at (for telling a site whose layout changed from one that never had reports)."""
        with self._read() as conn:
            stmt = select(SiteOutcome.run_id, SiteOutcome.outcome, SiteOutcome.reason, SiteOutcome.reports_found,
                          SiteOutcome.requests, SiteOutcome.recorded_at).where(SiteOutcome.site_id == site_id)
            if before_run is not None:
                stmt = stmt.where(SiteOutcome.run_id < before_run)
            rows = conn.execute(stmt.order_by(SiteOutcome.run_id.desc()).limit(limit)).mappings().all()
        return [dict(r) for r in rows]

    # ------------------------------------------------------------------ incremental crawls

    def crawl_memory(self, site_id: str) -> dict:
        """What earlier runs learnt of a site, for an incremental crawl:

        ``columns``: its report columns (start there rather than at the home page);
        ``harvested``: URLs of its reports (pages and documents) that need no fetch unless refreshed or
        verified — a report whose fetch failed is not among them, so it is tried again;
        ``validators``: url → {etag, last_modified, sha256, content_type} of every URL fetched for the site
        (conditional requests; the archived bytes answer a 304) — except the documents of open rejected
        revisions, asked for in full (a repaired copy may keep the damaged one's validators);
        ``apis``: the list APIs its report columns call (column, method, url, body, headers), found by
        rendering a column once — asked over plain HTTP instead of rendering again."""
        with self._read() as conn:
            columns = [r.url for r in conn.execute(
                select(SiteColumn.url).where(SiteColumn.site_id == site_id).order_by(SiteColumn.url))]
            harvested = {r.url for r in conn.execute(
                select(ReportUrl.url).join(Report, Report.id == ReportUrl.report_id)
                .where(Report.site_id == site_id,
                       func.coalesce(Report.parse_status, "") != "fetch_failed"))}
            validators = {r.url: {"etag": r.etag, "last_modified": r.last_modified, "sha256": r.sha256,
                                  "content_type": r.content_type, "role": r.role}
                          for r in conn.execute(
                              select(Document.url, Document.etag, Document.last_modified, Document.sha256,
                                     Document.content_type, Document.role)
                              .where(Document.site_id == site_id, Document.sha256.is_not(None)))}
            # a document rejected as worse is asked for in full: a repaired copy may come with the same validators
            for url, in conn.execute(select(RejectedRevision.document_url).where(
                    RejectedRevision.site_id == site_id, RejectedRevision.resolved_at.is_(None))):
                validators.pop(url, None)
            apis = [{"column": r.column_url, "method": r.method, "url": r.url, "body": r.body or "",
                     "headers": r.headers or {}}
                    for r in conn.execute(select(SiteApi.__table__).where(SiteApi.site_id == site_id)
                                          .order_by(SiteApi.key))]
            listed = {r.key for r in conn.execute(select(ListedItem.key).where(ListedItem.site_id == site_id))}
        return {"columns": columns, "harvested": harvested, "validators": validators, "apis": apis,
                "listed": listed}

    def record_apis(self, site_id: str, apis: Iterable[Mapping[str, Any]], run_id: int | None) -> None:
        """The list APIs that listed the site's reports in this run (an API not confirmed again is forgotten,
        as report columns are)."""
        rows = {}
        for a in apis:
            key = hashlib.sha256(f"{a['method']} {a['url']} {a.get('body') or ''}".encode()).hexdigest()[:64]
            rows[key] = a
        with self._write() as conn:
            self._ensure_site(conn, site_id)
            conn.execute(delete(SiteApi).where(SiteApi.site_id == site_id, SiteApi.key.not_in(list(rows))))
            for key, a in rows.items():
                stmt = self._insert(SiteApi).values(site_id=site_id, key=key, column_url=a["column"],
                                                    method=a["method"], url=a["url"], body=a.get("body") or "",
                                                    headers=dict(a.get("headers") or {}), first_seen_run=run_id,
                                                    last_seen_run=run_id)
                conn.execute(stmt.on_conflict_do_update(index_elements=["site_id", "key"],
                                                        set_={"last_seen_run": stmt.excluded.last_seen_run}))

    def record_columns(self, site_id: str, urls: Iterable[str], run_id: int | None) -> None:
        """The site's report columns as this run found them (a column not found again is forgotten: the
        next run walks from the start page when none of the remembered ones work)."""
        urls = sorted(set(urls))
        with self._write() as conn:
            self._ensure_site(conn, site_id)
            conn.execute(delete(SiteColumn).where(SiteColumn.site_id == site_id, SiteColumn.url.not_in(urls)))
            for url in urls:
                stmt = self._insert(SiteColumn).values(site_id=site_id, url=url, first_seen_run=run_id,
                                                       last_seen_run=run_id)
                conn.execute(stmt.on_conflict_do_update(index_elements=["site_id", "url"],
                                                        set_={"last_seen_run": stmt.excluded.last_seen_run}))

    def record_listed(self, site_id: str, keys: Iterable[str], run_id: int | None) -> int:
        """Report items (hashes of URL and title) the site's columns listed in this run; returns how many were
        new. An item stays known: a later walk stops at a page whose items are all known."""
        keys = sorted(set(keys))
        if not keys:
            return 0
        new = 0
        with self._write() as conn:
            self._ensure_site(conn, site_id)
            for i in range(0, len(keys), 500):
                known = {r.key for r in conn.execute(select(ListedItem.key).where(
                    ListedItem.site_id == site_id, ListedItem.key.in_(keys[i:i + 500])))}
                rows = [{"site_id": site_id, "key": k, "first_seen_run": run_id} for k in keys[i:i + 500]
                        if k not in known]
                if rows:
                    conn.execute(self._insert(ListedItem).values(rows).on_conflict_do_nothing())
                    new += len(rows)
        return new

    def failed_report_urls(self, site_id: str) -> set[str]:
        """URLs of the site's reports whose fetch failed (tried again by the next run)."""
        with self._read() as conn:
            return {r.url for r in conn.execute(
                select(ReportUrl.url).join(Report, Report.id == ReportUrl.report_id)
                .where(Report.site_id == site_id, Report.parse_status == "fetch_failed"))}

    def column_schedules(self, site_id: str | None = None) -> dict[tuple[str, str], dict]:
        """(site, column URL) → its revisit schedule (harvester/crawl/revisit.py)."""
        q = select(ColumnSchedule.__table__)
        if site_id is not None:
            q = q.where(ColumnSchedule.site_id == site_id)
        with self._read() as conn:
            return {(r.site_id, r.url): dict(r._mapping) for r in conn.execute(q)}

    def save_column_schedules(self, site_id: str, schedules: Mapping[str, Mapping[str, Any]]) -> None:
        """Store the schedules of the site's columns checked in this run (url → revisit.after_check)."""
        fields = ("checks", "changes", "last_checked_at", "last_changed_at", "interval_days", "next_due_at",
                  "history")
        with self._write() as conn:
            self._ensure_site(conn, site_id)
            for url, s in schedules.items():
                values = {k: s.get(k) for k in fields}
                stmt = self._insert(ColumnSchedule).values(site_id=site_id, url=url, **values)
                conn.execute(stmt.on_conflict_do_update(index_elements=["site_id", "url"], set_=values))

    def reports_at(self, urls: Iterable[str]) -> dict[str, int]:
        """url → id of the report seen at it (its page or document)."""
        urls = list(set(urls))
        out: dict[str, int] = {}
        with self._read() as conn:
            for i in range(0, len(urls), 500):
                for r in conn.execute(select(ReportUrl.url, ReportUrl.report_id)
                                      .where(ReportUrl.url.in_(urls[i:i + 500]))):
                    out[r.url] = r.report_id
        return out

    def touch_report(self, report_id: int, run_id: int | None) -> None:
        """Seen again, unchanged (a verifying run's 304): last_seen_run moves, a withdrawal is undone."""
        with self._write() as conn:
            conn.execute(update(Report).where(Report.id == report_id).values(
                last_seen_run=run_id, withdrawn_at=None, withdrawn_reason=None))
