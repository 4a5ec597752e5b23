"""XLSX (openpyxl) and XLS (xlrd) -> Extracted: every sheet's tables as grids with merged cells.

A sheet is cut into blocks at empty rows. In a block, the leading rows that hold a single value (a
title such as ``三、收到和处理政府信息公开申请情况`` merged across the sheet) and trailing ones are
text lines; the rest is a table: a grid over the block's columns with every merged range repeated at
each position it covers (``table_cell_ids`` tells which positions are one cell). The text has the
sheet name, the title lines and each table row's own cells tab-separated (horizontal repeats
dropped, vertical continuations empty), like the DOCX reader.

Values: numbers without a needless ``.0`` (``12.0`` → ``12``, ``104470.22`` stays), dates ISO,
formulas by their cached value (``data_only``). A workbook with more than ``MAX_CELLS`` cells is
refused (``too_large``) before its grids are built. Encrypted workbooks (an OLE EncryptedPackage for
XLSX, a FILEPASS record for XLS) are reported as ``encrypted``.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

from . import budget
from .base import Extracted
from .metadata import meta_from_text

MAX_CELLS = 2_000_000
_SPACES = re.compile(r"[ \t\xa0\u3000]+")
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


def value_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return ""
        if v == int(v) and abs(v) < 1e15:
            return str(int(v))
        return repr(round(v, 10)).rstrip("0").rstrip(".") if "e" not in repr(v) else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    s = str(v).replace("\r\n", "\n").replace("\r", "\n")
    return _CJK_GAP.sub("", _SPACES.sub(" ", s.replace("\n", " "))).strip()


class Sheet:
    """A sheet as plain data: name, cell texts by (row, col) (0-based), merged ranges (r0, c0, r1, c1) inclusive."""

    def __init__(self, name: str, cells: dict[tuple[int, int], str], merged: list[tuple[int, int, int, int]]):
        self.name, self.cells, self.merged = name, cells, merged


def _blocks(sheet: Sheet):
    """(lines, tables, ids) of one sheet."""
    if not sheet.cells:
        return [], [], []
    owner: dict[tuple[int, int], tuple[int, int]] = {}   # covered position -> top-left of its merge
    budget.check("HARVESTER_MAX_MERGED_CELLS", sum((r1 - r0 + 1) * (c1 - c0 + 1) for r0, c0, r1, c1 in sheet.merged),
                 f"cells under the merged ranges of sheet {sheet.name!r}")
    for r0, c0, r1, c1 in sheet.merged:
        if (r1 - r0 + 1) * (c1 - c0 + 1) > MAX_CELLS:
            raise ValueError(f"merged range {r0},{c0}:{r1},{c1} too large")
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                owner[(r, c)] = (r0, c0)
    used = set(k for k, v in sheet.cells.items() if v) | set(owner)
    if not used:
        return [], [], []
    rows = sorted({r for r, _ in used})
    # blocks of consecutive non-empty rows
    groups: list[list[int]] = []
    for r in rows:
        if groups and r == groups[-1][-1] + 1:
            groups[-1].append(r)
        else:
            groups.append([r])
    lines: list[str] = []
    tables, ids = [], []

    def text_at(r, c):
        return sheet.cells.get(owner.get((r, c), (r, c)), "")

    def distinct(r, cols):
        seen, out = set(), []
        for c in cols:
            key = owner.get((r, c), (r, c))
            t = sheet.cells.get(key, "")
            if t and key not in seen:
                seen.add(key)
                out.append(t)
        return out

    for g in groups:
        cols = sorted({c for r, c in used if g[0] <= r <= g[-1]})
        cols = list(range(cols[0], cols[-1] + 1))
        head = 0
        while head < len(g) and len(distinct(g[head], cols)) <= 1:
            head += 1
        tail = len(g)
        while tail > head and len(distinct(g[tail - 1], cols)) <= 1:
            tail -= 1
        for r in g[:head]:
            lines.extend(distinct(r, cols))
        body = g[head:tail]
        if body:
            grid, idg = [], []
            index: dict[tuple[int, int], int] = {}
            for r in body:
                row, rid, own = [], [], []
                prev_key = None
                for c in cols:
                    key = owner.get((r, c), (r, c))
                    if key not in index:
                        index[key] = len(index)
                    row.append(text_at(r, c))
                    rid.append(index[key])
                    if key == prev_key:
                        continue
                    prev_key = key
                    own.append("" if key[0] < r else sheet.cells.get(key, ""))
                while own and not own[-1]:
                    own.pop()
                grid.append(row)
                idg.append(rid)
                if own:
                    lines.append("\t".join(own))
            tables.append(grid)
            ids.append(idg)
        for r in g[tail:]:
            lines.extend(distinct(r, cols))
    return lines, tables, ids


def from_sheets(kind: str, sheets: list[Sheet], meta: dict | None = None) -> Extracted:
    lines: list[str] = []
    tables, ids = [], []
    for sh in sheets:
        ls, ts, ids_ = _blocks(sh)
        if not ls and not ts:
            continue
        lines.extend(ls)
        tables.extend(ts)
        ids.extend(ids_)
    text = "\n".join(lines)
    m = dict(meta or {})
    m["sheets"] = [s.name for s in sheets]
    m.update({k: v for k, v in meta_from_text(text).items() if k not in m})
    ex = Extracted(kind=kind, text=text, tables=tables, meta=m, table_cell_ids=ids)
    if not text.strip() and not tables:
        ex.problem, ex.detail = "empty", f"no values in {len(sheets)} sheet(s)"
    return ex


_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Za-z]{1,3})(\d{1,7}):([A-Za-z]{1,3})(\d{1,7})"')


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def xlsx_budget(data: bytes) -> None:
    """Sheets and merged ranges read from the package's XML before openpyxl sees it (openpyxl makes an
    object for every cell a merged range covers: one range over a whole sheet is 17 billion)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheets = [n for n in zf.namelist() if n.lower().lstrip("/").startswith("xl/worksheets/") and n.lower().endswith(".xml")]
        budget.check("HARVESTER_MAX_SHEETS", len(sheets), "XLSX sheets")
        merged = 0
        for name in sheets:
            with zf.open(name) as fh:
                tail = b""
                while True:                               # streamed: a sheet part is never held whole
                    block = fh.read(1 << 20)
                    buf = tail + block
                    cut = buf.rfind(b"<") if block else len(buf)
                    cut = cut if cut > 0 else len(buf)
                    for m in _MERGE_RE.finditer(buf, 0, cut):
                        r0, r1 = int(m.group(2)), int(m.group(4))
                        c0, c1 = _col(m.group(1)), _col(m.group(3))
                        merged += (abs(r1 - r0) + 1) * (abs(c1 - c0) + 1)
                        budget.check("HARVESTER_MAX_MERGED_CELLS", merged, "XLSX cells under merged ranges")
                    tail = buf[cut:]
                    if not block:
                        break


def extract_xlsx(data: bytes) -> Extracted:
    try:
        xlsx_budget(data)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        return Extracted(kind="xlsx", problem="corrupt", detail=f"not a readable XLSX: {type(exc).__name__}: {exc}"[:500])
    try:
        import openpyxl
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    except MemoryError:
        raise
    except Exception as exc:
        return Extracted(kind="xlsx", problem="corrupt", detail=f"not a readable XLSX: {type(exc).__name__}: {exc}"[:500])
    try:
        sheets = []
        total = 0
        for ws in wb.worksheets:
            cells = {}
            for (r, c), cell in ws._cells.items():   # only the cells that exist (no dimension blow-up)
                t = value_text(cell.value)
                if t:
                    cells[(r - 1, c - 1)] = t
            total += len(ws._cells)
            if total > MAX_CELLS:
                return Extracted(kind="xlsx", problem="too_large", detail=f"more than {MAX_CELLS} cells")
            merged = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
            sheets.append(Sheet(ws.title, cells, merged))
        meta = {}
        props = wb.properties
        if props is not None and props.title:
            meta["doc_title"] = props.title.strip()
        return from_sheets("xlsx", sheets, meta)
    finally:
        wb.close()


def extract_xls(data: bytes) -> Extracted:
    try:
        import xlrd
    except ImportError:  # pragma: no cover
        return Extracted(kind="xls", problem="unsupported_type", detail="xlrd is not installed")
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True,
                                  logfile=io.StringIO())
    except Exception as exc:
        msg = f"{type(exc).__name__}: {exc}"
        if "encrypted" in msg.lower():
            return Extracted(kind="xls", problem="encrypted", detail="the workbook is password-protected (FILEPASS)")
        if "formatting_info" in msg or "not supported" in msg.lower():
            try:
                book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
            except Exception as exc2:
                return Extracted(kind="xls", problem="corrupt", detail=f"not a readable XLS: {exc2}"[:500])
        else:
            return Extracted(kind="xls", problem="corrupt", detail=f"not a readable XLS: {msg}"[:500])
    budget.check("HARVESTER_MAX_SHEETS", book.nsheets, "XLS sheets")
    try:
        sheets = []
        total = 0
        for i in range(book.nsheets):
            sh = book.sheet_by_index(i)
            total += sh.nrows * sh.ncols
            if total > MAX_CELLS:
                return Extracted(kind="xls", problem="too_large", detail=f"more than {MAX_CELLS} cells")
            cells = {}
            for r in range(sh.nrows):
                for c, cell in enumerate(sh.row(r)):
                    v = cell.value
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        try:
                            v = xlrd.xldate.xldate_as_datetime(v, book.datemode)
                        except Exception:
                            pass
                    elif cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        v = None
                    elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                        v = bool(v)
                    t = value_text(v)
                    if t:
                        cells[(r, c)] = t
            merged = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in getattr(sh, "merged_cells", [])]
            sheets.append(Sheet(sh.name, cells, merged))
            book.unload_sheet(i)
        return from_sheets("xls", sheets)
    finally:
        book.release_resources()
