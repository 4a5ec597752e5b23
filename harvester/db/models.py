"""SQLAlchemy 2.x models of the research database.

The schema is created and changed only by the Alembic migrations in ``migrations/``; these
models mirror them (a test compares the two). Conventions:

* times are UTC (``UTCDateTime`` returns timezone-aware values on SQLite and PostgreSQL);
* division names (province/city/county) are ``''`` rather than NULL where they take part in a
  unique key, because NULLs never collide in a unique constraint;
* nothing harvested is deleted: revised documents go to ``report_versions``, withdrawn reports
  get ``withdrawn_at``/``withdrawn_reason``.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON, BigInteger, Boolean, Date, DateTime, Double, ForeignKey, Index, Integer, MetaData, Numeric, String, Text,
    TypeDecorator, UniqueConstraint, false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# a report's figure: double precision; NUMERIC on SQLite, so that a whole number is stored (and shown by Datasette,
# and written by its CSV) as the integer it is — 1615, never 1615.0 (migration 0011)
FIGURE = Double().with_variant(Numeric(asdecimal=False), "sqlite")


class UTCDateTime(TypeDecorator):
    """DateTime stored as UTC; naive input is taken as UTC; output is always tz-aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        value = value.astimezone(dt.timezone.utc)
        if dialect.name == "sqlite":
            value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


JSONType = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Site(Base):
    """A portal from the registry (data/sites.csv)."""

    __tablename__ = "sites"

    site_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text, default="", server_default="")
    province: Mapped[str] = mapped_column(Text, default="", server_default="")
    city: Mapped[str] = mapped_column(Text, default="", server_default="")
    county: Mapped[str] = mapped_column(Text, default="", server_default="")
    start_url: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str | None] = mapped_column(Text)
    division_code: Mapped[str | None] = mapped_column(String(12))     # GB/T 2260, when known
    extra: Mapped[dict | None] = mapped_column(JSONType)              # other registry columns
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Agency(Base):
    """A publishing agency, identified by normalised name within its division."""

    __tablename__ = "agencies"
    __table_args__ = (UniqueConstraint("norm_name", "province", "city", "county"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)                            # as first published
    norm_name: Mapped[str] = mapped_column(Text)
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.site_id"), index=True)
    province: Mapped[str] = mapped_column(Text, default="", server_default="")
    city: Mapped[str] = mapped_column(Text, default="", server_default="")
    county: Mapped[str] = mapped_column(Text, default="", server_default="")
    division_code: Mapped[str | None] = mapped_column(String(12))
    agency_key: Mapped[str | None] = mapped_column(Text, index=True)    # stable id (harvester.agencies)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(32), default="running")
    command: Mapped[str] = mapped_column(Text, default="")
    args: Mapped[dict | None] = mapped_column(JSONType)
    counts: Mapped[dict | None] = mapped_column(JSONType)
    host: Mapped[str | None] = mapped_column(Text)          # machine and process that ran it (resume: a dead
    pid: Mapped[int | None] = mapped_column(Integer)        # process's 'running' run is marked interrupted)
    job: Mapped[str | None] = mapped_column(Text)           # distributed job the worker's run belongs to


class Report(Base):
    """One annual report: an agency's report for a year (unique)."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("agency_id", "year"),
        Index("ix_reports_year", "year"),
        Index("ix_reports_document_url", "document_url"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    year: Mapped[int] = mapped_column(Integer)
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.site_id"), index=True)  # first seen on
    title: Mapped[str | None] = mapped_column(Text)
    publish_date: Mapped[dt.date | None] = mapped_column(Date)
    written_date: Mapped[dt.date | None] = mapped_column(Date)
    index_no: Mapped[str | None] = mapped_column(Text)          # 索引号
    publisher: Mapped[str | None] = mapped_column(Text)         # 发布机构
    doc_number: Mapped[str | None] = mapped_column(Text)        # 文号
    validity: Mapped[str | None] = mapped_column(Text)          # 有效性
    page_url: Mapped[str | None] = mapped_column(Text)
    document_url: Mapped[str | None] = mapped_column(Text)
    document_type: Mapped[str | None] = mapped_column(String(32))
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    report_format: Mapped[str | None] = mapped_column(String(32))
    table_formats: Mapped[dict | None] = mapped_column(JSONType)
    parse_status: Mapped[str | None] = mapped_column(String(32))
    parse_detail: Mapped[str | None] = mapped_column(Text)
    parsed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)   # last time its document changed
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    first_seen_run: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    last_seen_run: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportUrl(Base):
    """Every URL a report was seen at (role: page | document)."""

    __tablename__ = "report_urls"
    __table_args__ = (UniqueConstraint("report_id", "url"), Index("ix_report_urls_url", "url"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    first_seen_run: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportVersion(Base):
    """An earlier document of a report, kept when the report's document changed (revised)."""

    __tablename__ = "report_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    document_url: Mapped[str | None] = mapped_column(Text)
    document_sha256: Mapped[str] = mapped_column(String(64))
    document_type: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(Text)
    publish_date: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(32), default="revised")
    superseded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded_run: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))


class Document(Base):
    """A fetched URL and the archived bytes last received from it."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str | None] = mapped_column(String(32))             # sniffed from the bytes
    size: Mapped[int | None] = mapped_column(BigInteger)
    http_status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)          # HTTP date as received
    fetched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    storage_path: Mapped[str | None] = mapped_column(Text)           # relative to the archive root
    problem: Mapped[str | None] = mapped_column(Text)
    site_id: Mapped[str | None] = mapped_column(Text, index=True)     # the registry site it was fetched for
    role: Mapped[str | None] = mapped_column(String(16))             # column | page | attachment | document
    # the last read of the bytes in the sandbox (harvester/sandbox/read.py): ok, too_large, timeout,
    # memory_limit, crashed, encrypted, corrupt; why; wall seconds; the worker's peak resident memory
    read_status: Mapped[str | None] = mapped_column(String(16))
    read_detail: Mapped[str | None] = mapped_column(Text)
    read_seconds: Mapped[float | None] = mapped_column(Double)
    read_peak_mib: Mapped[float | None] = mapped_column(Double)


class SiteColumn(Base):
    """A report column (政府信息公开年报) a site's crawl reached: later runs start there, not at the home page."""

    __tablename__ = "site_columns"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id"), primary_key=True)
    url: Mapped[str] = mapped_column(Text, primary_key=True)
    first_seen_run: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    last_seen_run: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))


class SiteApi(Base):
    """A list API a report column's page calls (found by rendering it once): later runs ask it over plain HTTP.
    `key` is a hash of method, URL and body."""

    __tablename__ = "site_apis"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    column_url: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(8))
    url: Mapped[str] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict | None] = mapped_column(JSONType)
    first_seen_run: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    last_seen_run: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))


class ListedItem(Base):
    """A report item a site's columns listed (a hash of its URL and title): a nightly walk of a column stops at
    the first list page whose items are all known."""

    __tablename__ = "listed_items"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    first_seen_run: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))


class ColumnSchedule(Base):
    """A report column's revisit schedule (harvester/crawl/revisit.py): checks and changes seen, the interval in
    nights, when it is due next, and the dates it last changed (`history`)."""

    __tablename__ = "column_schedule"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id"), primary_key=True)
    url: Mapped[str] = mapped_column(Text, primary_key=True)
    checks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    changes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    interval_days: Mapped[float] = mapped_column(Double, default=1.0, server_default="1")
    next_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    history: Mapped[list | None] = mapped_column(JSONType)


class ReportSection(Base):
    __tablename__ = "report_sections"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    section_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")


class CellRow(Base):
    """One cell of a report, with where it was read (harvester.report.model: Cell, Source, READERS)."""

    __tablename__ = "cells"
    __table_args__ = (Index("ix_cells_cell_id", "cell_id"),)

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    cell_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[float | None] = mapped_column(FIGURE)
    raw: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str | None] = mapped_column(String(16))
    flags: Mapped[list | None] = mapped_column(JSONType)
    imputed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # a §7 zero
    document_sha256: Mapped[str | None] = mapped_column(String(64))   # the document it was read from
    src_reader: Mapped[str | None] = mapped_column(String(16))        # grid / text_runs / cell_per_line / glued / imputed
    src_page: Mapped[int | None] = mapped_column(Integer)             # PDF page (1-based, as every src_ number)
    src_table: Mapped[int | None] = mapped_column(Integer)            # grid: which table of the document
    src_row: Mapped[int | None] = mapped_column(Integer)              # grid row
    src_col: Mapped[int | None] = mapped_column(Integer)              # grid column / place in a text row
    src_line: Mapped[int | None] = mapped_column(Integer)             # line of the extracted text
    src_text: Mapped[str | None] = mapped_column(Text)                # the row as read (text line, glued digits)
    src_readings: Mapped[int | None] = mapped_column(Integer)         # how many readings the row had, if several
    src_candidates: Mapped[list | None] = mapped_column(JSONType)     # those readings (at most 20)


# CellRow's columns that say where a cell was read (exports and research read them in this order)
CELL_SOURCE_COLUMNS = ("document_sha256", "src_reader", "src_page", "src_table", "src_row", "src_col",
                       "src_line", "src_text", "src_readings", "src_candidates")


class CheckRow(Base):
    __tablename__ = "checks"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    check_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    cells: Mapped[list | None] = mapped_column(JSONType)
    detail: Mapped[str] = mapped_column(Text, default="")


class SiteOutcome(Base):
    __tablename__ = "site_outcomes"

    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    requests: Mapped[int] = mapped_column(Integer, default=0)
    reports_found: Mapped[int] = mapped_column(Integer, default=0)
    reports_new: Mapped[int] = mapped_column(Integer, default=0)
    reports_updated: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[dict | None] = mapped_column(JSONType)     # the crawl's raw per-site counters
    evidence: Mapped[dict | None] = mapped_column(JSONType)  # what was tried (harvester.crawl.run.SiteStats.evidence)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CrawlEvent(Base):
    """A recorded reason for every bad input (site_id is not a foreign key: events never fail)."""

    __tablename__ = "crawl_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[str | None] = mapped_column(Text, index=True)
    url: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(16), default="warning")
    kind: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RejectedRevision(Base):
    """A re-fetched document that parsed worse than the report's current one (corrupt, not a report, fewer
    filled cells, more failed checks): archived and recorded here, never made current. Open (``resolved_at``
    NULL) until a later document of the report is accepted or a person resolves it."""

    __tablename__ = "rejected_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[str | None] = mapped_column(Text, index=True)
    document_url: Mapped[str | None] = mapped_column(Text)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    document_type: Mapped[str | None] = mapped_column(String(32))
    parse_status: Mapped[str | None] = mapped_column(String(32))
    filled_cells: Mapped[int] = mapped_column(Integer, default=0)
    failed_checks: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    rejected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)


class SiteMute(Base):
    """An operator's mute of a site's alarm: why, until when (shown as muted in health, not counted)."""

    __tablename__ = "site_mutes"

    site_id: Mapped[str] = mapped_column(Text, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    until: Mapped[dt.date] = mapped_column(Date)
    muted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


SITE_OUTCOMES = (
    "ok", "unreachable", "no_report_column", "no_reports", "blocked", "robots_disallowed",
    "layout_changed", "error",
)
URL_ROLES = ("page", "document")


class WarcCapture(Base):
    """A WARC record the crawl wrote (harvester/evidence/warc.py): a response, revisit, resource or conversion record —
    the evidence of what a URL answered, when; ``warc_file`` + ``offset`` + ``length`` find it on disk."""

    __tablename__ = "warc_captures"
    __table_args__ = (
        Index("ix_warc_captures_uri", "uri"),
        Index("ix_warc_captures_body_sha256", "body_sha256"),
        Index("ix_warc_captures_payload_digest", "payload_digest"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), unique=True)    # WARC-Record-ID, <urn:uuid:…>
    request_record_id: Mapped[str | None] = mapped_column(String(64))  # its request record
    record_type: Mapped[str] = mapped_column(String(16))               # response | revisit | resource | conversion
    profile: Mapped[str | None] = mapped_column(String(16))            # revisits: not_modified | identical
    uri: Mapped[str] = mapped_column(Text)
    method: Mapped[str | None] = mapped_column(String(8))
    http_status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(Text)
    captured_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)      # WARC-Date
    warc_file: Mapped[str] = mapped_column(Text)                       # relative to the WARC directory
    offset: Mapped[int] = mapped_column(BigInteger)
    length: Mapped[int] = mapped_column(BigInteger)
    payload_digest: Mapped[str | None] = mapped_column(String(80))     # sha256:<base32>, of the bytes as sent
    body_sha256: Mapped[str | None] = mapped_column(String(64))        # hex, of the body the archive knows
    refers_to: Mapped[str | None] = mapped_column(String(64))          # revisit/conversion: the earlier record
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
