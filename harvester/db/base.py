"""The Store shell: engine and migrations on open, the archive, and the transaction plumbing every part
uses (``_write`` — which writes the buffered WARC capture rows first —, ``_read``, ``_insert``)."""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from sqlalchemy import Connection
from sqlalchemy.engine import URL

from harvester.evidence.warc import WarcArchive

from .engine import make_engine, migrate, resolve_url, sqlite_path
from .models import WarcCapture

log = logging.getLogger(__name__)


class StoreBase:
    """Connection, archive and transactions of a ``Store`` (harvester/db/store.py composes the parts)."""

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
        # the WARC records of every fetch (harvester/evidence/warc.py); the archive reads its bytes from them
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

    def __enter__(self) -> Self:
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
