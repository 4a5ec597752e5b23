"""Per-province CSV export: ``reports_<2-digit GB/T 2260 code>.csv``, UTF-8 with BOM (opens in Excel).

One row per report, sorted by (agency, year) — compared as Unicode strings in Python, so the order
is the same on SQLite and PostgreSQL whatever the database collation. Columns: ``EXPORT_COLUMNS``
then one per cell id of ``all_cell_ids()``. Null cells are empty; numbers are written as numbers
(``-18`` stays ``-18``); text starting with ``= + - @``, tab or CR (or their full-width forms) gets a
leading ``'`` so spreadsheets do not evaluate it. Reports whose province is unknown go to
``reports_00.csv`` with a warning.
"""
from __future__ import annotations

import csv
import datetime as dt
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

from harvester.divisions import UNKNOWN_CODE, province_code
from harvester.report.schema import all_cell_ids

log = logging.getLogger(__name__)

EXPORT_COLUMNS = (
    "province", "city", "county", "agency", "year", "report_format", "title", "publish_date",
    "index_no", "publisher", "url", "document_url", "parse_status", "failed_checks",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_BATCH = 500


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe; numbers pass."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def format_number(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    f = float(value)
    if f.is_integer() and abs(f) < 2**53:
        return str(int(f))
    return repr(f)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(neutralise(str(value)))


def export_reports(store_or_url, out_dir, *, province: str | None = None) -> list[Path]:
    """Write one CSV per province into ``out_dir``; return the paths written (sorted by code).

    ``store_or_url``: a ``harvester.db.Store`` or a database URL (None = the default database).
    ``province``: only this province (name, short name or code); its file is written even when
    it has no reports (header only). An unrecognised ``province`` raises ValueError.
    """
    from harvester.db import Store

    wanted = None
    if province is not None:
        wanted = UNKNOWN_CODE if str(province).strip() == UNKNOWN_CODE else province_code(province)
        if wanted is None:
            raise ValueError(f"unknown province {province!r}")

    own = not isinstance(store_or_url, Store)
    store = Store(store_or_url) if own else store_or_url
    try:
        groups: dict[str, list[dict]] = defaultdict(list)
        unknown: dict[str, int] = defaultdict(int)
        for row in store.report_rows():
            code = province_code(row["province"])
            if code is None:
                code = UNKNOWN_CODE
                unknown[row["province"] or ""] += 1
            if wanted is None or code == wanted:
                groups[code].append(row)
        if wanted is not None:
            groups.setdefault(wanted, [])
        for name, n in sorted(unknown.items()):
            if wanted in (None, UNKNOWN_CODE):
                log.warning("province %r is not a known province: %d report(s) written to reports_%s.csv",
                            name, n, UNKNOWN_CODE)

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        cell_ids = all_cell_ids()
        paths = []
        for code in sorted(groups):
            rows = sorted(groups[code], key=lambda r: (
                r["agency"] or "", r["year"], r["city"] or "", r["county"] or "", r["id"]))
            path = out / f"reports_{code}.csv"
            tmp = path.with_name(path.name + ".tmp")
            with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow([*EXPORT_COLUMNS, *cell_ids])
                for i in range(0, len(rows), _BATCH):
                    batch = rows[i:i + _BATCH]
                    ids = [r["id"] for r in batch]
                    values = store.cell_values(ids)
                    failed = store.failed_checks(ids)
                    for r in batch:
                        cells = values.get(r["id"], {})
                        writer.writerow([
                            _text(r["province"]), _text(r["city"]), _text(r["county"]), _text(r["agency"]),
                            format_number(r["year"]), _text(r["report_format"]), _text(r["title"]),
                            _text(r["publish_date"]), _text(r["index_no"]), _text(r["publisher"]),
                            _text(r["page_url"]), _text(r["document_url"]), _text(r["parse_status"]),
                            _text(";".join(failed.get(r["id"], []))),
                            *(format_number(cells.get(cid)) for cid in cell_ids),
                        ])
            tmp.replace(path)
            paths.append(path)
        return paths
    finally:
        if own:
            store.close()
