"""Options shared by the commands of every CLI module."""
from __future__ import annotations

import os
import sys

import click

from harvester import settings as defaults

DB_HELP = "Database URL: sqlite:///path.db or postgresql://user@host/db (env HARVESTER_DB)."
db_option = click.option("--db", "db_url", default=lambda: os.environ.get("HARVESTER_DB", defaults.HARVESTER_DB),
                         show_default="sqlite:///data/harvester.db", help=DB_HELP)


class _NoProgress:
    """What `progress_bar` gives when no bar is drawn: the same context manager, doing nothing."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


def progress_bar(label: str, length: int, enabled: bool = True):
    """A progress bar on stderr when it is a terminal (and `enabled`); a silent stand-in otherwise."""
    if enabled and length and sys.stderr.isatty():
        return click.progressbar(length=length, label=label, file=sys.stderr)
    return _NoProgress()


def no_progress(label: str, length: int) -> _NoProgress:
    return _NoProgress()
