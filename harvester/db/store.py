"""The storage API used by the Scrapy pipelines, the CLI and ``reparse``.

One ``Store`` per process. Every public method is one transaction (SQLite write transactions
start with ``BEGIN IMMEDIATE`` so concurrent writers wait on ``busy_timeout`` instead of failing),
so methods are safe to call from several threads. Upserts use the dialect's
``INSERT … ON CONFLICT`` with ``RETURNING`` on both SQLite and PostgreSQL (psycopg 3 reports
``rowcount == -1`` for them, so row counts are never used).

Nothing harvested is deleted: a report whose document changes keeps the earlier document in
``report_versions``; ``report_urls`` only accumulate; ``None`` in ``upsert_report(fields=…)`` means
"not known this time" and never erases a stored value.

The ``Store`` class is composed of one part per concern (each its own module of ``harvester.db``):
``base`` (engine, archive, transactions), ``sites`` (registry), ``reports`` (agencies, reports),
``parses`` (cells, checks, sections), ``runs`` (runs, outcomes, events, incremental-crawl memory),
``documents`` (documents, WARC captures, evidence) and ``operators`` (rejected revisions, mutes).
"""
from __future__ import annotations

from harvester.archive import Archive  # noqa: F401 - the plain store WarcArchive extends

from .base import StoreBase
from .coerce import _number, _text, coerce_date, normalize_name  # noqa: F401 - importable from here
from .documents import DocumentStore
from .operators import OperatorStore
from .parses import CARRY_CHAIN_CHECK_ID, ParseStore, _as_checks, _cell_of, _cell_row  # noqa: F401
from .reports import _DATE_FIELDS, REPORT_FIELDS, ReportStore  # noqa: F401
from .runs import EVENT_LEVELS, OUTCOME_STATS, RunStore, _process_alive  # noqa: F401
from .sites import _SITE_ALIASES, SITE_FIELDS, SiteStore  # noqa: F401


class Store(SiteStore, ReportStore, ParseStore, RunStore, DocumentStore, OperatorStore,
            StoreBase):
    """Research database + raw-document archive.

    ``Store(url)`` — ``url`` None → ``$HARVESTER_DB`` → ``sqlite:///data/harvester.db``.
    ``archive_root`` None → ``$HARVESTER_ARCHIVE`` → ``archive/`` next to the SQLite file →
    ``data/archive`` (for PostgreSQL and in-memory SQLite). Migrations run on open.
    """
