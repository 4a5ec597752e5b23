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



def fault_tally(injected, counts: dict) -> tuple[dict, dict]:
    """(what the crawl counted, what the portal injected) per chaos fault kind, from a run's counts
    (crawl_runs.counts) and ``chaos.counts`` summed over the sites. How the crawl sees each kind:
      503            a backoff (Retry-After waited out), then served
      reset          DownloadFailedError (Twisted's pool does not retry it behind Scrapy's back), retried
      stall, drip    DownloadTimeoutError (HARVESTER_DOWNLOAD_TIMEOUT), retried
      short          ResponseDataLossError, retried
      huge           a download cancelled over DOWNLOAD_MAXSIZE (size_cancelled), recorded too_large, refetched
      gzip_bomb      inflated past DOWNLOAD_MAXSIZE (decompressed_too_large), recorded too_large, refetched
      redirect_loop  REDIRECT_MAX_TIMES reached (redirect_max_reached), recorded redirect_loop, refetched"""
    from collections import Counter

    faults = counts.get("faults") or {}
    exc = Counter({k.split(":", 1)[1]: v for k, v in faults.items() if k.startswith("exception:")})
    counted = {"503": counts.get("backoffs") or 0, "reset": exc["DownloadFailedError"],
               "stall+drip": exc["DownloadTimeoutError"], "short": exc["ResponseDataLossError"],
               "huge": faults.get("size_cancelled", 0), "gzip_bomb": faults.get("decompressed_too_large", 0),
               "redirect_loop": faults.get("redirect_max_reached", 0)}
    want = {"503": injected["503"], "reset": injected["reset"], "stall+drip": injected["stall"] + injected["drip"],
            "short": injected["short"], "huge": injected["huge"], "gzip_bomb": injected["gzip_bomb"],
            "redirect_loop": injected["redirect_loop"]}
    return counted, want
