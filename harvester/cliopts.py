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
        from harvester.dburl import DatabaseURLError, check_db

        if ctx.resilient_parsing:
            return value
        try:
            check_db(value, create=create)
        except DatabaseURLError as exc:
            raise BadInput(str(exc)) from None
        return value
    return callback


def _db_option(create: bool | None):
    """--db; checked before the command runs (harvester/dburl.py) unless ``create`` is None (the command checks
    it itself, when it needs the database at all)."""
    return click.option("--db", "db_url", default=lambda: os.environ.get("HARVESTER_DB", defaults.HARVESTER_DB),
                        show_default="sqlite:///data/harvester.db", help=DB_HELP,
                        callback=None if create is None else _checked_db(create))


db_option = _db_option(False)            # the database must exist (read-only and maintenance commands)
db_create_option = _db_option(True)      # crawl, nightly, demo, init: may create a SQLite file (not its folder)
db_lazy_option = _db_option(None)        # checked by the command when it opens the database (show FILE needs none)


def require_db(url: str | None) -> None:
    """The check of ``db_option``, for a command using ``db_lazy_option``."""
    from harvester.dburl import DatabaseURLError, check_db

    try:
        check_db(url, create=False)
    except DatabaseURLError as exc:
        raise BadInput(str(exc)) from None


class _NoProgress:
    """What `progress_bar` gives when no bar is drawn: the same context manager, doing nothing."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


class _LineProgress:
    """`progress_bar` on a terminal: the rich progress line of harvester/progress.py."""

    def __init__(self, label: str, length: int):
        from harvester.progress import _CountLine

        self.line = _CountLine(label, length)

    def __enter__(self):
        self.line.__enter__()
        return self

    def __exit__(self, *exc):
        return self.line.__exit__(*exc)

    def update(self, n):
        self.line.advance(n)


def progress_bar(label: str, length: int, enabled: bool = True):
    """A progress line on stderr when it is a terminal (and `enabled`; HARVESTER_PROGRESS=0/1 overrides);
    a silent stand-in otherwise."""
    from harvester.progress import wanted

    if enabled and length and wanted():
        return _LineProgress(label, length)
    return _NoProgress()


def no_progress(label: str, length: int) -> _NoProgress:
    return _NoProgress()
