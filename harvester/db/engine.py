"""Engines, URLs and migrations.

* ``resolve_url(url)`` — ``None`` → ``$HARVESTER_DB`` → ``harvester.settings.HARVESTER_DB`` →
  ``sqlite:///data/harvester.db`` (relative to the CWD). ``postgresql://`` and ``postgres://`` become
  ``postgresql+psycopg://``; a bare file path becomes a SQLite URL.
* ``make_engine(url)`` — SQLite gets WAL, ``foreign_keys=ON``, ``busy_timeout`` and
  ``synchronous=NORMAL`` on every connection, and SQLAlchemy (not the sqlite3 module) emits BEGIN,
  so transactions and DDL are really transactional. Write transactions can ask for
  ``BEGIN IMMEDIATE`` with the execution option ``harvester_begin="IMMEDIATE"``.
* ``migrate(engine)`` — Alembic ``upgrade head`` with ``script_location`` inside this package,
  serialised between processes (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL),
  a no-op when the database is already at head.
"""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.pool import StaticPool

DEFAULT_URL = "sqlite:///data/harvester.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATION_LOCK = 0x68617276  # "harv": pg_advisory_xact_lock key for migrations


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer harvester than this one."""


def default_url() -> str:
    url = os.environ.get("HARVESTER_DB")
    if url:
        return url
    try:  # settings live in harvester/settings.py (owned elsewhere); optional here
        from harvester import settings  # type: ignore[attr-defined]
    except ImportError:
        settings = None
    url = getattr(settings, "HARVESTER_DB", None) if settings is not None else None
    return url or DEFAULT_URL


def resolve_url(url: str | URL | None = None) -> URL:
    """Normalise a database URL (see module docstring)."""
    if url is None:
        url = default_url()
    if isinstance(url, URL):
        parsed = url
    else:
        url = str(url).strip()
        if "://" not in url:                         # a bare path to a SQLite file
            url = "sqlite:///" + url
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif parsed.drivername == "sqlite+pysqlite":
        parsed = parsed.set(drivername="sqlite")
    return parsed


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def sqlite_path(url: URL) -> Path | None:
    """Absolute path of a SQLite file database, None for in-memory ones."""
    if not is_sqlite(url):
        return None
    db = url.database or ""
    if db in ("", ":memory:") or db.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return Path(db).expanduser().resolve()


def make_engine(url: str | URL | None = None, **kwargs) -> Engine:
    u = resolve_url(url)
    if is_sqlite(u):
        path = sqlite_path(u)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            u = u.set(database=str(path))              # CWD changes later must not move the DB
        else:
            kwargs.setdefault("poolclass", StaticPool)  # one shared in-memory database
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        connect_args.setdefault("check_same_thread", False)
        engine = create_engine(u, connect_args=connect_args, **kwargs)
        _install_sqlite_hooks(engine, wal=path is not None)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(u, **kwargs)


def _install_sqlite_hooks(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take BEGIN away from the sqlite3 module (it skips BEGIN before DDL and SELECT);
        # SQLAlchemy emits it in the "begin" hook below.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys = ON")
            if wal:
                cur.execute("PRAGMA journal_mode = WAL")
                cur.execute("PRAGMA synchronous = NORMAL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("harvester_begin")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")


# --------------------------------------------------------------------------- migrations

def alembic_config(connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations have {len(heads)} heads: {heads}")
    return heads[0]


def current_revision(connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> list[str]:
    """Upgrade the database to head; return the revisions applied (empty when already at head)."""
    from alembic import command
    from alembic.script import ScriptDirectory

    head = head_revision()
    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect() as conn:
        before = current_revision(conn)
        conn.rollback()
    if before == head:
        return []
    _check_known(script, before)

    sqlite = engine.dialect.name == "sqlite"
    eng = engine.execution_options(harvester_begin="IMMEDIATE") if sqlite else engine
    with eng.connect() as conn:
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            before = current_revision(conn)              # another process may have migrated meanwhile
            if before != head:
                _check_known(script, before)
                command.upgrade(alembic_config(conn), "head")
            after = current_revision(conn)
    if before == head:
        return []
    applied = []
    for rev in script.iterate_revisions(after, before):
        applied.append(rev.revision)
    return list(reversed(applied))


def _check_known(script, rev: str | None) -> None:
    if rev is None:
        return
    try:
        script.get_revision(rev)
    except Exception as exc:  # alembic raises CommandError/ResolutionError subclasses
        raise SchemaTooNewError(
            f"database schema revision {rev!r} is unknown to this harvester "
            f"(migrated by a newer version?)") from exc
