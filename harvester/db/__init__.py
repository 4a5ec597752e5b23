"""Database layer: SQLAlchemy models, engines with Alembic migrations applied on open, and the Store API.

    from harvester.db import Store
    store = Store()                 # $HARVESTER_DB or sqlite:///data/harvester.db
    store = Store("postgresql://user@host/db")
"""
from .engine import SchemaTooNewError, head_revision, make_engine, migrate, resolve_url
from .store import REPORT_FIELDS, Store, coerce_date, normalize_name

__all__ = [
    "Store", "REPORT_FIELDS", "SchemaTooNewError", "coerce_date", "head_revision", "make_engine",
    "migrate", "normalize_name", "resolve_url",
]
