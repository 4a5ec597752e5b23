"""The readers' settings, read at call time: the environment variable if set, else harvester.settings, else the
default here — so a test, the CLI or a sandboxed worker (its own HARVESTER_* environment) can change them."""
from __future__ import annotations

import os

_DEFAULTS = {
    "HARVESTER_ZIP_MAX_TOTAL": 200 * 1024 * 1024,
    "HARVESTER_ZIP_MAX_RATIO": 200.0,
    "HARVESTER_ZIP_RATIO_FLOOR": 1024 * 1024,
    "HARVESTER_ZIP_MAX_MEMBERS": 10000,
    "HARVESTER_CONVERTER_TIMEOUT": 120.0,
    "HARVESTER_OCR_MAX_PAGES": 30,
    "HARVESTER_MAX_DOCUMENT_BYTES": 50 * 1024 * 1024,
}


def setting(name: str, default=None):
    """A harvester setting: the environment variable if set, else harvester.settings, else default."""
    fallback = _DEFAULTS.get(name, default)
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        try:
            from harvester import settings as _s
            return getattr(_s, name, fallback)
        except Exception:  # pragma: no cover - settings always import
            return fallback
    if isinstance(fallback, bool) or name == "HARVESTER_OCR":
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(fallback, int) and not isinstance(fallback, bool):
        try:
            return int(float(raw))
        except ValueError:
            return fallback
    if isinstance(fallback, float):
        try:
            return float(raw)
        except ValueError:
            return fallback
    return raw
