"""Read-only access to the research database for researchers: ``harvester query``, notebooks, browse.

The database itself refuses writes — nothing here tries to recognise "dangerous" SQL:

* **SQLite** is opened through a ``file:…?mode=ro`` URI, so every write fails in the driver with
  "attempt to write a readonly database" (``WITH … DELETE`` and ``PRAGMA writable_schema`` tricks
  included). ``mode=ro`` does not extend to ``ATTACH`` and ``VACUUM INTO`` (they would create new
  files), so an SQLite authorizer additionally admits only reads: SELECT, table reads, functions,
  recursive CTEs, transactions and a list of pragmas that only report. ``PRAGMA query_only`` is on.
  A missing file is an error: it is never created.
* **PostgreSQL** connections start with ``default_transaction_read_only=on``; every query runs in a
  transaction that first says ``SET TRANSACTION READ ONLY`` and takes its snapshot (so it cannot be
  switched back to read-write), and the user's statement is sent as one prepared statement, so
  ``SELECT 1; DELETE …`` is refused as "multiple commands". The server then refuses INSERT, UPDATE,
  DELETE, DDL and ``nextval`` with "cannot execute … in a read-only transaction". Use a role without
  superuser rights for a shared database: a read-only transaction still lets a superuser run
  ``COPY … TO PROGRAM``.

``QueryError`` carries a one-line message fit for the console.
"""
from __future__ import annotations

import csv
from decimal import Decimal
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import URL
from sqlalchemy.pool import NullPool


class QueryError(Exception):
    """A problem to report in one line (bad URL, missing file, SQL error, refused write)."""


# ---- opening the database read-only ----------------------------------------------------------------

_READ_PRAGMAS = frozenset({
    "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
    "foreign_key_list", "database_list", "collation_list", "function_list", "module_list",
    "pragma_list", "compile_options", "encoding", "page_count", "page_size", "freelist_count",
    "schema_version", "user_version", "application_id", "data_version", "journal_mode",
    "query_only", "foreign_keys", "busy_timeout", "read_uncommitted", "integrity_check", "quick_check",
    "foreign_key_check",
})
_CHECK_PRAGMAS = frozenset({"integrity_check", "quick_check", "foreign_key_check", "table_info",
                            "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list"})


def _authorizer(action, arg1, arg2, _db, _trigger):
    """Admit only what reads (sqlite3 authorizer: SQLITE_OK 0, SQLITE_DENY 1)."""
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                  sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_RECURSIVE):
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA:
        name = (arg1 or "").lower()
        # a pragma with an argument sets something, except the ones whose argument names a table
        if name in _READ_PRAGMAS and (arg2 is None or name in _CHECK_PRAGMAS):
            return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def readonly_sqlite_connection(path: Path, *, authorizer: bool = True) -> sqlite3.Connection:
    """A sqlite3 connection to an existing file that cannot write (see module docstring).
    ``authorizer=False`` leaves only ``mode=ro`` and ``query_only`` (for tests of that layer)."""
    uri = "file:" + quote(str(path), safe="/") + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30,
                           isolation_level=None)
    conn.execute("PRAGMA query_only = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    if authorizer:
        conn.set_authorizer(_authorizer)
    return conn


def resolve(url: str | URL | None) -> URL:
    """The database URL as harvester.db resolves it; errors as QueryError."""
    from sqlalchemy.exc import ArgumentError

    from harvester.db.engine import resolve_url

    try:
        return resolve_url(url)
    except (ArgumentError, ValueError) as exc:
        raise QueryError(f"not a database URL: {url!r} ({exc})") from None


def sqlite_file(url: URL) -> Path | None:
    """The existing SQLite file of ``url`` (None for PostgreSQL); QueryError when it does not exist."""
    from harvester.db.engine import is_sqlite, sqlite_path

    if not is_sqlite(url):
        return None
    path = sqlite_path(url)
    if path is None:
        raise QueryError("an in-memory SQLite database has nothing to read; give a file: sqlite:///path.db")
    if not path.is_file():
        raise QueryError(f"no such database file: {path} (run `harvester crawl` first, or give --db)")
    return path


def readonly_engine(url: str | URL | None) -> Engine:
    """A SQLAlchemy engine that cannot write (SQLite file or PostgreSQL)."""
    u = resolve(url)
    backend = u.get_backend_name()
    path = sqlite_file(u)
    if path is not None:
        engine = create_engine("sqlite://", creator=lambda: readonly_sqlite_connection(path),
                               poolclass=NullPool)
        return engine
    if backend != "postgresql":
        raise QueryError(f"unsupported database {backend!r}: use sqlite:///path.db or postgresql://user@host/db")
    try:
        engine = create_engine(u, poolclass=NullPool)
    except Exception as exc:  # a missing driver, a bad option
        raise QueryError(f"cannot use database URL {safe_url(u)}: {one_line(exc)}") from None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        with dbapi_connection.cursor() as cur:
            cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            cur.execute("SET default_transaction_read_only = on")
        dbapi_connection.commit()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        conn.exec_driver_sql("SELECT 1")   # takes the snapshot: READ WRITE can no longer be set

    return engine


def safe_url(url: URL | str) -> str:
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    return str(url)


def one_line(exc: BaseException) -> str:
    """The first meaningful line of a driver error, without SQLAlchemy's background links."""
    orig = getattr(exc, "orig", None) or exc
    msg = str(orig).strip()
    for line in msg.splitlines():
        line = line.strip()
        if line and not line.startswith("(Background on this error"):
            return line
    return type(orig).__name__


# ---- running a statement -----------------------------------------------------------------------------

@dataclass
class Result:
    columns: list[str]
    rows: list[tuple]


def run_query(url: str | URL | None, sql: str, *, limit: int | None = None) -> Result:
    """Run one statement read-only; return its columns and rows (at most ``limit`` rows)."""
    if not sql or not sql.strip():
        raise QueryError("no SQL given")
    engine = readonly_engine(url)
    try:
        try:
            conn = engine.connect()
        except Exception as exc:
            raise QueryError(f"cannot connect to {safe_url(engine.url)}: {one_line(exc)}") from None
        try:
            trans = conn.begin()
            try:
                cur = conn.connection.dbapi_connection.cursor()
                try:
                    if engine.dialect.name == "postgresql":
                        cur.execute(sql, prepare=True)      # one statement only
                        columns = [d.name for d in cur.description] if cur.description else []
                    else:
                        cur.execute(sql)
                        columns = [d[0] for d in cur.description] if cur.description else []
                    rows = (cur.fetchmany(limit) if limit else cur.fetchall()) if cur.description else []
                finally:
                    cur.close()
            finally:
                trans.rollback()                            # nothing to keep, ever
        except Exception as exc:
            message = one_line(exc)
            if message in ("not authorized", "authorization denied"):
                message += " (the database is open read-only: only reading statements run)"
            raise QueryError(f"SQL error: {message}") from None
        finally:
            conn.close()
    finally:
        engine.dispose()
    return Result(columns, [tuple(r) for r in rows])


# ---- output --------------------------------------------------------------------------------------------

def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, Decimal):          # PostgreSQL sum()/numeric: 1615, not 1615.0
        return str(int(value)) if value == value.to_integral_value() else str(value.normalize())
    if isinstance(value, (bytes, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    return str(value)


def display_width(s: str) -> int:
    """Terminal columns: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 0 if unicodedata.combining(ch) else 1
               for ch in s)


def truncate(s: str, width: int) -> str:
    s = " ".join(s.split())          # newlines and tabs would break the table
    if display_width(s) <= width:
        return s
    out, used = [], 0
    for ch in s:
        w = display_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def _pad(s: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - display_width(s))
    return gap + s if right else s + gap


def format_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, max_width: int = 40) -> str:
    """An aligned text table; cells wider than ``max_width`` columns end in '…'; numbers right-aligned."""
    rows = list(rows)
    texts = [[truncate(_cell_text(v), max_width) for v in row] for row in rows]
    heads = [truncate(str(c), max_width) for c in columns]
    numeric = [bool(rows) and all(isinstance(r[i], (int, float)) or r[i] is None for r in rows)
               for i in range(len(columns))]
    widths = [max([display_width(h)] + [display_width(t[i]) for t in texts]) for i, h in enumerate(heads)]
    lines = ["  ".join(_pad(h, w, n) for h, w, n in zip(heads, widths, numeric)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for t in texts:
        lines.append("  ".join(_pad(c, w, n) for c, w, n in zip(t, widths, numeric)).rstrip())
    return "\n".join(lines)


def write_csv(fh, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """CSV with text that a spreadsheet would evaluate neutralised (as harvester export does)."""
    from harvester.csvsafe import neutralise

    writer = csv.writer(fh)
    writer.writerow([neutralise(str(c)) for c in columns])
    for row in rows:
        writer.writerow([
            "" if v is None else _cell_text(v) if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)
            else neutralise(_cell_text(v))
            for v in row])
