"""A report's tables as text, every cell with where it was read, and its checks (``harvester show``).

    render(parsed, header={...}, cells="apply.new.*")

One line per cell: id, value, the raw text, the reader (model.READERS) and the location (PDF page,
grid table/row/column, text line); under a row, the text it was read from (a text line, glued
digits) and, when glued digits had several readings, those readings. Then the checks: a count per
status and every check that did not pass, with its detail (the cells and the arithmetic).
"""
from __future__ import annotations

from collections import Counter
from fnmatch import fnmatchcase
from functools import lru_cache

from .model import PASS, Cell, ParsedReport

TABLES = (("active.", "table 二 主动公开 (t2)"), ("apply.", "table 三 收到和处理申请 (t3)"),
          ("appeal.", "table 四 行政复议、行政诉讼 (t4)"), ("pre2019.", "pre-2019 statistics table"))
STATUS_ORDER = ("FAIL", "AMBIGUOUS", "NOT_ASSESSABLE", "PASS")
_SHOWN_READINGS = 5


@lru_cache(maxsize=1)
def _order() -> dict[str, int]:
    from .schema import all_cell_ids
    return {cid: i for i, cid in enumerate(all_cell_ids())}


def _value(cell: Cell) -> str:
    v = cell.value
    if v is None:
        return "·"
    text = str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
    return text + (f" {cell.unit}" if cell.unit else "")


def where(cell: Cell) -> str:
    """'p.4 line 31 #7', 'table 2 row 5 col 4', '' when the cell was not read."""
    src = cell.source
    if src is None:
        return ""
    parts = []
    if cell.page is not None:
        parts.append(f"p.{cell.page}")
    if src.table is not None:
        parts.append(f"table {src.table} row {src.row} col {cell.col}")
    else:
        line = cell.line if cell.line is not None else src.line
        if line is not None:
            parts.append(f"line {line}")
        if cell.col is not None:
            parts.append(f"#{cell.col}")
    return " ".join(parts)


def render(rep: ParsedReport, *, header: dict | None = None, cells: str | None = None,
           show_empty: bool = True) -> str:
    """The report as text. ``header``: extra lines' data (report id, document URL/type); ``cells``: only
    the ids matching this glob; ``show_empty``: also the cells with no value and no location."""
    h = header or {}
    out = [" · ".join(str(x) for x in (
        f"{rep.agency or '?'} {rep.year or '?'}", rep.report_format or "format ?", rep.status,
        f"report {h['report_id']}" if h.get("report_id") is not None else None) if x)]
    if rep.title:
        out.append(f"title: {rep.title}")
    doc = h.get("document_url")
    sha = rep.document_sha256 or h.get("document_sha256")
    if doc or sha:
        kind = f" ({h['document_type']})" if h.get("document_type") else ""
        out.append(f"document: {doc or '(local file)'}{kind}" + (f" sha256 {sha}" if sha else ""))
    rd = h.get("read") or {}
    if rd.get("read_status") and rd["read_status"] != "ok":     # the sandbox could not read it to the end
        out.append(f"read: {rd['read_status']} after {rd.get('read_seconds') or 0:g} s, peak "
                   f"{rd.get('read_peak_mib') or 0:g} MiB — {rd.get('read_detail') or ''}")
    read = sum(1 for c in rep.cells.values() if c.value is not None and not c.imputed)
    imputed = sum(1 for c in rep.cells.values() if c.imputed)
    statuses = Counter(c.status for c in rep.checks)
    out.append(f"cells: {len(rep.cells)} ({read} read, {imputed} imputed, {len(rep.cells) - read - imputed} empty) · "
               "checks: " + (", ".join(f"{statuses[s]} {s}" for s in STATUS_ORDER if statuses[s]) or "none"))
    for problem in rep.problems:
        out.append(f"problem: {problem}")
    order = _order()
    chosen = {cid: rep.cells[cid] for cid in sorted(rep.cells, key=lambda c: (order.get(c, len(order)), c))
              if (cells is None or fnmatchcase(cid, cells))
              and (show_empty or rep.cells[cid].value is not None or rep.cells[cid].source)}
    width = max([len(c) for c in chosen] + [20])
    for prefix, name in TABLES:
        ids = [cid for cid in chosen if cid.startswith(prefix)]
        if not ids:
            continue
        out += ["", name, f"  {'cell':{width}}  {'value':>10}  {'raw':10}  {'reader':13}  {'where':26}  flags"]
        last_text = last_readings = None
        for cid in ids:
            cell = chosen[cid]
            src = cell.source
            if src is not None and src.text and src.text != last_text:     # once per row read
                out.append(f"  ↳ {src.text.replace(chr(9), ' | ')}")
            if src is not None and src.candidates and src.candidates != last_readings:
                shown = "; ".join("|".join(c) for c in src.candidates[:_SHOWN_READINGS])
                more = src.readings - min(len(src.candidates), _SHOWN_READINGS)
                out.append(f"  ↳ {src.readings} readings: {shown}" + (f"; … {more} more" if more > 0 else ""))
            last_text = src.text if src is not None else None
            last_readings = src.candidates if src is not None else None
            flags = ",".join(cell.flags)
            reader = cell.source.reader if cell.source else ""
            raw = cell.raw if cell.raw else ("(blank)" if "blank" in cell.flags else "")
            out.append(f"  {cid:{width}}  {_value(cell):>10}  {raw:10}  {reader:13}  {where(cell):26}  {flags}".rstrip())
    shown_checks = [c for c in rep.checks if c.status != PASS
                    and (cells is None or not c.cells or any(x in chosen for x in c.cells))]
    if shown_checks:
        out += ["", "checks that did not pass" + (" (on these cells)" if cells else "")]
        for c in sorted(shown_checks, key=lambda c: (STATUS_ORDER.index(c.status) if c.status in STATUS_ORDER else 9, c.id)):
            out.append(f"  {c.status} {c.id}: {c.detail}")
    return "\n".join(out)
