"""Alembic environment for the harvester database.

Used programmatically by ``harvester.db.engine.migrate`` (which passes an open connection inside
a transaction in ``config.attributes["connection"]``) and from the command line with
``alembic -c harvester/db/alembic.ini upgrade head`` (URL from ``-x url=…``, ``$HARVESTER_DB`` or
the default).
"""
from __future__ import annotations

from alembic import context

from harvester.db.models import Base

target_metadata = Base.metadata
config = context.config


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return

    from harvester.db.engine import make_engine

    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url") or None
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            with conn.begin():
                _configure(conn)
                context.run_migrations()
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    from harvester.db.engine import resolve_url

    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url") or None
    context.configure(url=resolve_url(url), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
