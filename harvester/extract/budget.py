"""Budgets checked before a reader allocates: pages, page area, pixels, spans, grid size, merged ranges,
ZIP members, PDF streams, nesting depth, text length.

Each budget is a named setting (``harvester/settings.py``, overridable by the environment variable of
the same name at call time). A reader that meets a value over its budget raises ``BudgetExceeded``;
``extract()`` turns it into ``problem="too_large"`` with the setting's name, the value and the limit
in the detail — never a quiet truncation. The limits are far above any real report (a 2021 report is
10–40 pages, tables of at most 30 columns), so they only ever stop hostile or broken files.
"""
from __future__ import annotations

import re
import zlib

from .config import setting

_DEFAULTS = {
    "HARVESTER_MAX_PAGES": 2000,
    "HARVESTER_MAX_PAGE_AREA": 25_000_000.0,
    "HARVESTER_MAX_PIXELS": 80_000_000,
    "HARVESTER_MAX_SPAN": 1000,
    "HARVESTER_MAX_HTML_COLSPAN": 100,
    "HARVESTER_MAX_HTML_ROWSPAN": 1000,
    "HARVESTER_MAX_TABLE_COLUMNS": 2000,
    "HARVESTER_MAX_TABLE_CELLS": 1_000_000,
    "HARVESTER_MAX_MERGED_CELLS": 2_000_000,
    "HARVESTER_MAX_SHEETS": 100,
    "HARVESTER_ZIP_MAX_MEMBER": 100 * 1024 * 1024,
    "HARVESTER_ZIP_MAX_XML_MEMBER": 32 * 1024 * 1024,
    "HARVESTER_MAX_STREAM_BYTES": 400 * 1024 * 1024,
    "HARVESTER_MAX_DEPTH": 200,
    "HARVESTER_MAX_HTML_BYTES": 10 * 1024 * 1024,
    "HARVESTER_MAX_TEXT_CHARS": 20_000_000,
}


class BudgetExceeded(Exception):
    """A document asks for more than a budget allows."""

    def __init__(self, name: str, value, limit, what: str = ""):
        self.name, self.value, self.limit = name, value, limit
        shown = "endless" if value == float("inf") else f"{value:,}"
        super().__init__(f"{what or name}: {shown} over the limit of {limit:,} ({name})")


def limit(name: str):
    value = setting(name, _DEFAULTS.get(name))
    return float(value) if isinstance(_DEFAULTS.get(name), float) else int(value)


def check(name: str, value, what: str = "") -> None:
    """Raise BudgetExceeded when ``value`` is over the budget ``name`` (0 turns a budget off)."""
    lim = limit(name)
    if lim and value > lim:
        raise BudgetExceeded(name, value, lim, what)


def _span_count(value) -> int:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    return n if n >= 1 else 1


def span(value, what: str, name: str = "HARVESTER_MAX_SPAN") -> int:
    """A span count (gridSpan, gridBefore …) read from untrusted markup: an int ≥ 1 (anything else is 1),
    over the budget ``name`` raises."""
    n = _span_count(value)
    check(name, n, what)
    return n


def capped_span(value, what: str, name: str, lim: int | None = None) -> tuple[int, str | None]:
    """An HTML colspan/rowspan: an int ≥ 1 (anything else is 1); over the budget ``name`` (0: none; ``lim``
    when the caller read it already) it is capped at the budget, as browsers cap spans — (the span, a note
    saying what was capped, else None)."""
    n = _span_count(value)
    if lim is None:
        lim = limit(name)
    if lim and n > lim:
        return lim, f"{what} {n:,} capped at {lim:,} ({name})"
    return n, None


def grid_width(width: int, cells: int) -> None:
    check("HARVESTER_MAX_TABLE_COLUMNS", width, "table columns")
    check("HARVESTER_MAX_TABLE_CELLS", cells, "table grid positions")


def tree_depth(root) -> int:
    """Deepest element nesting under an lxml ``root`` (iterative: no recursion on hostile nesting);
    raises when over ``HARVESTER_MAX_DEPTH``."""
    lim = limit("HARVESTER_MAX_DEPTH")
    deepest = 0
    stack = [(root, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        el, d = pop()
        if d > deepest:
            deepest = d
            if lim and d > lim:
                raise BudgetExceeded("HARVESTER_MAX_DEPTH", d, lim, "element nesting")
        d += 1
        for child in el:
            push((child, d))
    return deepest


_STREAM_RE = re.compile(rb"stream\r?\n")
_DEFLATE_MAX_RATIO = 1032                         # deflate's best: 258 bytes from 2 bits, about 1032 : 1


def pdf_streams(data: bytes) -> int:
    """Inflate every Flate stream of a PDF into nothing, counting bytes, and raise when one inflates past
    ``HARVESTER_MAX_STREAM_BYTES`` — a Flate bomb (2 MB → 2 GB) is refused before pdfium allocates it.
    Returns the largest inflated size seen. Only a stream large enough to inflate past the budget at deflate's
    maximum ratio is inflated (a real report's streams never are). Streams that do not inflate are left to
    pdfium to judge."""
    lim = limit("HARVESTER_MAX_STREAM_BYTES")
    if not lim:
        return 0
    largest = 0
    chunk = 1 << 16                               # output per call (a larger buffer costs more than it saves)
    view = memoryview(data)
    for m in _STREAM_RE.finditer(data):
        head = data[max(0, m.start() - 400):m.start()]
        if b"/FlateDecode" not in head and b"/Fl" not in head:
            continue
        end = data.find(b"endstream", m.end())
        packed = (end if end >= 0 else len(data)) - m.end()
        if packed * _DEFLATE_MAX_RATIO <= lim:
            continue                              # cannot inflate past the budget: not worth inflating
        d = zlib.decompressobj()
        pos, out = m.end(), 0
        try:
            while not d.eof:
                if d.unconsumed_tail:
                    inp = d.unconsumed_tail
                elif pos < len(data):
                    step = 1 << 16                    # input: most streams end within it (no copy: a view)
                    inp, pos = view[pos:pos + step], pos + step
                else:
                    break
                out += len(d.decompress(inp, chunk))
                if out > lim:
                    raise BudgetExceeded("HARVESTER_MAX_STREAM_BYTES", out, lim, "PDF stream inflated bytes")
        except zlib.error:
            pass
        largest = max(largest, out)
    return largest


def zip_members(infos) -> None:
    """Every member of a ZIP package by its declared inflated size (``zipfile`` never inflates past it)."""
    for info in infos:
        name = info.filename.lower()
        if name.endswith((".xml", ".rels")):
            check("HARVESTER_ZIP_MAX_XML_MEMBER", info.file_size, f"XML part {info.filename!r} inflated bytes")
        check("HARVESTER_ZIP_MAX_MEMBER", info.file_size, f"member {info.filename!r} inflated bytes")


def text_length(n: int) -> None:
    check("HARVESTER_MAX_TEXT_CHARS", n, "extracted text characters")


_OBJ_RE = re.compile(rb"(\d+)\s+0\s+obj\b")
_REF_RE = re.compile(rb"(\d+)\s+0\s+R\b")
_XOBJ_RE = re.compile(rb"/XObject\s*<<(.*?)>>", re.S)


def pdf_form_cycles(data: bytes) -> None:
    """Refuse a PDF whose Form XObjects draw themselves (directly or through others): pdfium expands such a
    cycle to its depth limit, exponentially, and aborts on memory. Read from the object dictionaries that
    are not compressed in object streams (where hostile files put them; the sandbox catches the rest)."""
    if not limit("HARVESTER_MAX_DEPTH"):
        return
    forms: dict[int, list[int]] = {}
    pos = data.find(b"/Form")
    while pos >= 0:                                # only objects that say /Form are looked at
        start = data.rfind(b" obj", max(0, pos - 4096), pos)
        m = _OBJ_RE.search(data, max(0, start - 24), start + 4) if start >= 0 else None
        nxt = data.find(b"/Form", pos + 5)
        if m is None:
            pos = nxt
            continue
        stop = min(x for x in (data.find(b"stream", m.end(), m.end() + 4096), data.find(b"endobj", m.end(), m.end() + 4096),
                               m.end() + 4096) if x >= 0)
        head = data[m.end():stop]
        num = int(m.group(1))
        pos = nxt
        if b"/Form" not in head:
            continue
        forms[num] = [int(r) for block in _XOBJ_RE.findall(head) for r in _REF_RE.findall(block)]
    state: dict[int, int] = {}            # 1 on the path, 2 done
    for root in forms:
        if state.get(root):
            continue
        stack = [(root, iter(forms[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif child in forms:
                if state.get(child) == 1:
                    path = [n for n, _ in stack] + [child]
                    raise BudgetExceeded("HARVESTER_MAX_DEPTH", float("inf"), limit("HARVESTER_MAX_DEPTH"),
                                         f"Form XObjects that draw themselves ({' → '.join(map(str, path[-6:]))}): nesting")
                if not state.get(child):
                    state[child] = 1
                    stack.append((child, iter(forms[child])))
