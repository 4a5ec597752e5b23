"""DOCX bytes -> Extracted: paragraphs and tables in body order, tables as grids with merged cells.

python-docx's ``table._cells`` (what ``row.cells`` slices) repeats a merged cell at every grid
position it covers, horizontally (gridSpan) and vertically (vMerge) — python-docx issues #344/#232,
spec D-M1. The grid keeps the repetition (the ``Extracted`` contract) and ``table_cell_ids`` records
which positions are the same ``w:tc`` element, so a reader counts each merged cell once. The text
writes each row's own cells (no horizontal repeats, vertical continuations empty) tab-separated.
Content controls (``w:sdt``) are descended into; deleted revisions and field codes are skipped.
"""
from __future__ import annotations

import io
import re
import zipfile

from .base import Extracted

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _TBL, _SDT, _SDTC, _CXML = _W + "p", _W + "tbl", _W + "sdt", _W + "sdtContent", _W + "customXml"
_T, _TAB, _BR, _CR = _W + "t", _W + "tab", _W + "br", _W + "cr"
_SPACES = re.compile(r"[ \t\xa0\u3000]+")
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


def _para_text(p) -> str:
    out = []
    for el in p.iter(_T, _TAB, _BR, _CR):
        tag = el.tag
        if tag == _T:
            if el.text:
                out.append(el.text)
        elif tag == _TAB:
            out.append("\t")
        else:
            out.append("\n")
    return "".join(out)


def _cell_text(tc) -> str:
    parts = [_para_text(p) for p in tc.iterchildren(_P)]
    s = _SPACES.sub(" ", " ".join(x for x in parts if x.strip()).replace("\n", " ")).strip()
    return _CJK_GAP.sub("", s)


def _blocks(parent):
    for child in parent.iterchildren():
        tag = child.tag
        if tag in (_P, _TBL):
            yield child
        elif tag == _SDT:
            content = child.find(_SDTC)
            if content is not None:
                yield from _blocks(content)
        elif tag == _CXML:
            yield from _blocks(child)


def _grid(table) -> tuple[list[list[str]], list[list[int]], list[str]]:
    """(expanded grid, source-cell ids, TSV lines) of a python-docx Table."""
    keep: list = []              # keeps the proxies alive so id() stays unique
    index: dict[int, int] = {}
    rows_tc: list[list] = []
    try:
        cells = table._cells     # one _Cell per grid position, merged cells repeated
        ncols = len(table.columns)
        if ncols and len(cells) % ncols == 0:
            rows_tc = [[c._tc for c in cells[i:i + ncols]] for i in range(0, len(cells), ncols)]
    except Exception:
        rows_tc = []
    if not rows_tc:
        rows_tc = [[c._tc for c in row.cells] for row in table.rows]
    grid: list[list[str]] = []
    ids: list[list[int]] = []
    lines: list[str] = []
    texts: dict[int, str] = {}
    prev: list[int] = []
    for tcs in rows_tc:
        row_ids = []
        for tc in tcs:
            k = id(tc)
            if k not in index:
                index[k] = len(keep)
                keep.append(tc)
                texts[index[k]] = _cell_text(tc)
            row_ids.append(index[k])
        own = []
        last = None
        for c, i in enumerate(row_ids):
            if i == last:
                continue
            last = i
            own.append("" if c < len(prev) and prev[c] == i else texts[i])
        grid.append([texts[i] for i in row_ids])
        ids.append(row_ids)
        lines.append("\t".join(own))
        prev = row_ids
    return grid, ids, lines


def extract_docx(data: bytes) -> Extracted:
    try:
        import docx
        from docx.table import Table
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        return Extracted(kind="docx", problem="corrupt", detail=f"not a readable DOCX: {type(exc).__name__}: {exc}"[:300])
    except Exception as exc:  # python-docx raises assorted errors on broken packages
        return Extracted(kind="docx", problem="corrupt", detail=f"{type(exc).__name__}: {exc}"[:300])
    body = document.element.body
    lines: list[str] = []
    tables, ids = [], []
    for block in _blocks(body):
        if block.tag == _P:
            t = _para_text(block)
            for ln in t.split("\n"):
                s = _CJK_GAP.sub("", _SPACES.sub(" ", ln)).strip()
                if s:
                    lines.append(s)
        else:
            grid, idg, tsv = _grid(Table(block, document))
            if grid:
                tables.append(grid)
                ids.append(idg)
                lines.extend(ln for ln in tsv if ln.strip())
    text = "\n".join(lines)
    meta: dict = {}
    try:
        from .metadata import meta_from_text
        meta = meta_from_text(text)
    except ImportError:  # pragma: no cover
        pass
    try:
        cp = document.core_properties
        if cp.title and "title" not in meta:
            meta["doc_title"] = cp.title.strip()
    except Exception:  # pragma: no cover - optional metadata
        pass
    ex = Extracted(kind="docx", text=text, tables=tables, meta=meta, table_cell_ids=ids)
    if not text.strip() and not tables:
        has_images = any(n.startswith("word/media/") for n in zipfile.ZipFile(io.BytesIO(data)).namelist())
        ex.problem = "image_only" if has_images else "empty"
        ex.detail = "the document holds images only" if has_images else "the document has no text"
    return ex
