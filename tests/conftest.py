"""Shared fixtures.

``db_url`` — a URL to an empty database, parametrised over SQLite and PostgreSQL
(test ids ``[sqlite]`` / ``[postgresql]``). Any test that takes it runs on both.

PostgreSQL: one uniquely named database ``harvester_test_<random>`` is created per test session
(dropped at the end) and every test gets its own schema in it (via ``search_path``), so each test
starts empty. The server is found at ``$HARVESTER_TEST_PG`` (an admin URL) or else the first of
``postgresql://root@127.0.0.1:5432/postgres``, ``…/test``, ``postgres@…/postgres`` that accepts a
connection with the right to create databases. When no server answers the PostgreSQL variants are
skipped — unless ``$CI`` is set, then they fail.

``store`` — a ``harvester.db.Store`` on ``db_url`` with its archive in ``tmp_path``.
"""
from __future__ import annotations

import os
import secrets
from urllib.parse import quote

import pytest

PG_CANDIDATES = (
    "postgresql+psycopg://root@127.0.0.1:5432/postgres",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
)


def _in_ci() -> bool:
    return bool(os.environ.get("CI", "").strip())


def _psycopg_kwargs(url: str) -> tuple[str, dict]:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    kwargs = {"host": u.host or "127.0.0.1", "port": u.port or 5432, "user": u.username,
              "dbname": u.database or "postgres", "connect_timeout": 5}
    if u.password:
        kwargs["password"] = u.password
    return u.render_as_string(hide_password=False), {k: v for k, v in kwargs.items() if v is not None}


def _find_pg_admin() -> tuple[dict | None, str]:
    """(psycopg connect kwargs of an admin connection, or None; what was tried and why it failed)."""
    import psycopg

    env = os.environ.get("HARVESTER_TEST_PG")
    candidates = (env,) if env else PG_CANDIDATES
    errors = []
    for url in candidates:
        _, kwargs = _psycopg_kwargs(url)
        try:
            with psycopg.connect(**kwargs, autocommit=True) as conn:
                ok = conn.execute("SELECT rolcreatedb OR rolsuper FROM pg_roles "
                                  "WHERE rolname = current_user").fetchone()
            if ok and ok[0]:
                return kwargs, ""
            errors.append(f"{url}: role may not create databases")
        except psycopg.Error as exc:
            errors.append(f"{url}: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}")
    return None, "; ".join(errors)


@pytest.fixture(scope="session")
def pg_database():
    """(admin connect kwargs, name) of a fresh database for this session; skipped/failed when down."""
    import psycopg

    admin, why = _find_pg_admin()
    if admin is None:
        message = f"PostgreSQL unreachable ({why})"
        if _in_ci():
            pytest.fail(message + " — required when CI is set", pytrace=False)
        pytest.skip(message)
    name = f"harvester_test_{secrets.token_hex(6)}"
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
    try:
        yield admin, name
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """URL of an empty database: a SQLite file in tmp_path, or a fresh schema in the session's
    PostgreSQL test database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'harvester.db'}"
        return
    yield from _pg_schema(request)


@pytest.fixture(scope="module")
def pg_url(request):
    """URL of a fresh schema in the session's PostgreSQL test database, for a whole test module."""
    yield from _pg_schema(request)


def _pg_schema(request):
    import psycopg

    admin, name = request.getfixturevalue("pg_database")
    schema = f"t_{secrets.token_hex(6)}"
    conn_kwargs = {**admin, "dbname": name}
    with psycopg.connect(**conn_kwargs, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    auth = quote(admin["user"], safe="")
    if admin.get("password"):
        auth += ":" + quote(admin["password"], safe="")
    options = quote(f"-csearch_path={schema}", safe="")
    yield f"postgresql+psycopg://{auth}@{admin['host']}:{admin['port']}/{name}?options={options}"
    with psycopg.connect(**conn_kwargs, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def store(db_url, tmp_path):
    from harvester.db import Store

    s = Store(db_url, archive_root=tmp_path / "archive")
    try:
        yield s
    finally:
        s.close()
