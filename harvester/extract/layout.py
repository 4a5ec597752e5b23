"""A page's words and rules -> its lines in reading order; pages -> one text (shared by PDF, OFD and OCR).

Words inside ruled cells become table rows (cells tab-separated, ``ruled``), the other words
lines split into cells at wide gaps (``textlines``); a borderless row's values centred on a
two-line label are lifted onto the label's first line; page numbers in the top/bottom margin are
dropped. Across pages, narrative lines that wrap at the right margin are joined back into one line
per paragraph (unless the next line is indented or starts a numbered heading), and pages are
separated by a blank line.
"""
from __future__ import annotations

import re
from collections import Counter

from .ruled import _Grid, _table_lines
from .textlines import _gap_lines, _is_cjk, merge_words

__all__ = ["assemble_pages", "assemble_text", "layout_lines", "merge_words", "page_lines"]

_NUM_WORD_RE = re.compile(r"[+\-−]?\d[\d,.]*%?")
_NUMERIC_CELL_RE = re.compile(r"^[+\-−]?\d[\d,，.]*(?:%|元|万元)?$")
_PAGENO_RE = re.compile(
    r"^(?:[-—–－~·•]\s*\d{1,4}\s*[-—–－~·•]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|\d{1,4}|[Pp]age\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$")
_ENUM_START_RE = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.、．](?!\d)|第[一二三四五六七八九十]+[章节条部])")
_SENTENCE_END = "。！？；：!?;:"


def page_lines(words, page_h: float, rules):
    """Lines of one page (table rows and text lines) in reading order, top first.

    ``words`` in points, y up; ``rules()`` returns the page's rule segments ``(hs, vs)`` and is only
    called when the page holds enough numbers for a table (reading rules can cost)."""
    if not words:
        return []
    lines = []
    if _numeric_words(words):
        hs, vs = rules()
        if hs and vs:
            grid = _Grid(hs, vs)
            if grid.ok():
                lines, words = _table_lines(words, grid, page_h)
    lines.extend(_gap_lines(words))
    lines.sort(key=lambda ln: -ln.y)
    lines = _lift_value_rows(lines)
    # page numbers in the top or bottom margin
    for idx in (0, -1):
        if lines and not lines[idx].table:
            ln = lines[idx]
            margin = ln.y > page_h * 0.88 or ln.y < page_h * 0.12
            if margin and _PAGENO_RE.match(ln.text.replace("\t", " ").strip()):
                lines.pop(idx)
    return lines


def layout_lines(words, hs, vs, page_h: float):
    """PDF-style words and rules (points, y up) -> the page's lines: words in ruled cells become
    table rows (cells tab-separated), the rest lines split at gaps."""
    return page_lines(words, page_h, lambda: (hs, vs))


def _is_num(cell: str) -> bool:
    return bool(_NUMERIC_CELL_RE.match(cell))


def _lift_value_rows(lines):
    """Borderless tables: a row's values, centred on a label that wraps over two lines, sit between
    the label's lines. Put them on the label's first line, so the row reads label + values and the
    rest of the label follows as a continuation line (as it does in ruled tables)."""
    out = []
    for ln in lines:
        prev = out[-1] if out else None
        if (prev is not None and not ln.table and not prev.table and ln.cells
                and all(_is_num(c) for c in ln.cells)
                and not any(_is_num(c) for c in prev.cells)
                and prev.right < ln.left - ln.em
                and prev.y - ln.y <= 1.6 * max(prev.em, ln.em)):
            prev.cells = prev.cells + ln.cells
            prev.right = ln.right
            continue
        out.append(ln)
    return out


def _numeric_words(words):
    """Cheap test whether a page holds a table worth its ruling lines: a line of four or more numbers.

    (Tables 三 and 四 have 7 and 15 numbers a row; table 二 rows, with 1–3, come out right from the
    gaps alone, and reading the rules costs a third of pdfium's own text pass of a page.)"""
    bins = Counter()
    match = _NUM_WORD_RE.fullmatch
    for w in words:
        if match(w[6]):
            bins[int(w[0] * 0.25)] += 1
    if not bins:
        return False
    for k, n in bins.items():
        if n + bins.get(k + 1, 0) >= 4 or n + bins.get(k - 1, 0) >= 4:
            return True
    return False


def _body_right(lines):
    body = [ln.right for ln in lines if not ln.table and len(ln.cells) == 1 and len(ln.cells[0]) >= 8]
    if not body:
        return None
    body.sort()
    return body[int(len(body) * 0.9)] if len(body) >= 3 else body[-1]


def _continues(prev, ln, right_edge, pitch=True):
    """Does narrative line ``ln`` continue the paragraph that ``prev`` wraps out of?"""
    return (right_edge is not None and not prev.table and not ln.table and len(prev.cells) == 1
            and len(ln.cells) == 1 and prev.cells[0] and ln.cells[0]
            and prev.right >= right_edge - 1.2 * prev.em
            and ln.left <= prev.left + 0.5 * prev.em
            and (not pitch or prev.y - ln.y <= 2.6 * max(prev.em, ln.em))
            and abs(prev.em - ln.em) <= 0.25 * prev.em
            and not (prev.cells[0][-1] in _SENTENCE_END and _ENUM_START_RE.match(ln.cells[0])))


def _glue(prev, ln):
    a, b = prev.cells[0][-1], ln.cells[0][0]
    sep = "" if (_is_cjk(a) or _is_cjk(b) or a == "-") else " "
    prev.cells[0] = prev.cells[0] + sep + ln.cells[0]
    prev.right = ln.right  # the joined line now ends where its last visual line ends
    prev.y = ln.y


def _join_paragraphs(lines):
    """Join narrative lines that wrap at the right margin into one line per paragraph."""
    right_edge = _body_right(lines)
    if right_edge is None:
        return lines, None
    out = []
    for ln in lines:
        if out and _continues(out[-1], ln, right_edge):
            _glue(out[-1], ln)
            continue
        out.append(ln)
    return out, right_edge


def assemble_text(page_lines) -> str:
    """Pages of lines -> the document's text (paragraphs joined, pages separated by a blank line)."""
    return assemble_pages(page_lines)[0]


def assemble_pages(page_lines) -> tuple[str, list[int]]:
    """Pages -> (text, page starts): paragraphs joined, also across a page break; pages separated by a
    blank line. A page's start is where its first line of its own begins (a paragraph it continues
    counts to the page before); a page without text starts where the next text does."""
    chunks = []
    firsts = []           # per page: (chunk, line) of its first own line
    prev_last = prev_edge = None
    for lines in page_lines:
        lines, edge = _join_paragraphs(lines)
        if (lines and prev_last is not None and prev_edge is not None
                and _continues(prev_last, lines[0], prev_edge, pitch=False)
                and lines[0].left <= min((ln.left for ln in lines if not ln.table), default=0) + 0.5 * lines[0].em):
            _glue(prev_last, lines[0])
            chunks[-1][-1] = prev_last.text
            lines = lines[1:]
            firsts.append((len(chunks) - 1, len(chunks[-1])))
            if not lines:
                continue
            chunks[-1].extend(ln.text for ln in lines)
        else:
            firsts.append((len(chunks), 0))
            if not lines:
                continue
            chunks.append([ln.text for ln in lines])
        prev_last, prev_edge = lines[-1], (edge if edge is not None else prev_edge)
    offsets, at = [], 0                     # offset of every line, chunk by chunk ("\n" within, "\n\n" between)
    for c in chunks:
        offsets.append([])
        for t in c:
            offsets[-1].append(at)
            at += len(t) + 1
        at += 1
    text = "\n\n".join("\n".join(c) for c in chunks)
    starts = []
    for ci, li in firsts:
        if ci < len(chunks) and li < len(chunks[ci]):
            starts.append(offsets[ci][li])
        elif ci + 1 < len(chunks):          # nothing of its own left in this chunk: the next one
            starts.append(offsets[ci + 1][0])
        else:
            starts.append(len(text))
    return text, starts
