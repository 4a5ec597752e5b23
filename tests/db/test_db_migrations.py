"""Migrations: applied when a database is opened, a no-op the second time, in step with the models."""
from __future__ import annotations

import os
import sqlite3
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import event, inspect, text
from sqlalchemy.exc import IntegrityError

from harvester.db import SchemaTooNewError, Store, head_revision, make_engine, migrate, resolve_url
from harvester.db import models

EXPECTED_TABLES = {
    "sites", "agencies", "reports", "report_urls", "report_versions", "documents", "report_sections",
    "cells", "checks", "crawl_runs", "site_outcomes", "crawl_events", "site_columns", "site_apis", "alembic_version",
}


def test_migrations_apply_on_fresh_db_then_noop(db_url, tmp_path):
    store = Store(db_url, archive_root=tmp_path / "a")
    applied = store.applied_migrations            # every revision, oldest first, ending at head
    assert applied[0] == "0001" and applied[-1] == head_revision() and len(set(applied)) == len(applied)
    assert EXPECTED_TABLES <= set(inspect(store.engine).get_table_names())
    store.upsert_sites([{"site_id": "s1", "name": "站点", "province": "江苏省"}])
    store.close()

    engine = make_engine(db_url)
    ddl = []

    @event.listens_for(engine, "before_cursor_execute")
    def _capture(conn, cursor, statement, *args):
        if statement.lstrip().split(" ", 1)[0].upper() in ("CREATE", "ALTER", "DROP"):
            ddl.append(statement)

    try:
        assert migrate(engine) == []
        assert ddl == []
    finally:
        engine.dispose()

    again = Store(db_url, archive_root=tmp_path / "a")
    try:
        assert again.applied_migrations == []
        assert again.summary()["sites"] == 1      # data survives reopening
    finally:
        again.close()


def test_models_match_migrations(store):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        assert compare_metadata(ctx, models.Base.metadata) == []


def test_foreign_keys_enforced(store):
    with pytest.raises(IntegrityError):
        with store.engine.begin() as conn:
            conn.execute(text("INSERT INTO reports (agency_id, year, created_at, updated_at) "
                              "VALUES (424242, 2024, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))


def test_unique_agency_year_enforced_by_database(store):
    rid, _ = store.upsert_report(site_id="s1", agency="某某局", year=2024)
    agency_id = store.get_report(rid)["agency_id"]
    with pytest.raises(IntegrityError):
        with store.engine.begin() as conn:
            conn.execute(text("INSERT INTO reports (agency_id, year, created_at, updated_at) "
                              "VALUES (:a, 2024, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"a": agency_id})


def test_sqlite_pragmas(tmp_path):
    db = tmp_path / "h.db"
    store = Store(f"sqlite:///{db}", archive_root=tmp_path / "a")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    finally:
        store.close()
    # WAL is a property of the file: a plain sqlite3 connection sees it too
    raw = sqlite3.connect(db)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()


def test_sqlite_ddl_is_transactional(tmp_path):
    """A failing statement inside a transaction rolls back DDL before it (BEGIN is really emitted)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    try:
        with pytest.raises(Exception):
            with engine.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE t1 (x INTEGER)")
                conn.exec_driver_sql("SELECT * FROM no_such_table")
        assert "t1" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_url_resolution(monkeypatch, tmp_path):
    assert resolve_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert resolve_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert resolve_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert resolve_url(str(tmp_path / "x.db")).drivername == "sqlite"
    monkeypatch.setenv("HARVESTER_DB", f"sqlite:///{tmp_path / 'env.db'}")
    assert resolve_url(None).database == str(tmp_path / "env.db")


def test_default_database_relative_to_cwd(monkeypatch, tmp_path):
    monkeypatch.delenv("HARVESTER_DB", raising=False)
    monkeypatch.delenv("HARVESTER_ARCHIVE", raising=False)
    monkeypatch.chdir(tmp_path)
    store = Store()
    try:
        applied = store.applied_migrations
        assert applied[0] == "0001" and applied[-1] == head_revision() and len(set(applied)) == len(applied)
        assert (tmp_path / "data" / "harvester.db").is_file()
        assert store.archive.root == (tmp_path / "data" / "archive").resolve()
    finally:
        store.close()


def test_schema_newer_than_code_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    Store(url, archive_root=tmp_path / "a").close()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    engine.dispose()
    with pytest.raises(SchemaTooNewError):
        Store(url, archive_root=tmp_path / "a")


def test_migration_files_are_package_data():
    """Every file Alembic needs at runtime is covered by pyproject's package-data for harvester.db."""
    root = Path(__file__).resolve().parents[2]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["harvester.db"]
    pkg = root / "harvester" / "db"
    needed = [p for p in (pkg / "migrations").rglob("*.py") if "__pycache__" not in p.parts]
    assert any(p.parent.name == "versions" for p in needed)
    covered = {p for pat in patterns for p in pkg.glob(pat)}
    for path in needed:
        assert path in covered, f"{path.relative_to(pkg)} is not package data"
    assert os.path.isfile(pkg / "alembic.ini")


def _database_at(db_url: str, revision: str, cells: list[tuple]) -> None:
    """A database migrated up to ``revision`` only, holding site s, agency 1, its report 1 (2024) and these cells
    (cell_id, value, raw) of it — stored the way that revision stores them."""
    from alembic import command

    from harvester.db.engine import alembic_config

    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)
            conn.execute(text("INSERT INTO sites (site_id, name, province, city, county, updated_at) "
                              "VALUES ('s', 's', '', '', '', CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO agencies (id, name, norm_name, province, city, county, created_at) "
                              "VALUES (1, 'a', 'a', '', '', '', CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO reports (id, agency_id, year, created_at, updated_at) "
                              "VALUES (1, 1, 2024, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            for cell_id, value, raw in cells:
                conn.execute(text("INSERT INTO cells (report_id, cell_id, value, raw) VALUES (1, :c, :v, :r)"),
                             {"c": cell_id, "v": value, "r": raw})
    finally:
        engine.dispose()


def test_0006_adds_cell_provenance_to_existing_cells_and_downgrades(db_url, tmp_path):
    """Cells stored before 0006 keep their values, are not imputed and have no location until a reparse;
    downgrading to 0003 drops the columns again."""
    from alembic import command

    from harvester.db.engine import alembic_config

    _database_at(db_url, "0003", [("apply.new.total", 7, "7")])
    store = Store(db_url, archive_root=tmp_path / "a")
    try:
        assert "0006" in store.applied_migrations
        cell = store.cells(1)["apply.new.total"]
        assert (cell.value, cell.raw, cell.imputed, cell.source, cell.page) == (7, "7", False, None, None)
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM cells WHERE NOT imputed")).scalar_one() == 1
    finally:
        store.close()
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0003")
        columns = {c["name"] for c in inspect(engine).get_columns("cells")}
        assert columns == {"report_id", "cell_id", "value", "raw", "unit", "flags"}
    finally:
        engine.dispose()


def test_0011_stores_whole_figures_as_integers_on_sqlite(tmp_path):
    """A database of 0005 (cells.value FLOAT: 1615.0 in Datasette and its CSV) upgraded: whole figures are integers
    in the file, fractions stay, the cells keep their report (foreign key) and index; downgrade restores FLOAT."""
    from alembic import command

    from harvester.db.engine import alembic_config

    db_url = f"sqlite:///{tmp_path / 'old.db'}"
    _database_at(db_url, "0005", [("apply.new.total", 1615, "1615"), ("x.rate", 0.25, "25%")])
    with sqlite3.connect(tmp_path / "old.db") as raw:
        assert [t for (t,) in raw.execute("SELECT typeof(value) FROM cells ORDER BY cell_id")] == ["real"] * 2
    store = Store(db_url, archive_root=tmp_path / "a")
    try:
        assert "0011" in store.applied_migrations
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT value, typeof(value) FROM cells ORDER BY cell_id")).all() == \
                [(1615, "integer"), (0.25, "real")]
        assert store.cells(1)["apply.new.total"].value == 1615
        insp = inspect(store.engine)
        assert [fk["referred_table"] for fk in insp.get_foreign_keys("cells")] == ["reports"]
        assert "ix_cells_cell_id" in {i["name"] for i in insp.get_indexes("cells")}
    finally:
        store.close()
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0005")
        assert {c["name"]: str(c["type"]) for c in inspect(engine).get_columns("cells")}["value"] in ("FLOAT", "DOUBLE")
    finally:
        engine.dispose()
