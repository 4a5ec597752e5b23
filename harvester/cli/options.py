"""Options shared by the commands of every CLI module."""
from __future__ import annotations

import os
import sys

import click

from harvester import settings as defaults

DB_HELP = "Database URL: sqlite:///path.db or postgresql://user@host/db (env HARVESTER_DB)."


class BadInput(click.ClickException):
    """Bad input from the operator: one line on stderr ("Error: …"), exit 2."""

    exit_code = 2


def _checked_db(create: bool):
    def callback(ctx, param, value):
        from harvester.cli.dburl import DatabaseURLError, check_db

        if ctx.resilient_parsing:
            return value
        try:
            check_db(value, create=create)
        except DatabaseURLError as exc:
            raise BadInput(str(exc)) from None
        return value
    return callback


def _db_option(create: bool | None):
    """--db; checked before the command runs (harvester/cli/dburl.py) unless ``create`` is None (the command checks
    it itself, when it needs the database at all)."""
    return click.option("--db", "db_url", default=lambda: os.environ.get("HARVESTER_DB", defaults.HARVESTER_DB),
                        show_default="sqlite:///data/harvester.db", help=DB_HELP,
                        callback=None if create is None else _checked_db(create))


db_option = _db_option(False)            # the database must exist (read-only and maintenance commands)
db_create_option = _db_option(True)      # crawl, nightly, demo, init: may create a SQLite file (not its folder)
db_lazy_option = _db_option(None)        # checked by the command when it opens the database (show FILE needs none)


def require_db(url: str | None) -> None:
    """The check of ``db_option``, for a command using ``db_lazy_option``."""
    from harvester.cli.dburl import DatabaseURLError, check_db

    try:
        check_db(url, create=False)
    except DatabaseURLError as exc:
        raise BadInput(str(exc)) from None


# progress lines are the library's (harvester/progress.py): the research modules draw them too
from harvester.progress import no_progress, progress_bar  # noqa: E402,F401
