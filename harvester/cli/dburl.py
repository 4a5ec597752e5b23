"""Checking a `--db` URL before any command touches it: one line for every mistake, nothing created.

``check_db(url, create=…)`` parses the URL with SQLAlchemy's ``make_url`` and refuses, each in one line
that says what is wrong and what to do (`DatabaseURLError`):

* a string SQLAlchemy rejects, or one that looks like a URL without ``://`` (``sqlite:/bad`` — which
  would otherwise become a file of that name);
* a backend other than SQLite and PostgreSQL, or a driver that is not installed (``postgresql+foo``);
* a SQLite file whose folder does not exist (never created), or — for the commands that only read
  (``create=False``) — a SQLite file that does not exist;
* a PostgreSQL server that does not answer or refuses the login (tried once, 5 s timeout), a
  database that does not exist on it, or — for the commands that only read — one without the
  harvester's tables (they would be created).

Only ``crawl``, ``nightly``, ``demo`` and ``init`` may create a SQLite database (``create=True``).
"""
from __future__ import annotations

import re

from sqlalchemy.engine import URL

SCHEME_WITHOUT_SLASHES = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:(?!//)")
BACKENDS = ("sqlite", "postgresql")
EXAMPLES = "use sqlite:///path/to/file.db or postgresql://user@host/db"
CONNECT_TIMEOUT_S = 5


class DatabaseURLError(ValueError):
    """A --db URL that cannot be used; the message is one line."""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    text = re.sub(r"\(Background on this error at: [^)]*\)", "", text).strip()
    text = re.sub(r"^\([\w.]+\)\s*", "", text)       # "(psycopg.OperationalError) …"
    return text[:300] or type(exc).__name__


def check_db(url: str | URL | None, *, create: bool = False) -> URL:
    """The resolved URL when it can be used (see the module docstring); DatabaseURLError otherwise."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from harvester.db.engine import resolve_url, sqlite_path

    raw = "" if url is None else str(url).strip()
    if url is not None and not raw:
        raise DatabaseURLError(f"--db is empty; {EXAMPLES}")
    if raw and "://" not in raw and SCHEME_WITHOUT_SLASHES.match(raw) and not re.match(r"^[A-Za-z]:[\\/]", raw):
        raise DatabaseURLError(f"--db {raw!r} is not a database URL (no '://' after the scheme); {EXAMPLES}")
    try:
        resolved = resolve_url(url)
    except (ArgumentError, ValueError) as exc:
        raise DatabaseURLError(f"--db {raw!r} is not a database URL ({_one_line(exc)}); {EXAMPLES}") from None
    shown = resolved.render_as_string(hide_password=True)
    backend = resolved.get_backend_name()
    if backend not in BACKENDS:
        raise DatabaseURLError(f"--db {shown}: unsupported database {backend!r} (harvester stores in SQLite or "
                               f"PostgreSQL); {EXAMPLES}")
    try:
        resolved.get_dialect()
    except NoSuchModuleError:
        raise DatabaseURLError(f"--db {shown}: unknown driver {resolved.drivername!r}; {EXAMPLES}") from None
    except ImportError as exc:
        raise DatabaseURLError(f"--db {shown}: the driver for {resolved.drivername!r} is not installed "
                               f"({_one_line(exc)})") from None
    if backend == "sqlite":
        path = sqlite_path(resolved)
        if path is None:
            return resolved                       # in memory
        if not path.parent.is_dir():
            raise DatabaseURLError(f"--db {shown}: the folder {path.parent} does not exist; create it first or "
                                   "check the path (sqlite:///relative.db, sqlite:////absolute.db)")
        if path.is_dir():
            raise DatabaseURLError(f"--db {shown}: {path} is a folder, not a database file")
        if not create and not path.is_file():
            raise DatabaseURLError(f"--db {shown}: no database at {path}; check --db (or HARVESTER_DB), or "
                                   "create one with `harvester crawl` / `harvester init`")
        return resolved
    _check_server(resolved, shown, create)
    return resolved


def _check_server(resolved: URL, shown: str, create: bool) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(resolved, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar()
    except Exception as exc:  # the driver's OperationalError: refused, timeout, unknown database, auth
        message = _one_line(exc)
        where = f"{resolved.host or 'localhost'}:{resolved.port or 5432}"
        if "does not exist" in message:
            hint = "create it (createdb) or check the database name"
        else:
            hint = "is the server running and reachable? check host, port, user and pg_hba.conf"
        raise DatabaseURLError(f"--db {shown}: cannot connect to PostgreSQL at {where}: {message}; {hint}") from None
    finally:
        engine.dispose()
    if not create and not tables:
        raise DatabaseURLError(f"--db {shown}: the database has no harvester tables; check --db (or HARVESTER_DB), or "
                               "create them with `harvester init` / `harvester crawl`")
