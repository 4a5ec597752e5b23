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


# ---- parser views of the schema (normalised keywords, precomputed once) ---------------------------

import re as _re
from dataclasses import dataclass as _dataclass

_ANNOTATION = _re.compile(r"\s*\((?:positional|位置).*$")


def _kw(words) -> tuple[str, ...]:
    from .normalize import nfkc, squash
    out = []
    for w in words:
        w = _ANNOTATION.sub("", nfkc(w))
        w = squash(w)
        if w and w not in out:
            out.append(w)
    return tuple(out)


@_dataclass(frozen=True)
class RowDef:
    """One row (or section, or pre-2019 figure) the parser looks for: id, keywords, exclusions."""
    id: str
    keywords: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    label: str = ""


@lru_cache(maxsize=1)
def section_defs() -> tuple[RowDef, ...]:
    return tuple(RowDef(s["id"], _kw(s.get("match", [s["canonical"]])), label=s["canonical"])
                 for s in load_schema()["sections"])


@lru_cache(maxsize=1)
def table3_row_defs() -> tuple[RowDef, ...]:
    """T3 rows of both formats in canonical order ('other' 2019 leaf before the 2021 'other.*')."""
    return tuple(RowDef(r["id"], _kw(r["match"]), formats=tuple("gov" + f for f in r["formats"]), label=r["label"])
                 for r in load_schema()["table3"]["rows"])


def table3_columns() -> tuple[str, ...]:
    return tuple(c["id"] for c in load_schema()["table3"]["columns"])


@lru_cache(maxsize=1)
def table2_row_defs() -> tuple[RowDef, ...]:
    return tuple(RowDef(r["id"], _kw(r["match"]), label=r["label"]) for r in load_schema()["table2"]["rows"])


@lru_cache(maxsize=2)
def table2_cells_by_row(fmt: str) -> dict[str, tuple[dict, ...]]:
    """{row id: (cell defs in column order)} for gov2019 / gov2021."""
    out: dict[str, list[dict]] = {}
    for c in load_schema()["table2"][fmt]:
        out.setdefault(c["id"].split(".")[1], []).append(c)
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def table2_format_markers() -> dict[str, tuple[str, ...]]:
    return {fmt: _kw(words) for fmt, words in load_schema()["table2"]["format_markers"].items()}


@lru_cache(maxsize=1)
def pre2019_defs() -> tuple[RowDef, ...]:
    return tuple(RowDef(c["id"], _kw(c["match"]), _kw(c.get("exclude", [])), label=c["label"])
                 for c in load_schema().get("pre2019", {}).get("cells", []))


@lru_cache(maxsize=4)
def detect_rule(table: str) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """(all-of keywords, any-of keywords, min any hits) that mark a table grid or region as t2/t3/t4/pre2019."""
    s = load_schema()
    d = s["pre2019"]["detect"] if table == "pre2019" else s[{"t2": "table2", "t3": "table3", "t4": "table4"}[table]]["detect"]
    return _kw(d.get("all", [])), _kw(d.get("any", [])), int(d.get("min_hits", 1))
