"""The documents-and-evidence part of the Store: fetched documents and their archived bytes, sandbox
reads, the buffered WARC capture rows and the evidence of reports."""
from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select, update

from harvester.evidence.warc import PAYLOAD_TYPES

from .coerce import _text
from .models import Document, WarcCapture, utcnow


class DocumentStore:
    """Mixin of ``Store``: the ``documents`` and ``warc_captures`` tables."""

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

    # the record types the report_evidence view cites for a document at its URL (migration 0007)
    _DOCUMENT_EVIDENCE = ("response", "revisit", "resource")

    def document_captures(self, wanted: Iterable[tuple[str | None, str]]) -> dict[tuple[str | None, str], dict]:
        """(document URL, sha256) → the capture a cell read from those bytes cites {record_id, captured_at, uri,
        warc_file}: the first capture *of that URL* holding those bytes (a response, revisit or resource — the
        rule of the report_evidence view), else — when that URL has none — the first record holding those bytes
        at any URL. Pairs without any capture are left out."""
        wanted = {(u, s) for u, s in wanted if s}
        shas = sorted({s.lower() for _, s in wanted})
        found: dict[str, list[dict]] = {}
        self.flush_captures()
        with self._read() as conn:
            for i in range(0, len(shas), 500):
                for r in conn.execute(select(WarcCapture.body_sha256, WarcCapture.record_id, WarcCapture.record_type,
                                             WarcCapture.captured_at, WarcCapture.uri, WarcCapture.warc_file)
                                      .where(WarcCapture.body_sha256.in_(shas[i:i + 500]),
                                             WarcCapture.record_type.in_((*PAYLOAD_TYPES, "revisit")))
                                      .order_by(WarcCapture.id)).mappings():
                    found.setdefault(r["body_sha256"], []).append(dict(r))
        out: dict[tuple[str | None, str], dict] = {}
        for url, sha in wanted:
            caps = found.get(sha.lower(), [])
            hit = next((c for c in caps if c["uri"] == url and c["record_type"] in self._DOCUMENT_EVIDENCE), None)
            hit = hit or next((c for c in caps if c["record_type"] != "revisit"), None) or next(iter(caps), None)
            if hit is not None:
                out[(url, sha)] = {k: hit[k] for k in ("record_id", "captured_at", "uri", "warc_file")}
        return out

    def report_evidence(self, report_ids: Iterable[int] | None = None) -> dict[int, dict]:
        """report id → its evidence (the report_evidence view): page and document WARC record ids and capture
        times, and when a withdrawn report vanished."""
        from sqlalchemy import bindparam, text
        self.flush_captures()
        with self._read() as conn:
            if report_ids is None:
                rows = conn.execute(text("SELECT * FROM report_evidence")).mappings().all()
            else:
                ids = sorted(set(report_ids))
                rows = []
                query = text("SELECT * FROM report_evidence WHERE report_id IN :ids").bindparams(
                    bindparam("ids", expanding=True))
                for i in range(0, len(ids), 500):
                    rows += conn.execute(query, {"ids": ids[i:i + 500]}).mappings().all()
        return {r["report_id"]: dict(r) for r in rows}
