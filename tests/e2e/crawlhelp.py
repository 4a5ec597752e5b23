"""Helpers for end-to-end crawls: the real `harvester` command in a subprocess (a Twisted reactor
cannot restart in one process) against the simulated portals served on loopback."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    e = {**os.environ, "HARVESTER_DOWNLOAD_DELAY": "0", "HARVESTER_PER_DOMAIN": "8", **(env or {})}
    e.pop("HARVESTER_DB", None)
    return subprocess.run([sys.executable, "-m", "harvester.cli", *map(str, args)], cwd=ROOT, env=e,
                          capture_output=True, text=True, timeout=timeout)


def query(db_url: str, sql: str, **params) -> list[tuple]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def snapshot(db_url: str) -> dict:
    """Row counts and content fingerprints of every table a crawl writes."""
    out = {}
    for table in ("agencies", "reports", "report_urls", "documents", "cells", "checks", "report_sections",
                  "report_versions"):
        out[table] = query(db_url, f"SELECT COUNT(*) FROM {table}")[0][0]
    out["report_keys"] = sorted(query(db_url, "SELECT a.name, r.year, r.parse_status, r.document_sha256 "
                                              "FROM reports r JOIN agencies a ON a.id = r.agency_id"))
    return out

