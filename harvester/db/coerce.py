"""Value coercion shared by the Store's parts: agency-name keys, dates, stripped text, stored numbers."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from harvester.agencies import normalize_agency_name

_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def normalize_name(name: str) -> str:
    """Agency-name key (``harvester.agencies.normalize_agency_name``): NFKC, zero-width characters and
    all whitespace (incl. U+3000) removed, parenthesised aliases dropped, XX县政府 ≡ XX县人民政府."""
    return normalize_agency_name(name)


def coerce_date(value: Any) -> dt.date | None:
    """date/datetime, 'YYYY-MM-DD', 'YYYY/M/D', 'YYYY年M月D日' → date; None/'' → None; else ValueError."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    m = _DATE_RE.search(text)
    if not m:
        raise ValueError(f"not a date: {value!r}")
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))  # ValueError when impossible


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _number(value: float | None) -> float | int | None:
    """Stored doubles back as ints when integral (counts), floats otherwise."""
    if value is None:
        return None
    f = float(value)
    return int(f) if f.is_integer() and abs(f) < 2**53 else f
