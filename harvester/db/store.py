"""The storage API used by the Scrapy pipelines, the CLI and ``reparse``.

One ``Store`` per process. Every public method is one transaction (SQLite write transactions
start with ``BEGIN IMMEDIATE`` so concurrent writers wait on ``busy_timeout`` instead of failing),
so methods are safe to call from several threads. Upserts use the dialect's
``INSERT … ON CONFLICT`` with ``RETURNING`` on both SQLite and PostgreSQL (psycopg 3 reports
``rowcount == -1`` for them, so row counts are never used).

Nothing harvested is deleted: a report whose document changes keeps the earlier document in
``report_versions``; ``report_urls`` only accumulate; ``None`` in ``upsert_report(fields=…)`` means
"not known this time" and never erases a stored value.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import os
import re
import socket
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.engine import URL

import harvester.report as report_parser
from harvester.agencies import agency_key, normalize_agency_name
from harvester.archive import Archive  # noqa: F401 - the plain store WarcArchive extends
from harvester.warc import PAYLOAD_TYPES, WarcArchive
from harvester.divisions import lookup_division
from harvester.report.model import Cell, Check, ParsedReport, Source

from .engine import make_engine, migrate, resolve_url, sqlite_path
from .models import (
    ColumnSchedule, ListedItem,
    SITE_OUTCOMES, URL_ROLES, Agency, CellRow, CheckRow, CrawlEvent, CrawlRun, Document, Report,
    RejectedRevision, ReportSection, ReportUrl, ReportVersion, Site, SiteApi, SiteColumn, SiteMute, SiteOutcome,
    WarcCapture, utcnow,
)

log = logging.getLogger(__name__)

REPORT_FIELDS = (
    "title", "publish_date", "written_date", "index_no", "publisher", "doc_number", "validity",
    "page_url", "document_url", "document_type", "document_sha256",
    # normally set by save_parse; accepted here for reports without a parse (fetch_failed, image_only …)
    "report_format", "parse_status", "parse_detail",
)
_DATE_FIELDS = ("publish_date", "written_date")
SITE_FIELDS = ("name", "province", "city", "county", "start_url", "platform", "division_code")
_SITE_ALIASES = {"id": "site_id", "url": "start_url"}
OUTCOME_STATS = ("requests", "reports_found", "reports_new", "reports_updated")
EVENT_LEVELS = ("debug", "info", "warning", "error")
CARRY_CHAIN_CHECK_ID = "t3.carry_chain"

_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def normalize_name(name: str) -> str:
    """Agency-name key (``harvester.agencies.normalize_agency_name``): NFKC, zero-width characters and
    all whitespace (incl. U+3000) removed, parenthesised aliases dropped, XX县政府 ≡ XX县人民政府."""
    return normalize_agency_name(name)


def coerce_date(value: Any) -> dt.date | None:
    """date/datetime, 'YYYY-MM-DD', 'YYYY/M/D', 'YYYY年M月D日' → date; None/'' → None; else ValueError."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    m = _DATE_RE.search(text)
    if not m:
        raise ValueError(f"not a date: {value!r}")
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))  # ValueError when impossible


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _number(value: float | None) -> float | int | None:
    """Stored doubles back as ints when integral (counts), floats otherwise."""
    if value is None:
        return None
    f = float(value)
    return int(f) if f.is_integer() and abs(f) < 2**53 else f


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


class Store:
    """Research database + raw-document archive.

    ``Store(url)`` — ``url`` None → ``$HARVESTER_DB`` → ``sqlite:///data/harvester.db``.
    ``archive_root`` None → ``$HARVESTER_ARCHIVE`` → ``archive/`` next to the SQLite file →
    ``data/archive`` (for PostgreSQL and in-memory SQLite). Migrations run on open.
    """

    def __init__(self, url: str | URL | None = None, *, archive_root: str | os.PathLike | None = None,
                 migrate_schema: bool = True, **engine_kwargs):
        self.engine = make_engine(resolve_url(url), **engine_kwargs)
        self.url = self.engine.url            # SQLite paths made absolute: CWD changes are harmless
        self.dialect = self.engine.dialect.name
        self._write_engine = (self.engine.execution_options(harvester_begin="IMMEDIATE")
                              if self.dialect == "sqlite" else self.engine)
        if migrate_schema:
            self.applied_migrations = migrate(self.engine)
        else:
            self.applied_migrations = []
        root = self._archive_root(archive_root)
        # the WARC records of every fetch (harvester/warc.py); the archive reads its bytes from them
        self.warc_dir = Path(os.environ.get("HARVESTER_WARC_DIR") or root / "warc").expanduser().resolve()
        self.archive = WarcArchive(root, self.warc_dir, self)
        self._pending_captures: list[dict] = []     # warc_captures rows not written yet (add_captures)
        self._pending_since = 0.0
        self._pending_lock = threading.Lock()

    def _archive_root(self, archive_root) -> Path:
        if archive_root is None:
            archive_root = os.environ.get("HARVESTER_ARCHIVE") or None
        if archive_root is not None:
            return Path(archive_root).expanduser().resolve()
        db_file = sqlite_path(self.url)
        if db_file is not None:
            return db_file.parent / "archive"
        return Path("data/archive").resolve()

    # ------------------------------------------------------------------ plumbing

    def close(self) -> None:
        self.flush_captures()
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def safe_url(self) -> str:
        """The database URL with any password masked (for logs and run records)."""
        return self.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"Store({self.safe_url!r})"

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._pending_lock:       # buffered capture rows go first, in the same transaction
            pending, self._pending_captures = self._pending_captures, []
        inserted = False
        try:
            with self._write_engine.begin() as conn:
                if pending:
                    conn.execute(self._insert(WarcCapture), pending)
                inserted = True
                conn.info["harvester_captures_flushed"] = len(pending)
                yield conn
        except BaseException:
            if pending and inserted:        # the transaction failed after them: kept for the next one
                with self._pending_lock:
                    self._pending_captures[:0] = pending
            elif pending:
                log.error("%d warc_captures rows not written (their WARC records stay in the files)", len(pending))
            raise

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def _insert(self, model):
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise NotImplementedError(f"unsupported database dialect {self.dialect!r}")
        return insert(model)

    # ------------------------------------------------------------------ registry

    def upsert_sites(self, rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
        """Insert or update registry rows; returns counts {'new', 'updated', 'unchanged'}.

        Known keys: site_id (or id), name, province, city, county, start_url (or url), platform,
        division_code; other non-empty keys are kept in ``sites.extra``.
        """
        prepared: dict[str, dict] = {}
        for raw in rows:
            row: dict[str, Any] = {}
            extra: dict[str, Any] = {}
            for key, value in raw.items():
                key = _SITE_ALIASES.get(key, key)
                if key == "site_id" or key in SITE_FIELDS:
                    row[key] = _text(value)
                elif value not in (None, ""):
                    extra[key] = value
            site_id = row.get("site_id")
            if not site_id:
                raise ValueError(f"registry row without site_id: {dict(raw)!r}")
            for key in ("name", "province", "city", "county"):
                row[key] = row.get(key) or ""
            for key in ("start_url", "platform", "division_code"):
                row.setdefault(key, None)
            # JSON round trip so tuples, dates … compare equal to what the database gives back
            row["extra"] = json.loads(json.dumps(extra, ensure_ascii=False, default=str)) if extra else None
            prepared[site_id] = row
        counts = {"new": 0, "updated": 0, "unchanged": 0}
        if not prepared:
            return counts
        now = utcnow()
        columns = ("site_id", *SITE_FIELDS, "extra")
        with self._write() as conn:
            existing = {}
            ids = list(prepared)
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                for r in conn.execute(select(*(getattr(Site, c) for c in columns))
                                      .where(Site.site_id.in_(chunk))).mappings():
                    existing[r["site_id"]] = dict(r)
            for site_id, row in prepared.items():
                old = existing.get(site_id)
                if old is None:
                    stmt = (self._insert(Site).values(**row, updated_at=now)
                            .on_conflict_do_nothing(index_elements=["site_id"]))
                    conn.execute(stmt)
                    counts["new"] += 1
                    continue
                changes = {c: row[c] for c in columns if c != "site_id" and old[c] != row[c]}
                if changes:
                    conn.execute(update(Site).where(Site.site_id == site_id)
                                 .values(**changes, updated_at=now))
                    counts["updated"] += 1
                else:
                    counts["unchanged"] += 1
        return counts

    def _ensure_site(self, conn: Connection, site_id: str) -> Mapping[str, Any]:
        """The site's row; a stub row (name = site_id) when the registry was not loaded."""
        if not site_id:
            raise ValueError("site_id is required")
        conn.execute(self._insert(Site).values(site_id=site_id, name=site_id, updated_at=utcnow())
                     .on_conflict_do_nothing(index_elements=["site_id"]))
        return conn.execute(select(Site.site_id, Site.province, Site.city, Site.county,
                                   Site.division_code).where(Site.site_id == site_id)).mappings().one()

    # ------------------------------------------------------------------ runs and events

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

    # ------------------------------------------------------------------ documents

    def document_state(self, url: str) -> dict | None:
        """What we know of a URL's last fetch (for conditional requests), or None."""
        with self._read() as conn:
            row = conn.execute(select(
                Document.etag, Document.last_modified, Document.sha256, Document.fetched_at,
                Document.http_status, Document.storage_path, Document.kind, Document.problem,
            ).where(Document.url == url)).mappings().first()
        return dict(row) if row else None

    def save_document(self, url: str, data: bytes | None, *, kind: str | None = None,
                      http_status: int | None = None, content_type: str | None = None,
                      etag: str | None = None, last_modified: str | None = None,
                      problem: str | None = None, site_id: str | None = None, role: str | None = None) -> dict:
        """Archive ``data`` (when given) and record the fetch of ``url``.

        Returns {sha256, storage_path, size, changed}: ``changed`` is True when the URL now has
        bytes it did not have before (first fetch included). With ``data=None`` (304, error) the
        previously archived content, ETag and Last-Modified are kept and ``changed`` is False; new bytes
        replace the validators with their own (none when the server sent none).
        ``site_id``/``role`` (column, page, attachment, document) say what the URL was fetched as.
        """
        if not url:
            raise ValueError("url is required")
        kind, content_type, etag, last_modified, problem = (
            _text(v) for v in (kind, content_type, etag, last_modified, problem))
        sha = rel = size = None
        if data is not None:
            sha, rel = self.archive.put(data)
            size = len(data)
        now = utcnow()
        with self._write() as conn:
            old = conn.execute(select(Document.sha256).where(Document.url == url)).first()
            stmt = self._insert(Document).values(
                url=url, sha256=sha, storage_path=rel, size=size, kind=kind, http_status=http_status,
                content_type=content_type, etag=etag, last_modified=last_modified, fetched_at=now,
                problem=problem, site_id=_text(site_id), role=_text(role))
            ex = stmt.excluded
            keep = lambda col: func.coalesce(getattr(ex, col), getattr(Document, col))  # noqa: E731
            row = conn.execute(stmt.on_conflict_do_update(
                index_elements=["url"],
                set_={"sha256": keep("sha256"), "storage_path": keep("storage_path"),
                      "size": keep("size"), "kind": keep("kind"),
                      "content_type": keep("content_type"),
                      # new bytes bring their own validators (none, if the server sent none): an ETag kept
                      # from other bytes would make the server answer 304 for bytes never archived
                      "etag": ex.etag if data is not None else keep("etag"),
                      "last_modified": ex.last_modified if data is not None else keep("last_modified"),
                      "http_status": ex.http_status, "fetched_at": ex.fetched_at,
                      "problem": ex.problem, "site_id": keep("site_id"), "role": keep("role")},
            ).returning(Document.sha256, Document.storage_path, Document.size)).mappings().one()
        changed = sha is not None and (old is None or old.sha256 != sha)
        return {"sha256": row["sha256"], "storage_path": row["storage_path"], "size": row["size"],
                "changed": changed}

    def record_read(self, url: str, row: dict) -> None:
        """The sandbox's read of ``url``'s bytes: read_status, read_detail, read_seconds, read_peak_mib."""
        keys = ("read_status", "read_detail", "read_seconds", "read_peak_mib")
        with self._write() as conn:
            conn.execute(update(Document).where(Document.url == url).values({k: row.get(k) for k in keys}))

    def read_document(self, sha256: str) -> bytes:
        """Archived bytes by SHA-256 (FileNotFoundError when not in the archive)."""
        return self.archive.get(sha256)

    # ------------------------------------------------------------------ WARC captures

    # Rows of warc_captures are buffered in memory and written in batches (one SQLite transaction per fetch
    # slowed the crawl): every CAPTURE_BATCH rows, when the oldest waited CAPTURE_SECONDS, inside any other
    # write transaction of this store (so a row that names a WARC record — a document's archive_path — is
    # never committed before the record's capture row), before any query of the table, and at close.
    # The lookups below read the buffer first. A kill loses at most the buffered rows: their records are
    # in the WARC files (and the CDXJ indexes `harvester warc-index` writes) but nothing refers to them.
    CAPTURE_BATCH = 200
    CAPTURE_SECONDS = 2.0

    def add_captures(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Record WARC records just written (one fetch's response/revisit/resource/conversion records)."""
        rows = [dict(r) for r in rows]
        if not rows:
            return
        with self._pending_lock:
            if not self._pending_captures:
                self._pending_since = time.monotonic()
            self._pending_captures.extend(rows)
            due = (len(self._pending_captures) >= self.CAPTURE_BATCH
                   or time.monotonic() - self._pending_since >= self.CAPTURE_SECONDS)
        if due:
            self.flush_captures()

    def flush_captures(self) -> int:
        """Write the buffered capture rows now (one transaction); the number written."""
        if not self._pending_captures:
            return 0
        with self._write() as conn:        # _write inserts the buffer first
            return conn.info.get("harvester_captures_flushed", 0)

    @staticmethod
    def _match(row: Mapping[str, Any], **want) -> bool:
        return all((row.get(k) in v) if isinstance(v, tuple) else row.get(k) == v for k, v in want.items())

    def _pending_latest(self, **want) -> dict | None:
        with self._pending_lock:
            pending = list(self._pending_captures)
        for row in reversed(pending):
            if self._match(row, **want):
                return {c.key: row.get(c.key) for c in self._CAPTURE_COLS}
        return None

    _CAPTURE_COLS = (WarcCapture.record_id, WarcCapture.record_type, WarcCapture.uri, WarcCapture.captured_at,
                     WarcCapture.warc_file, WarcCapture.offset, WarcCapture.length, WarcCapture.payload_digest,
                     WarcCapture.body_sha256, WarcCapture.http_status, WarcCapture.refers_to,
                     WarcCapture.content_type)

    def capture_holding(self, sha256: str) -> dict | None:
        """The latest record whose payload is the bytes of ``sha256`` (a response, resource or conversion)."""
        hit = self._pending_latest(body_sha256=sha256.lower(), record_type=tuple(PAYLOAD_TYPES))
        if hit is not None:
            return hit
        with self._read() as conn:
            row = conn.execute(select(*self._CAPTURE_COLS)
                               .where(WarcCapture.body_sha256 == sha256.lower(),
                                      WarcCapture.record_type.in_(PAYLOAD_TYPES))
                               .order_by(WarcCapture.id.desc()).limit(1)).mappings().first()
        return dict(row) if row else None

    def latest_capture(self, uri: str) -> dict | None:
        """The latest response (or revisit) of ``uri`` that answered with a body (200), for a 304's revisit."""
        hit = self._pending_latest(uri=uri, http_status=200, record_type=("response", "revisit"))
        if hit is not None:
            return hit
        with self._read() as conn:
            row = conn.execute(select(*self._CAPTURE_COLS)
                               .where(WarcCapture.uri == uri, WarcCapture.http_status == 200,
                                      WarcCapture.record_type.in_(("response", "revisit")))
                               .order_by(WarcCapture.id.desc()).limit(1)).mappings().first()
        return dict(row) if row else None

    def capture_by_digest(self, digest: str) -> dict | None:
        """The latest response holding a payload of this digest (an identical payload is a revisit of it)."""
        hit = self._pending_latest(payload_digest=digest, record_type="response")
        if hit is not None:
            return hit
        with self._read() as conn:
            row = conn.execute(select(*self._CAPTURE_COLS)
                               .where(WarcCapture.payload_digest == digest, WarcCapture.record_type == "response")
                               .order_by(WarcCapture.id.desc()).limit(1)).mappings().first()
        return dict(row) if row else None

    def captures(self, *, run_id: int | None = None) -> list[dict]:
        stmt = select(WarcCapture.__table__).order_by(WarcCapture.id)
        if run_id is not None:
            stmt = stmt.where(WarcCapture.run_id == run_id)
        self.flush_captures()
        with self._read() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    def first_captures(self, shas: Iterable[str]) -> dict[str, dict]:
        """sha256 → the first record holding those bytes {record_id, captured_at, uri, warc_file}."""
        shas = sorted(set(shas))
        out: dict[str, dict] = {}
        self.flush_captures()
        with self._read() as conn:
            for i in range(0, len(shas), 500):
                for r in conn.execute(select(WarcCapture.body_sha256, WarcCapture.record_id, WarcCapture.captured_at,
                                             WarcCapture.uri, WarcCapture.warc_file)
                                      .where(WarcCapture.body_sha256.in_(shas[i:i + 500]),
                                             WarcCapture.record_type.in_(PAYLOAD_TYPES))
                                      .order_by(WarcCapture.id.desc())).mappings():
                    out[r["body_sha256"]] = dict(r)        # the last one written wins: ordered newest first
        return out

    def report_evidence(self, report_ids: Iterable[int] | None = None) -> dict[int, dict]:
        """report id → its evidence (the report_evidence view): page and document WARC record ids and capture
        times, and when a withdrawn report vanished."""
        from sqlalchemy import text
        self.flush_captures()
        with self._read() as conn:
            rows = conn.execute(text("SELECT * FROM report_evidence")).mappings().all()
        wanted = None if report_ids is None else set(report_ids)
        return {r["report_id"]: dict(r) for r in rows if wanted is None or r["report_id"] in wanted}

    # ------------------------------------------------------------------ reports

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

    # ------------------------------------------------------------------ parse results

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

    # ------------------------------------------------------------------ rejected revisions, mutes

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

    def site_exists(self, site_id: str) -> bool:
        with self._read() as conn:
            return conn.execute(select(Site.site_id).where(Site.site_id == site_id)).first() is not None

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
        """(site, column URL) → its revisit schedule (harvester/revisit.py)."""
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
