"""The report format as data: cell ids, labels and match keywords from report-format.json.

The JSON is a copy of the project's format specification; every other module (parser, database,
exports) takes cell ids from here, never from hand-written lists.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("report-format.json")


@lru_cache(maxsize=1)
def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def table3_cell_ids(fmt: str) -> list[str]:
    """apply.<row>.<col> ids of the printed rows of table 三 in format gov2019 or gov2021."""
    s = load_schema()["table3"]
    year = {"gov2019": "2019", "gov2021": "2021"}[fmt]
    cols = [c["id"] for c in s["columns"]]
    return [f"apply.{r['id']}.{c}" for r in s["rows"] if year in r["formats"] for c in cols]


def table2_cell_ids(fmt: str) -> list[str]:
    return [c["id"] for c in load_schema()["table2"][fmt]]


def table4_cell_ids() -> list[str]:
    return [c["id"] for c in sorted(load_schema()["table4"]["cells"], key=lambda c: c["position"])]


def format_cell_ids(fmt: str) -> list[str]:
    """Every cell id a report of this format carries (200 for gov2021, 198 for gov2019)."""
    if fmt == "pre2019":
        return [c["id"] for c in load_schema().get("pre2019", {}).get("cells", [])]
    return table2_cell_ids(fmt) + table3_cell_ids(fmt) + table4_cell_ids()


@lru_cache(maxsize=1)
def all_cell_ids() -> tuple[str, ...]:
    """Union of the cell ids of every format, in a stable order (exports use one column each)."""
    seen: dict[str, None] = {}
    for fmt in ("gov2021", "gov2019", "pre2019"):
        for cid in format_cell_ids(fmt):
            seen.setdefault(cid, None)
    return tuple(seen)
